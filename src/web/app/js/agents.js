// Agents tab: one card per agent, kept by agent_id and updated in place; relative times are
// refreshed every second so a silent agent visibly ages. Online/offline comes from the
// server, which pushes the list itself when an agent passes agent_offline_after.
import { date_time, el, fmt_bytes, fmt_duration, fmt_int, relative_time } from './util.js';

const kFields = [
    ['STATUS', 'status'],
    ['IP', 'ip'],
    ['OS', 'os'],
    ['VERSION', 'version'],
    ['LAST SEEN', 'last_seen'],
    ['SINCE', 'first_seen'],
    ['UPTIME', 'uptime'],
    ['PACKETS', 'packets'],
    ['TRAFFIC', 'bytes'],
    ['CAPTURE DROPS', 'drops'],
    ['SPOOL', 'spool'],
    ['SUPPRESSED', 'suppressed'],
    ['MEMORY', 'memory'],
    ['DETECTOR STATE', 'state'],
    ['START-UP', 'startup'],
];

// An agent's suppressed count: a number, or per-rule counts {"7": 12, ...} summed.
export function suppressed_total(x) {
    if (typeof x === 'number') return x;
    if (x && typeof x === 'object') return Object.values(x).reduce((sum, n) => sum + (Number(n) || 0), 0);
    return null;
}

export class Agents {
    constructor() {
        this.grid_ = document.getElementById('agents-grid');
        this.head_ = document.getElementById('agents-head');
        this.empty_ = document.getElementById('agents-empty');
        this.cards_ = new Map();  // agent_id -> {node, values, agent}
        this.agents_ = [];
        setInterval(() => this.tick_(), 1000);
    }

    online_count() {
        return this.agents_.filter((a) => a.online).length;
    }

    set_agents(agents) {
        this.agents_ = Array.isArray(agents) ? agents : [];
        const seen = new Set();
        this.agents_.forEach((a, index) => {
            const id = String(a.agent_id || a.hostname || index);
            seen.add(id);
            let card = this.cards_.get(id);
            if (!card) {
                card = this.make_card_(id);
                this.cards_.set(id, card);
            }
            this.fill_(card, a);
            // Server order (alert_count desc); appendChild moves an existing node.
            if (this.grid_.children[index] !== card.node) this.grid_.insertBefore(card.node, this.grid_.children[index] || null);
        });
        for (const [id, card] of this.cards_) {
            if (!seen.has(id)) {
                card.node.remove();
                this.cards_.delete(id);
            }
        }
        const online = this.online_count();
        this.head_.textContent = `REGISTERED AGENTS — ${online} ONLINE / ${this.agents_.length} TOTAL`;
        this.empty_.hidden = this.agents_.length > 0;
    }

    make_card_(id) {
        const node = el('div', 'agent');
        node.dataset.agentId = id;
        const name = el('div', 'agent-name');
        const dot = el('span', 'dot');
        const host = el('span', 'host');
        name.append(dot, host);
        const kv = el('dl', 'kv');
        const values = {};
        for (const [label, key] of kFields) {
            const dt = el('dt', '', label);
            const dd = el('dd');
            dd.dataset.field = key;
            kv.append(dt, dd);
            values[key] = { dt, dd };
        }
        const count = el('div', 'agent-count');
        const n = el('div', 'n', '0');
        count.append(n, el('div', 'l', 'ALERTS'));
        node.append(name, kv, count);
        return { node, host, values, count: n, agent: null };
    }

    fill_(card, a) {
        card.agent = a;
        card.node.classList.toggle('offline', !a.online);
        card.node.dataset.online = a.online ? 'true' : 'false';
        card.host.textContent = a.hostname || a.agent_id || '—';
        card.host.title = `${a.hostname || ''} (${a.agent_id || ''})`;
        const v = card.values;
        v.status.dd.textContent = a.online ? 'ONLINE' : 'OFFLINE';
        v.status.dd.className = a.online ? 'status-on' : 'status-off';
        v.ip.dd.textContent = a.ip || '—';
        set_optional(v.os, a.os);
        set_optional(v.version, a.version);
        v.first_seen.dd.textContent = date_time(a.first_seen);
        // Capture figures come with our agent's heartbeat; an agent that only posted alerts (or
        // the original Python agent) has none, so show nothing rather than zeros.
        const hb = Boolean(a.version) || Number(a.uptime_s) > 0 || Number(a.packets) > 0;
        const num = (x, f) => (hb && x !== undefined && x !== null ? f(Number(x)) : '');
        set_optional(v.uptime, num(a.uptime_s, fmt_duration));
        set_optional(v.packets, num(a.packets, fmt_int));
        set_optional(v.bytes, num(a.bytes, fmt_bytes));
        set_optional(v.drops, num(a.capture_drops, fmt_int));
        set_optional(v.spool, num(a.spool_depth, (d) => `${fmt_int(d)} queued · ${fmt_int(Number(a.spool_dropped) || 0)} dropped`));
        // Footprint (our agents since heartbeat footprint fields): what the agent costs its host.
        set_optional(v.memory, num(a.rss_bytes, (r) => `${fmt_bytes(r)} · peak ${fmt_bytes(Number(a.peak_rss_bytes) || r)}`));
        set_optional(v.state, num(a.state_bytes, (b) => `${fmt_bytes(b)} of ${fmt_bytes(Number(a.state_cap_bytes) || 0)} at caps`));
        set_optional(v.startup, num(a.startup_ms, (ms) => `${ms.toFixed(1)} ms`));
        const suppressed = suppressed_total(a.suppressed);
        set_optional(v.suppressed, suppressed === null ? '' : fmt_int(suppressed));
        card.count.textContent = fmt_int(Number(a.alert_count) || 0);
        this.tick_card_(card, Date.now());
    }

    tick_card_(card, now) {
        const dd = card.values.last_seen.dd;
        const text = relative_time(card.agent.last_seen, now);
        if (dd.textContent !== text) dd.textContent = text;
        dd.title = card.agent.last_seen || '';
    }

    tick_() {
        const now = Date.now();
        for (const card of this.cards_.values()) this.tick_card_(card, now);
    }
}

function set_optional(pair, value) {
    const show = value !== undefined && value !== null && value !== '';
    pair.dt.hidden = !show;
    pair.dd.hidden = !show;
    if (show) pair.dd.textContent = String(value);
}
