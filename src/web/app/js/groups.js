// Live Feed, grouped: repeats of the same category and source as one row (count, first/last time,
// highest level, open count), loaded from GET /api/alert-groups and kept current client-side:
// live alerts merge into their group (or start one on top), status changes from "alert_update"
// are applied at once and then confirmed by a quiet re-read of the groups.
import { fetch_groups } from './api.js';
import { button } from './ui.js';
import { el, feed_time, fmt_int, kLevels, level_class, matches, set_text } from './util.js';

const kPageSize = 200;
const kMaxGroups = 1000;

export function group_key(category, src) {
    return `${category || ''}\u0000${src || ''}`;
}

// Higher of two levels (CRITICAL > HIGH > ... > INFO); unknown counts as INFO.
export function higher_level(a, b) {
    const ia = kLevels.indexOf(a);
    const ib = kLevels.indexOf(b);
    if (ia < 0) return b || a;
    if (ib < 0) return a;
    return ia <= ib ? a : b;
}

// Whether a live alert (status "new" unless the server says otherwise) passes the feed filter.
export function alert_passes(a, { level, q, status }) {
    if (!matches(a, level, q)) return false;
    const s = a.status || 'new';
    if (!status || status === 'all') return true;
    if (status === 'open') return s !== 'resolved';
    return s === status;
}

// Merges one live alert into the groups (a Map key -> group); returns the group.
export function merge_alert(groups, a) {
    const key = group_key(a.category, a.src);
    const ts = a.ts || a.received_at || '';
    let g = groups.get(key);
    if (!g) {
        g = { category: a.category || '', src: a.src || '', count: 0, level: a.level, first_ts: ts, last_ts: ts, last_message: '', agents: 0, open: 0, new: 0 };
        groups.set(key, g);
    }
    if (!g.live_agents_) g.live_agents_ = new Set();
    g.count = (Number(g.count) || 0) + 1;
    g.level = higher_level(g.level, a.level);
    if (!g.first_ts || (ts && ts < g.first_ts)) g.first_ts = ts;
    if (!g.last_ts || ts >= g.last_ts) {
        g.last_ts = ts;
        g.last_message = a.message || '';
    }
    if (a.agent_id && !g.live_agents_.has(a.agent_id)) {
        g.live_agents_.add(a.agent_id);
        g.agents = Math.max(Number(g.agents) || 0, g.live_agents_.size);
    }
    const s = a.status || 'new';
    if (s !== 'resolved') g.open = (Number(g.open) || 0) + 1;
    if (s === 'new' && typeof g.new === 'number') g.new++;
    return g;
}

// A group-wide status change (WS {"type":"alert_update","group":..} or our own POST).
export function apply_group_status(g, status, by, at) {
    if (status === 'acknowledged' || status === 'resolved') {
        if (typeof g.new === 'number') g.new = 0;
        g.acked_ = true;
        if (!g.ack_by) {
            g.ack_by = by || null;
            g.ack_at = at || null;
        }
    }
    if (status === 'resolved') {
        g.open = 0;
        g.resolved_by = by || null;
        g.resolved_at = at || null;
    }
}

// RESOLVED when nothing is open; ACKNOWLEDGED when every open alert is acknowledged; NEW when
// some are not. A group without a "new" count (optional in the contract) is ACKNOWLEDGED when
// this page saw it acknowledged or the status filter says so, else just OPEN.
export function group_status(g, filter_status) {
    if ((Number(g.open) || 0) === 0) return 'RESOLVED';
    if (typeof g.new === 'number') return g.new === 0 ? 'ACKNOWLEDGED' : 'NEW';
    if (g.acked_ || filter_status === 'acknowledged') return 'ACKNOWLEDGED';
    return filter_status === 'new' ? 'NEW' : 'OPEN';
}

export class Groups {
    // get_filter() -> {level, q, status}; actions: {open(g), ack(g), resolve(g), suppress(g)}
    constructor({ get_filter, actions }) {
        this.get_filter_ = get_filter;
        this.actions_ = actions;
        this.list_ = document.getElementById('groups-list');
        this.empty_ = document.getElementById('groups-empty');
        this.status_ = document.getElementById('groups-status');
        this.groups_ = new Map();
        this.order_ = [];
        this.nodes_ = new Map();  // key -> {node, cells, buttons}
        this.racing_ = [];  // live alerts that arrived while a re-read was in flight
        this.visible_ = false;
        this.loaded_ = false;
        this.loading_ = false;
        this.error_ = '';
        this.generation_ = 0;
        this.frame_ = 0;
        this.dirty_ = true;
        this.reread_timer_ = null;
        this.selected_key_ = null;
        this.list_.addEventListener('keydown', (ev) => this.on_key_(ev));
    }

    show() {
        this.visible_ = true;
        this.schedule_();
    }

    hide() {
        this.visible_ = false;
    }

    get(category, src) {
        return this.groups_.get(group_key(category, src));
    }

    async reload() {
        const gen = ++this.generation_;
        this.loading_ = true;
        this.racing_ = [];
        this.update_status_();
        try {
            const res = await fetch_groups({ ...this.get_filter_(), limit: kPageSize });
            if (gen !== this.generation_) return;
            const next = new Map();
            for (const g of res.groups || []) {
                const key = group_key(g.category, g.src);
                const old = this.groups_.get(key);
                // What this page learned from pushes survives a re-read that lacks it.
                if (old && old.acked_ && g.new === undefined) g.acked_ = true;
                next.set(key, g);
            }
            // Alerts pushed during the request: those newer than their group's last time are
            // not in the answer yet.
            for (const a of this.racing_) {
                const g = next.get(group_key(a.category, a.src));
                if (!g || String(a.ts || a.received_at || '') > String(g.last_ts || '')) merge_alert(next, a);
            }
            this.racing_ = [];
            this.groups_ = next;
            this.error_ = '';
            this.loaded_ = true;
        } catch (err) {
            if (gen !== this.generation_) return;
            this.error_ = `Could not load alert groups (${err.message})`;
        } finally {
            if (gen === this.generation_) this.loading_ = false;
        }
        this.dirty_ = true;
        this.schedule_();
    }

    // A re-read shortly after status changes, so counts converge on the server's.
    reread_soon() {
        clearTimeout(this.reread_timer_);
        this.reread_timer_ = setTimeout(() => this.reload(), 400);
    }

    add_alerts(alerts) {
        if (!this.loaded_ && !this.loading_) return;  // the first load includes them
        const filter = this.get_filter_();
        for (const a of alerts) {
            if (!alert_passes(a, filter)) continue;
            if (this.loading_) this.racing_.push(a);
            merge_alert(this.groups_, a);
        }
        this.dirty_ = true;
        this.schedule_();
    }

    apply_group_update(group, status, by, at) {
        const g = this.get(group.category, group.src);
        if (g) {
            apply_group_status(g, status, by, at);
            this.dirty_ = true;
            this.schedule_();
        }
        this.reread_soon();
    }

    schedule_() {
        if (this.frame_ || !this.visible_) return;
        this.frame_ = requestAnimationFrame(() => {
            this.frame_ = 0;
            if (this.visible_) this.render_();
        });
    }

    render_() {
        if (this.dirty_) {
            this.order_ = [...this.groups_.values()].sort((x, y) => String(y.last_ts).localeCompare(String(x.last_ts)));
            if (this.order_.length > kMaxGroups) {
                for (const g of this.order_.splice(kMaxGroups)) this.groups_.delete(group_key(g.category, g.src));
            }
            this.dirty_ = false;
        }
        const shown = new Set();
        let prev = null;
        for (const g of this.order_) {
            const key = group_key(g.category, g.src);
            shown.add(key);
            let row = this.nodes_.get(key);
            if (!row) {
                row = this.make_row_(key);
                this.nodes_.set(key, row);
            }
            this.fill_row_(row, g);
            const want = prev ? prev.nextSibling : this.list_.firstChild;
            if (row.node !== want) this.list_.insertBefore(row.node, want);
            prev = row.node;
        }
        for (const [key, row] of this.nodes_) {
            if (!shown.has(key)) {
                row.node.remove();
                this.nodes_.delete(key);
            }
        }
        this.empty_.hidden = this.order_.length > 0 || !this.loaded_ || this.loading_;
        this.update_status_();
    }

    make_row_(key) {
        const node = el('div', 'grow');
        node.tabIndex = 0;
        node.setAttribute('role', 'listitem');
        node.dataset.key = key;
        const cells = {
            lvl: el('span', 'lvl'),
            last: el('span', 'time'),
            cat: el('span', 'cat'),
            src: el('span', 'src'),
            count: el('span', 'count'),
            first: el('span', 'time first'),
            status: el('span', 'gstatus'),
        };
        const lvl_cell = el('span');
        lvl_cell.appendChild(cells.lvl);
        const actions = el('span', 'actions admin-only');
        const row = { node, cells, group: null };
        actions.append(
            button('ACK', () => this.actions_.ack(row.group), { cls: 'act-ack', title: 'Acknowledge every alert of this group', admin: true }),
            button('RESOLVE', () => this.actions_.resolve(row.group), { cls: 'act-resolve', title: 'Resolve every alert of this group', admin: true }),
            button('SUPPRESS…', () => this.actions_.suppress(row.group), { cls: 'act-suppress', title: 'Create a suppression rule from this group', admin: true }),
        );
        node.append(lvl_cell, cells.last, cells.cat, cells.src, cells.count, cells.first, cells.status, actions);
        node.addEventListener('click', () => this.open_(row));
        return row;
    }

    fill_row_(row, g) {
        row.group = g;
        const status = group_status(g, this.get_filter_().status);
        const key = group_key(g.category, g.src);
        const cls = `grow ${level_class(g.level)} st-${status.toLowerCase()}${key === this.selected_key_ ? ' sel' : ''}`;
        if (row.node.className !== cls) row.node.className = cls;
        row.node.dataset.category = g.category;
        row.node.dataset.src = g.src;
        row.node.dataset.status = status;
        set_text(row.cells.lvl, g.level || '');
        set_text(row.cells.last, feed_time(g.last_ts));
        set_text(row.cells.cat, g.category || '');
        set_text(row.cells.src, g.src || '—');
        set_text(row.cells.count, `×${fmt_int(Number(g.count) || 0)}`);
        set_text(row.cells.first, feed_time(g.first_ts));
        const open = Number(g.open) || 0;
        set_text(row.cells.status, status === 'RESOLVED' ? 'RESOLVED' : status === 'OPEN' ? `${fmt_int(open)} OPEN` : `${status} · ${fmt_int(open)} OPEN`);
        const who = [];
        if (g.ack_by) who.push(`acknowledged by ${g.ack_by} ${g.ack_at || ''}`);
        if (g.resolved_by) who.push(`resolved by ${g.resolved_by} ${g.resolved_at || ''}`);
        row.cells.status.title = who.join('; ');
        row.node.title = `${g.last_message || ''}\n${fmt_int(Number(g.agents) || 0)} agent(s)`;
        row.node.setAttribute('aria-label', `${g.level} ${g.category} from ${g.src || 'unknown source'}, ${g.count} alerts, ${status}`);
    }

    open_(row) {
        if (!row.group) return;
        this.selected_key_ = group_key(row.group.category, row.group.src);
        for (const r of this.nodes_.values()) r.node.classList.toggle('sel', r === row);
        this.actions_.open(row.group);
    }

    clear_selection() {
        this.selected_key_ = null;
        for (const r of this.nodes_.values()) r.node.classList.remove('sel');
    }

    // Enter opens the focused group; arrow keys move between groups.
    on_key_(ev) {
        const row = ev.target.closest && ev.target.closest('.grow');
        if (!row || ev.target !== row) return;
        if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            const r = this.nodes_.get(row.dataset.key);
            if (r) this.open_(r);
        } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
            ev.preventDefault();
            const next = ev.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
            if (next) next.focus();
        }
    }

    update_status_() {
        let text;
        if (this.error_) text = this.error_;
        else if (this.loading_ && !this.loaded_) text = 'LOADING…';
        else text = `${fmt_int(this.order_.length)} GROUPS · NEWEST FIRST`;
        set_text(this.status_, text);
    }
}
