// Suppression rules: the list (hits at the server and the agents, last hit, expiry, comment,
// creator; "matches nothing" while no alert hit it), the add dialog with the server's validation
// repeated client-side, and delete with confirmation. The list follows WS "suppressions".
import { api } from './api.js';
import { button, confirm_dialog, show_error, toast } from './ui.js';
import { clear, date_time, el, fmt_int } from './util.js';

// The detectors' categories (src/detect), offered as suggestions; others are allowed.
export const kKnownCategories = ['PORT SCAN', 'SYN FLOOD', 'ICMP FLOOD', 'BRUTE FORCE', 'DNS TUNNELLING', 'ARP SPOOFING', 'DATA EXFILTRATION', 'SUSPICIOUS PORT'];

function is_ipv4(s) {
    const parts = s.split('.');
    return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function is_ipv6(s) {
    if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
    try {
        new URL(`http://[${s}]/`);
        return true;
    } catch (err) {
        return false;
    }
}

// "10.0.0.1", "10.0.0.0/8", "2001:db8::/32" are valid; "10.0.0.0/33", "host" are not.
export function is_address_or_cidr(text) {
    const s = String(text).trim();
    const slash = s.indexOf('/');
    const addr = slash >= 0 ? s.slice(0, slash) : s;
    const v4 = is_ipv4(addr);
    if (!v4 && !is_ipv6(addr)) return false;
    if (slash < 0) return true;
    const prefix = s.slice(slash + 1);
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (v4 ? 32 : 128);
}

// The address part of an alert's source: "1.2.3.4:80" -> "1.2.3.4", "[::1]:80" -> "::1".
export function source_address(src) {
    const s = String(src || '').trim();
    let m = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
    if (m) return m[1];
    m = /^([^:]+):\d+$/.exec(s);
    if (m) return m[1];
    return s;
}

// Form values (strings) -> {body} for POST /api/suppressions, or {field, error} as the server
// words it ("src: expected an IPv4/IPv6 address or CIDR").
export function validate_rule_form(v) {
    const body = {};
    const category = String(v.category || '').trim();
    const src = String(v.src || '').trim();
    const dst = String(v.dst || '').trim();
    const port = String(v.port || '').trim();
    const agent_id = String(v.agent_id || '').trim();
    const comment = String(v.comment || '').trim();
    if (category.length > 128) return { field: 'category', error: 'category: too long (at most 128 characters)' };
    if (category) body.category = category;
    if (src) {
        if (!is_address_or_cidr(src)) return { field: 'src', error: 'src: expected an IPv4/IPv6 address or CIDR' };
        body.src = src;
    }
    if (dst) {
        if (!is_address_or_cidr(dst)) return { field: 'dst', error: 'dst: expected an IPv4/IPv6 address or CIDR' };
        body.dst = dst;
    }
    if (port) {
        if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return { field: 'port', error: 'port: expected an integer from 1 to 65535' };
        body.port = Number(port);
    }
    if (agent_id.length > 128) return { field: 'agent_id', error: 'agent_id: too long (at most 128 characters)' };
    if (agent_id) body.agent_id = agent_id;
    if (!category && !src && !dst && !port && !agent_id) return { field: 'category', error: 'rule: set at least one of category, src, dst, port, agent_id' };
    if (comment.length > 1000) return { field: 'comment', error: 'comment: too long (at most 1000 characters)' };
    body.comment = comment;
    const expiry = String(v.expires_in_s || '').trim();
    if (expiry) {
        if (!/^\d+$/.test(expiry) || Number(expiry) <= 0) return { field: 'expires_in_s', error: 'expires_in_s: expected a positive number of seconds (at most 10 years)' };
        body.expires_in_s = Number(expiry);
    }
    return { body };
}

// "category PORT SCAN · src 10.0.0.0/8 · port 22"
export function describe_rule(r) {
    const parts = [];
    if (r.category) parts.push(`category ${r.category}`);
    if (r.src) parts.push(`src ${r.src}`);
    if (r.dst) parts.push(`dst ${r.dst}`);
    if (r.port) parts.push(`port ${r.port}`);
    if (r.agent_id) parts.push(`agent ${r.agent_id}`);
    return parts.join(' · ') || 'everything';
}

const kFieldInputs = { category: 'rule-category', src: 'rule-src', dst: 'rule-dst', port: 'rule-port', agent_id: 'rule-agent', comment: 'rule-comment', expires_in_s: 'rule-expiry' };

export class Rules {
    constructor({ on_change }) {
        this.on_change_ = on_change || (() => {});
        this.rules_ = [];
        this.version_ = 0;
        this.body_ = document.getElementById('rules-body');
        this.empty_ = document.getElementById('rules-empty');
        this.summary_ = document.getElementById('rules-summary');
        this.notice_ = document.getElementById('rules-notice');
        this.dialog_ = document.getElementById('rule-dialog');
        this.form_ = document.getElementById('rule-form');
        this.error_ = document.getElementById('rule-error');
        this.categories_ = document.getElementById('rule-categories');
        document.getElementById('rule-add').addEventListener('click', () => this.open_form());
        document.getElementById('rule-cancel').addEventListener('click', () => this.dialog_.close());
        this.form_.addEventListener('submit', (ev) => {
            ev.preventDefault();
            this.submit_();
        });
        this.seen_categories_ = new Set(kKnownCategories);
        this.fill_categories_();
        setInterval(() => this.render_(), 30000);  // "expired" flips without a push
    }

    // Categories seen in the stats are suggested too.
    note_categories(pairs) {
        let added = false;
        for (const [name] of pairs || []) {
            if (name && name !== '(other)' && !this.seen_categories_.has(name)) {
                this.seen_categories_.add(name);
                added = true;
            }
        }
        if (added) this.fill_categories_();
    }

    fill_categories_() {
        clear(this.categories_);
        for (const name of [...this.seen_categories_].sort()) {
            const opt = document.createElement('option');
            opt.value = name;
            this.categories_.appendChild(opt);
        }
    }

    async load() {
        try {
            const res = await api('/api/suppressions');
            this.set_rules(res.rules, res.version);
        } catch (err) {
            if (err.status !== 404) show_error(err, 'Could not load the suppression rules');
        }
    }

    set_rules(rules, version) {
        if (!Array.isArray(rules)) return;
        this.rules_ = rules;
        if (version !== undefined) this.version_ = version;
        this.render_();
        this.on_change_(this.rules_);
    }

    render_() {
        clear(this.body_);
        const now = Date.now();
        let total_hits = 0;
        for (const r of this.rules_) {
            const hits = Number(r.hits) || 0;
            total_hits += hits;
            const tr = el('tr');
            tr.dataset.ruleId = String(r.id);
            const expired = r.expired || (r.expires_at && Date.parse(r.expires_at) <= now);
            if (expired) tr.classList.add('expired');
            const hits_cell = el('td', 'hits');
            hits_cell.appendChild(el('span', 'n', fmt_int(hits)));
            if (hits === 0) hits_cell.appendChild(el('span', 'tag warn', 'MATCHES NOTHING'));
            const expires = r.expires_at ? `${expired ? 'EXPIRED ' : ''}${date_time(r.expires_at)}` : 'never';
            const actions = el('td', 'admin-only');
            actions.appendChild(button('DELETE', () => this.delete_(r), { cls: 'danger', title: `Delete rule ${r.id}`, admin: true }));
            tr.append(
                el('td', '', r.id),
                el('td', 'match', describe_rule(r)),
                hits_cell,
                el('td', '', `${fmt_int(Number(r.hits_server) || 0)} / ${fmt_int(Number(r.hits_agents) || 0)}`),
                el('td', '', r.last_hit ? date_time(r.last_hit) : '—'),
                el('td', expired ? 'expired-cell' : '', expires),
                el('td', 'comment', r.comment || ''),
                el('td', '', `${r.created_by || '—'} · ${date_time(r.created_at)}`),
                actions,
            );
            this.body_.appendChild(tr);
        }
        this.empty_.hidden = this.rules_.length > 0;
        this.summary_.textContent = `${this.rules_.length} RULES · ${fmt_int(total_hits)} ALERTS SUPPRESSED`;
    }

    // Opens the add dialog, pre-filled from an alert or a group ({category, src, dst, port, agent_id}).
    open_form(prefill = {}) {
        const values = { category: '', src: '', dst: '', port: '', agent_id: '', comment: '', expires_in_s: '', ...prefill };
        for (const [key, id] of Object.entries(kFieldInputs)) {
            const input = document.getElementById(id);
            input.value = values[key] === undefined || values[key] === null ? '' : String(values[key]);
            input.removeAttribute('aria-invalid');
        }
        this.error_.textContent = '';
        this.dialog_.showModal();
        document.getElementById(prefill.category || prefill.src ? 'rule-comment' : 'rule-category').focus();
    }

    async submit_() {
        const values = {};
        for (const [key, id] of Object.entries(kFieldInputs)) values[key] = document.getElementById(id).value;
        for (const id of Object.values(kFieldInputs)) document.getElementById(id).removeAttribute('aria-invalid');
        const v = validate_rule_form(values);
        if (v.error) {
            this.error_.textContent = v.error;
            const input = document.getElementById(kFieldInputs[v.field] || 'rule-category');
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }
        const save = document.getElementById('rule-save');
        save.disabled = true;
        try {
            const res = await api('/api/suppressions', { method: 'POST', body: v.body });
            this.dialog_.close();
            const n = Number(res.would_have_matched) || 0;
            const text = res.warning ? `Rule #${res.rule.id} created. ${res.warning}` : `Rule #${res.rule.id} created: it would have matched ${fmt_int(n)} alerts in the last 7 days`;
            this.notice_.textContent = text;
            this.notice_.classList.toggle('warn', Boolean(res.warning));
            toast(text, res.warning ? 'L-MEDIUM' : 'ok');
            if (res.rule && !this.rules_.some((r) => r.id === res.rule.id)) this.set_rules([...this.rules_, res.rule]);
        } catch (err) {
            this.error_.textContent = err.message;
            show_error(err, 'Rule not created');
        } finally {
            save.disabled = false;
        }
    }

    async delete_(rule) {
        if (!(await confirm_dialog(`Delete suppression rule #${rule.id} (${describe_rule(rule)})? Matching alerts will be stored again.`, 'DELETE'))) return;
        try {
            await api(`/api/suppressions/${encodeURIComponent(rule.id)}`, { method: 'DELETE' });
            this.set_rules(this.rules_.filter((r) => r.id !== rule.id));
            this.notice_.textContent = `Rule #${rule.id} deleted`;
            this.notice_.classList.remove('warn');
            toast(`Rule #${rule.id} deleted`);
        } catch (err) {
            show_error(err, 'Rule not deleted');
        }
    }
}
