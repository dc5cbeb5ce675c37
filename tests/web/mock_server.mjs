// A stand-in for sentinel-server that implements docs/api.md's GUI and agent routes with
// in-memory data, so the dashboard can be developed and tested before (or without) the real
// server. Node built-ins only; the WebSocket is a minimal RFC 6455 server (text frames out,
// close/ping in). It also implements the alert-management contract (docs/api.md, docs/dashboard.md):
// users and roles, per-user tokens, the audit log, suppression rules, acknowledge/resolve and
// alert groups, with the same status codes and JSON error bodies as the real server.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';

const kLevels = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
const kTypes = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.txt': 'text/plain' };

function iso(ms) {
    return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

function top_n(map, n) {
    return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}


// Suppression rules: the contract's validation and matching (src/suppress in the real server).
function parse_net(text) {
    const s = String(text).trim();
    const slash = s.indexOf('/');
    const addr = slash >= 0 ? s.slice(0, slash) : s;
    const family = net.isIP(addr);
    if (family === 0) return null;
    const max = family === 4 ? 32 : 128;
    let prefix = max;
    if (slash >= 0) {
        const p = s.slice(slash + 1);
        if (!/^\d{1,3}$/.test(p) || Number(p) > max) return null;
        prefix = Number(p);
    }
    const list = new net.BlockList();
    list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
    return { list, text: s };
}

function contains(netw, ip) {
    if (!ip) return false;
    const family = net.isIP(ip);
    if (family === 0) return false;
    return netw.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

// "1.2.3.4", "1.2.3.4:80", "[::1]:80", "::1" -> {ip, port}
function split_src(src) {
    const s = String(src || '');
    let m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
    if (m) return { ip: m[1], port: m[2] ? Number(m[2]) : null };
    m = /^([^:]+):(\d+)$/.exec(s);
    if (m) return { ip: m[1], port: Number(m[2]) };
    return { ip: s, port: null };
}

function validate_rule(body, now_ms) {
    const str = (k) => (body[k] === undefined || body[k] === null ? '' : body[k]);
    for (const k of ['category', 'src', 'dst', 'agent_id', 'comment']) {
        if (typeof str(k) !== 'string') return { error: `${k}: expected a string` };
    }
    const rule = { category: str('category').trim(), src: str('src').trim(), dst: str('dst').trim(), port: null, agent_id: str('agent_id').trim(), comment: str('comment'), expires_at: null };
    if (rule.category.length > 128) return { error: 'category: too long (at most 128 characters)' };
    if (rule.src && !parse_net(rule.src)) return { error: 'src: expected an IPv4/IPv6 address or CIDR' };
    if (rule.dst && !parse_net(rule.dst)) return { error: 'dst: expected an IPv4/IPv6 address or CIDR' };
    if (typeof body.port === 'string' && /^\d+$/.test(body.port)) body.port = Number(body.port);
    if (body.port !== undefined && body.port !== null && body.port !== '') {
        if (!Number.isInteger(body.port) || body.port < 1 || body.port > 65535) return { error: 'port: expected an integer from 1 to 65535' };
        rule.port = body.port;
    }
    if (rule.comment.length > 1000) return { error: 'comment: too long (at most 1000 characters)' };
    if (body.expires_in_s !== undefined && body.expires_in_s !== null) {
        if (!Number.isInteger(body.expires_in_s) || body.expires_in_s <= 0) return { error: 'expires_in_s: expected a positive integer' };
        rule.expires_at = iso(now_ms + body.expires_in_s * 1000);
    } else if (body.expires_at) {
        const t = Date.parse(body.expires_at);
        if (typeof body.expires_at !== 'string' || Number.isNaN(t)) return { error: 'expires_at: expected an ISO-8601 time' };
        if (t <= now_ms) return { error: 'expires_at: must be in the future' };
        rule.expires_at = iso(t);
    }
    if (!rule.category && !rule.src && !rule.dst && rule.port === null && !rule.agent_id) return { error: 'rule: set at least one of category, src, dst, port, agent_id' };
    return { rule };
}

function rule_expired(rule, now_ms) {
    return rule.expires_at !== null && Date.parse(rule.expires_at) <= now_ms;
}

function rule_matches(rule, a, now_ms) {
    if (rule_expired(rule, now_ms)) return false;
    if (rule.category && rule.category.toLowerCase() !== String(a.category || '').toLowerCase()) return false;
    const from_src = split_src(a.src);
    const src_ip = a.flow && a.flow.src_ip ? a.flow.src_ip : from_src.ip;
    if (rule.src && !contains(parse_net(rule.src), src_ip)) return false;
    if (rule.dst && !(a.flow && contains(parse_net(rule.dst), a.flow.dest_ip))) return false;
    if (rule.port !== null) {
        const ports = a.flow ? [a.flow.dest_port, a.flow.src_port] : [from_src.port];
        if (!ports.includes(rule.port)) return false;
    }
    if (rule.agent_id && rule.agent_id !== a.agent_id) return false;
    return true;
}

class Store {
    constructor(offline_after_s) {
        this.alerts = [];  // oldest first; index = sequence
        this.ids = new Map();
        this.agents = new Map();
        this.offline_after_ms = offline_after_s * 1000;
        this.suppressed_total = 0;
    }

    // The filters shared by /api/alerts and /api/alert-groups.
    filter(params) {
        const level = params.get('level');
        const q = (params.get('q') || '').toLowerCase();
        const status = params.get('status');
        const category = params.get('category');
        const src = params.get('src');
        const agent = params.get('agent');
        const since = params.get('since');
        const until = params.get('until');
        return (a) => {
            if (level && a.level !== level) return false;
            if (status === 'open' ? a.status === 'resolved' : status && a.status !== status) return false;
            if (category && a.category !== category) return false;
            if (src !== null && params.has('src') && a.src !== src) return false;
            if (agent && a.agent_id !== agent) return false;
            if (since && a.ts < since) return false;
            if (until && a.ts > until) return false;
            if (q && !`${a.category}\n${a.message}\n${a.src}\n${a.hostname}`.toLowerCase().includes(q)) return false;
            return true;
        };
    }

    groups(params) {
        const keep = this.filter(params);
        const limit = Math.min(1000, Math.max(1, Number(params.get('limit')) || 100));
        const groups = new Map();
        for (const a of this.alerts) {
            if (!keep(a)) continue;
            const key = `${a.category}\u0000${a.src}`;
            let g = groups.get(key);
            if (!g) {
                g = { category: a.category, src: a.src, count: 0, level: a.level, first_ts: a.ts, last_ts: a.ts, last_message: a.message, agents: new Set(), open: 0, new: 0 };
                groups.set(key, g);
            }
            g.count++;
            if (kLevels.indexOf(a.level) < kLevels.indexOf(g.level)) g.level = a.level;
            if (a.ts < g.first_ts) g.first_ts = a.ts;
            if (a.ts >= g.last_ts) {
                g.last_ts = a.ts;
                g.last_message = a.message;
            }
            g.agents.add(a.agent_id);
            if (a.status !== 'resolved') g.open++;
            if (a.status === 'new') g.new++;
        }
        return [...groups.values()]
            .sort((x, y) => y.last_ts.localeCompare(x.last_ts))
            .slice(0, limit)
            .map((g) => ({ ...g, agents: g.agents.size }));
    }

    add(alert, ip, received_ms) {
        if (alert.id && this.ids.has(alert.id)) return { dup: true, alert: this.ids.get(alert.id) };
        const now = received_ms || Date.now();
        const stored = {
            id: alert.id || randomBytes(8).toString('hex'),
            ts: alert.ts || iso(now),
            received_at: iso(now),
            level: alert.level,
            category: String(alert.category).slice(0, 256),
            message: String(alert.message).slice(0, 4096),
            src: alert.src ? String(alert.src) : '',
            ...(alert.flow ? { flow: alert.flow } : {}),
            agent_id: String(alert.agent_id),
            hostname: String(alert.hostname),
            status: 'new',
            ack_by: null,
            ack_at: null,
            resolved_by: null,
            resolved_at: null,
            seq: this.alerts.length,
            ms: now,
        };
        this.alerts.push(stored);
        this.ids.set(stored.id, stored);
        const agent = this.touch(alert.agent_id, { hostname: alert.hostname, os: alert.os }, ip);
        agent.alert_count++;
        return { dup: false, alert: stored };
    }

    touch(agent_id, fields, ip) {
        const now = iso(Date.now());
        let a = this.agents.get(agent_id);
        if (!a) {
            a = { agent_id, hostname: '', ip, os: '', version: '', first_seen: now, last_seen: now, alert_count: 0, packets: 0, bytes: 0, capture_drops: 0, spool_depth: 0, spool_dropped: 0, uptime_s: 0 };
            this.agents.set(agent_id, a);
        }
        for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null && v !== '') a[k] = v;
        a.ip = ip;
        a.last_seen = now;
        a.last_ms = Date.now();
        return a;
    }

    agent_list() {
        const now = Date.now();
        return [...this.agents.values()]
            .map(({ last_ms, suppressed_seen, ...rest }) => ({ ...rest, online: now - last_ms < this.offline_after_ms }))
            .sort((a, b) => b.alert_count - a.alert_count);
    }

    public_alert(a) {
        const { seq, ms, ...rest } = a;
        return rest;
    }

    stats() {
        const by_level = {};
        const recent = {};
        const cats = new Map();
        const srcs = new Map();
        const recent_from = Date.now() - 15 * 60000;
        for (const a of this.alerts) {
            by_level[a.level] = (by_level[a.level] || 0) + 1;
            if (a.ms >= recent_from) recent[a.level] = (recent[a.level] || 0) + 1;
            cats.set(a.category, (cats.get(a.category) || 0) + 1);
            if (a.src) srcs.set(a.src, (srcs.get(a.src) || 0) + 1);
        }
        return { total: this.alerts.length, by_level, by_category: top_n(cats, 20), top_sources: top_n(srcs, 10), recent_by_level: recent, suppressed_total: this.suppressed_total };
    }

    timeline() {
        const out = new Array(60).fill(0);
        const now_min = Math.floor(Date.now() / 60000);
        for (let i = this.alerts.length - 1; i >= 0; i--) {
            const age = now_min - Math.floor(this.alerts[i].ms / 60000);
            if (age >= 60) break;
            if (age >= 0) out[59 - age]++;
        }
        return out;
    }

    query(params) {
        const keep = this.filter(params);
        const before = params.has('before') ? Number(params.get('before')) : this.alerts.length;
        const limit = Math.min(1000, Math.max(1, Number(params.get('limit')) || 100));
        const out = [];
        let i = Math.min(before, this.alerts.length) - 1;
        for (; i >= 0 && out.length < limit; i--) {
            const a = this.alerts[i];
            if (!keep(a)) continue;
            out.push(a);
        }
        return { alerts: out.map((a) => this.public_alert(a)), next: i >= 0 && out.length === limit ? String(out[out.length - 1].seq) : null };
    }
}

function send_json(res, status, body, headers = {}) {
    const data = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...headers });
    res.end(data);
}

function read_body(req, limit = 1 << 20) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        req.on('data', (c) => {
            size += c.length;
            if (size > limit) {
                reject(new Error('too large'));
                req.destroy();
            } else chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
    });
}

function ws_frame(text) {
    const payload = Buffer.from(text);
    let header;
    if (payload.length < 126) header = Buffer.from([0x81, payload.length]);
    else if (payload.length < 65536) {
        header = Buffer.alloc(4);
        header[0] = 0x81;
        header[1] = 126;
        header.writeUInt16BE(payload.length, 2);
    } else {
        header = Buffer.alloc(10);
        header[0] = 0x81;
        header[1] = 127;
        header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    return Buffer.concat([header, payload]);
}

export async function start_mock({ dist_dir, cert, key, password = 'admin-pass', api_key = 'test-key', offline_after_s = 90 }) {
    const store = new Store(offline_after_s);
    const users = new Map([['admin', { name: 'admin', password, role: 'admin', created_at: iso(Date.now()) }]]);
    const sessions = new Map();  // sid -> user name
    const tokens = new Map();  // id -> {id, name, user, created_at, last_used, secret}
    let next_token_id = 1;
    const rules = new Map();  // id -> rule (hits kept here)
    let next_rule_id = 1;
    let rules_version = 1;
    const audit = [];  // oldest first
    const clients = new Map();  // socket -> user name
    let pending_alerts = [];
    let flush_timer = null;
    let rules_timer = null;
    const requests = [];  // every GUI request path, for tests

    const broadcast = (msg) => {
        const frame = ws_frame(JSON.stringify(msg));
        for (const sock of clients.keys()) sock.write(frame);
    };
    const flush = () => {
        flush_timer = null;
        if (pending_alerts.length > 0) {
            broadcast({ type: 'alerts', alerts: pending_alerts.reverse() });
            pending_alerts = [];
        }
        broadcast({ type: 'stats', stats: store.stats() });
        broadcast({ type: 'timeline', timeline: store.timeline() });
        broadcast({ type: 'agents', agents: store.agent_list() });
    };
    const schedule_flush = () => {
        if (!flush_timer) flush_timer = setTimeout(flush, 100);
    };
    const public_rule = (r) => ({ ...r, expired: rule_expired(r, Date.now()), hits: r.hits_server + r.hits_agents });
    const rule_list = () => [...rules.values()].map(public_rule);
    const push_rules = () => broadcast({ type: 'suppressions', rules: rule_list(), version: rules_version });
    // Hit counts change often: pushed at most once per second.
    const schedule_rules_push = () => {
        if (!rules_timer) {
            rules_timer = setTimeout(() => {
                rules_timer = null;
                push_rules();
            }, 1000);
        }
    };
    const record = (who, ip, action, target, detail = '') => {
        audit.push({ id: audit.length + 1, ts: iso(Date.now()), user: who, ip, action, target, detail });
    };
    // Applies the live rules to an incoming alert; true when suppressed (not stored, counted).
    const suppress = (alert) => {
        const now = Date.now();
        for (const r of rules.values()) {
            if (rule_matches(r, alert, now)) {
                r.hits_server++;
                r.last_hit = iso(now);
                store.suppressed_total++;
                schedule_rules_push();
                schedule_flush();
                return true;
            }
        }
        return false;
    };
    const ingest = (alert, ip) => {
        if (suppress(alert)) return { suppressed: true, alert: { id: alert.id } };
        const r = store.add(alert, ip);
        if (!r.dup) {
            pending_alerts.push(store.public_alert(r.alert));
            schedule_flush();
        }
        return r;
    };

    // The server pushes "agents" itself when an agent crosses the offline threshold (F13).
    let last_online = new Map();
    const offline_timer = setInterval(() => {
        const list = store.agent_list();
        let changed = false;
        for (const a of list) if (last_online.get(a.agent_id) !== a.online) changed = true;
        last_online = new Map(list.map((a) => [a.agent_id, a.online]));
        if (changed) broadcast({ type: 'agents', agents: list });
    }, 250);

    const session_of = (req) => {
        const m = /(?:^|;\s*)ns_session=([^;]+)/.exec(req.headers.cookie || '');
        return m && sessions.has(m[1]) && users.has(sessions.get(m[1])) ? m[1] : null;
    };
    // Session cookie or Bearer token -> {user, role, sid}; null when neither is valid.
    const identity_of = (req) => {
        const sid = session_of(req);
        if (sid) {
            const u = users.get(sessions.get(sid));
            return { user: u.name, role: u.role, sid };
        }
        const m = /^Bearer\s+(\S+)$/.exec(req.headers.authorization || '');
        if (m) {
            for (const t of tokens.values()) {
                if (t.secret === m[1] && users.has(t.user)) {
                    t.last_used = iso(Date.now());
                    return { user: t.user, role: users.get(t.user).role, sid: null };
                }
            }
        }
        return null;
    };
    const public_token = (t) => ({ id: t.id, name: t.name, user: t.user, role: users.get(t.user)?.role || 'viewer', created_at: t.created_at, last_used: t.last_used });

    // Acknowledge or resolve by ids or by group; returns the number of alerts changed.
    const update_alerts = (body, status, who) => {
        const at = iso(Date.now());
        const changed = [];
        const apply = (a) => {
            if (status === 'acknowledged' && a.status !== 'new') return;
            if (status === 'resolved' && a.status === 'resolved') return;
            if (!a.ack_by) {
                a.ack_by = who;
                a.ack_at = at;
            }
            if (status === 'resolved') {
                a.resolved_by = who;
                a.resolved_at = at;
            }
            a.status = status;
            changed.push(a);
        };
        if (Array.isArray(body.ids)) {
            for (const id of body.ids) {
                const a = store.ids.get(String(id));
                if (a) apply(a);
            }
            if (changed.length > 0) broadcast({ type: 'alert_update', updates: changed.map((a) => ({ id: a.id, status: a.status, ack_by: a.ack_by, ack_at: a.ack_at, resolved_by: a.resolved_by, resolved_at: a.resolved_at })) });
        } else {
            const g = body.group;
            for (const a of store.alerts) if (a.category === g.category && a.src === g.src) apply(a);
            if (changed.length > 0) broadcast({ type: 'alert_update', group: { category: g.category, src: g.src }, status, by: who, at });
        }
        return changed.length;
    };

    const handle_api = async (req, res, url) => {
        const ip = (req.socket.remoteAddress || '').replace(/^::ffff:/, '');
        const read_json = async () => {
            try {
                const body = JSON.parse(await read_body(req));
                return body && typeof body === 'object' && !Array.isArray(body) ? body : null;
            } catch (err) {
                return null;
            }
        };
        const p = url.pathname;
        if (p === '/api/login' && req.method === 'POST') {
            const body = await read_json();
            if (!body) return send_json(res, 400, { error: 'Bad request' });
            const u = users.get(String(body.username));
            if (!u || u.password !== body.password) {
                record(String(body.username || ''), ip, 'login_failed', String(body.username || ''));
                return send_json(res, 401, { error: 'Invalid credentials' });
            }
            const sid = randomBytes(16).toString('hex');
            sessions.set(sid, u.name);
            record(u.name, ip, 'login', u.name);
            return send_json(res, 200, { ok: true, user: u.name, role: u.role }, { 'Set-Cookie': `ns_session=${sid}; HttpOnly; Secure; SameSite=Strict; Path=/` });
        }
        const who = identity_of(req);
        if (!who) return send_json(res, 401, { error: 'Unauthorized' });
        const is_get = req.method === 'GET';
        const admin_only = () => send_json(res, 403, { error: 'Forbidden: admin role required' });
        if (p === '/api/logout' && req.method === 'POST') {
            if (who.sid) sessions.delete(who.sid);
            record(who.user, ip, 'logout', who.user);
            return send_json(res, 200, { ok: true }, { 'Set-Cookie': 'ns_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0' });
        }
        if (p === '/api/me' && is_get) return send_json(res, 200, { user: who.user, role: who.role });
        if (p === '/api/me/password' && req.method === 'POST') {
            const body = await read_json();
            const u = users.get(who.user);
            if (!body || typeof body.new !== 'string') return send_json(res, 400, { error: 'Bad request' });
            if (body.old !== u.password) return send_json(res, 403, { error: 'old: wrong password' });
            if (body.new.length < 10) return send_json(res, 422, { error: 'new: at least 10 characters' });
            u.password = body.new;
            record(who.user, ip, 'password_change', who.user);
            return send_json(res, 200, { ok: true });
        }
        if (p === '/api/state' && is_get) {
            const alerts = store.alerts.slice(-500).reverse().map((a) => store.public_alert(a));
            return send_json(res, 200, { alerts, stats: store.stats(), agents: store.agent_list(), timeline: store.timeline() });
        }
        if (p === '/api/alerts' && is_get) return send_json(res, 200, store.query(url.searchParams));
        if (p === '/api/alert-groups' && is_get) return send_json(res, 200, { groups: store.groups(url.searchParams) });
        if ((p === '/api/alerts/ack' || p === '/api/alerts/resolve') && req.method === 'POST') {
            if (who.role !== 'admin') return admin_only();
            const body = await read_json();
            if (!body) return send_json(res, 400, { error: 'Bad request' });
            const by_ids = Array.isArray(body.ids) && body.ids.length > 0 && body.ids.every((x) => typeof x === 'string');
            const by_group = body.group && typeof body.group === 'object' && typeof body.group.category === 'string' && typeof body.group.src === 'string';
            if (by_ids === by_group) return send_json(res, 400, { error: 'ids: expected a non-empty array of alert ids, or group: {category, src}' });
            const status = p.endsWith('ack') ? 'acknowledged' : 'resolved';
            const updated = update_alerts(body, status, who.user);
            const target = by_ids ? body.ids.join(',') : `${body.group.category} ${body.group.src}`;
            record(who.user, ip, status === 'resolved' ? 'alert_resolve' : 'alert_ack', target, `${updated} alerts`);
            return send_json(res, 200, { ok: true, updated });
        }
        if (p === '/api/agents' && is_get) return send_json(res, 200, store.agent_list());
        if (p === '/api/alerts/export' && is_get) {
            const format = url.searchParams.get('format') || 'json';
            const all = store.alerts.slice().reverse().map((a) => store.public_alert(a));
            let body;
            if (format === 'csv') {
                const cols = ['id', 'ts', 'received_at', 'level', 'category', 'message', 'src', 'agent_id', 'hostname'];
                const q = (v) => `"${String(v ?? '').replace(/"/g, '""')}"`;
                body = [cols.join(','), ...all.map((a) => cols.map((c) => q(a[c])).join(','))].join('\r\n') + '\r\n';
            } else body = JSON.stringify(all, null, 2);
            res.writeHead(200, { 'Content-Type': format === 'csv' ? 'text/csv' : 'application/json', 'Content-Disposition': `attachment; filename=netsentinel-alerts.${format}` });
            return res.end(body);
        }
        if (p === '/api/suppressions' && is_get) return send_json(res, 200, { rules: rule_list(), version: rules_version });
        if (p === '/api/suppressions' && req.method === 'POST') {
            if (who.role !== 'admin') return admin_only();
            const body = await read_json();
            if (!body) return send_json(res, 400, { error: 'Bad request' });
            const now = Date.now();
            const v = validate_rule(body, now);
            if (v.error) return send_json(res, 422, { error: v.error });
            const rule = { id: next_rule_id++, ...v.rule, created_by: who.user, created_at: iso(now), hits_server: 0, hits_agents: 0, last_hit: null };
            rules.set(rule.id, rule);
            rules_version++;
            const week = now - 7 * 86400000;
            let would = 0;
            for (const a of store.alerts) if (a.ms >= week && rule_matches(rule, a, now)) would++;
            record(who.user, ip, 'rule_create', String(rule.id), JSON.stringify(v.rule));
            push_rules();
            const out = { ok: true, rule: public_rule(rule), would_have_matched: would };
            if (would === 0) out.warning = 'This rule matches no alert seen in the last 7 days';
            return send_json(res, 201, out);
        }
        let m = /^\/api\/suppressions\/(\d+)$/.exec(p);
        if (m && req.method === 'DELETE') {
            if (who.role !== 'admin') return admin_only();
            if (!rules.delete(Number(m[1]))) return send_json(res, 404, { error: 'Not found' });
            rules_version++;
            record(who.user, ip, 'rule_delete', m[1]);
            push_rules();
            return send_json(res, 200, { ok: true });
        }
        if (p === '/api/users' && is_get) {
            if (who.role !== 'admin') return admin_only();
            return send_json(res, 200, { users: [...users.values()].map((u) => ({ name: u.name, role: u.role, created_at: u.created_at })) });
        }
        if (p === '/api/users' && req.method === 'POST') {
            if (who.role !== 'admin') return admin_only();
            const body = await read_json();
            if (!body) return send_json(res, 400, { error: 'Bad request' });
            if (typeof body.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(body.name)) return send_json(res, 422, { error: 'name: 1-64 characters of A-Z a-z 0-9 _ . -' });
            if (typeof body.password !== 'string' || body.password.length < 10) return send_json(res, 422, { error: 'password: at least 10 characters' });
            if (body.role !== 'admin' && body.role !== 'viewer') return send_json(res, 422, { error: 'role: expected admin or viewer' });
            if (users.has(body.name)) return send_json(res, 409, { error: 'name: user already exists' });
            const u = { name: body.name, password: body.password, role: body.role, created_at: iso(Date.now()) };
            users.set(u.name, u);
            record(who.user, ip, 'user_create', u.name, u.role);
            return send_json(res, 201, { ok: true, user: { name: u.name, role: u.role, created_at: u.created_at } });
        }
        m = /^\/api\/users\/([^/]+)$/.exec(p);
        if (m && req.method === 'DELETE') {
            if (who.role !== 'admin') return admin_only();
            const name = decodeURIComponent(m[1]);
            const u = users.get(name);
            if (!u) return send_json(res, 404, { error: 'Not found' });
            if (name === who.user) return send_json(res, 409, { error: 'name: you cannot delete yourself' });
            if (u.role === 'admin' && [...users.values()].filter((x) => x.role === 'admin').length === 1) return send_json(res, 409, { error: 'name: the last admin cannot be deleted' });
            users.delete(name);
            for (const [sid, n] of sessions) if (n === name) sessions.delete(sid);
            for (const [id, t] of tokens) if (t.user === name) tokens.delete(id);
            for (const [sock, n] of clients) if (n === name) sock.destroy();
            record(who.user, ip, 'user_delete', name);
            return send_json(res, 200, { ok: true });
        }
        if (p === '/api/tokens' && is_get) {
            const list = [...tokens.values()].filter((t) => who.role === 'admin' || t.user === who.user).map(public_token);
            return send_json(res, 200, { tokens: list });
        }
        if (p === '/api/tokens' && req.method === 'POST') {
            const body = await read_json();
            if (!body) return send_json(res, 400, { error: 'Bad request' });
            if (typeof body.name !== 'string' || body.name.trim().length === 0 || body.name.length > 64) return send_json(res, 422, { error: 'name: 1-64 characters' });
            const t = { id: String(next_token_id++), name: body.name.trim(), user: who.user, created_at: iso(Date.now()), last_used: null, secret: `nst_${randomBytes(24).toString('hex')}` };
            tokens.set(t.id, t);
            record(who.user, ip, 'token_create', t.id, t.name);
            return send_json(res, 201, { ok: true, token: t.secret, ...public_token(t) });
        }
        m = /^\/api\/tokens\/([^/]+)$/.exec(p);
        if (m && req.method === 'DELETE') {
            const t = tokens.get(decodeURIComponent(m[1]));
            if (!t || (t.user !== who.user && who.role !== 'admin')) return send_json(res, 404, { error: 'Not found' });
            tokens.delete(t.id);
            record(who.user, ip, 'token_delete', t.id, t.name);
            return send_json(res, 200, { ok: true });
        }
        if (p === '/api/audit' && is_get) {
            if (who.role !== 'admin') return admin_only();
            const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit')) || 100));
            const before = url.searchParams.has('before') ? Number(url.searchParams.get('before')) : audit.length + 1;
            const entries = audit.filter((e) => e.id < before).slice(-limit).reverse();
            const last = entries[entries.length - 1];
            return send_json(res, 200, { entries, next: last && last.id > 1 ? String(last.id) : null });
        }
        return send_json(res, 404, { error: 'Not found' });
    };

    const gui = https.createServer({ cert, key }, async (req, res) => {
        const url = new URL(req.url, 'https://localhost');
        requests.push(url.pathname);
        if (!url.pathname.startsWith('/api/')) {
            const rel = url.pathname === '/' ? '/index.html' : url.pathname;
            const file = path.join(dist_dir, path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
            if (!file.startsWith(dist_dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send_json(res, 404, { error: 'Not found' });
            const immutable = rel.startsWith('/assets/');
            res.writeHead(200, { 'Content-Type': kTypes[path.extname(file)] || 'application/octet-stream', 'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache', 'Content-Security-Policy': "default-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'" });
            return res.end(fs.readFileSync(file));
        }
        try {
            await handle_api(req, res, url);
        } catch (err) {
            if (!res.headersSent) send_json(res, 500, { error: 'Internal error' });
        }
    });

    gui.on('upgrade', (req, socket) => {
        const url = new URL(req.url, 'https://localhost');
        const origin_ok = req.headers.origin === `https://${req.headers.host}`;
        const sid = session_of(req);
        if (url.pathname !== '/ws' || !sid || !origin_ok || live_blocked) {
            socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
            return;
        }
        const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        clients.set(socket, sessions.get(sid));
        socket.write(ws_frame(JSON.stringify({ type: 'hello', user: sessions.get(sid) })));
        socket.on('data', (buf) => {
            if (buf.length >= 1 && (buf[0] & 0x0f) === 0x8) socket.end(Buffer.from([0x88, 0]));
        });
        socket.on('close', () => clients.delete(socket));
        socket.on('error', () => clients.delete(socket));
    });

    const check_alert = (a) => {
        for (const f of ['level', 'category', 'message', 'agent_id', 'hostname']) if (!a[f]) return 'Missing fields';
        if (!kLevels.includes(a.level)) return 'Invalid level';
        return null;
    };
    const agent = https.createServer({ cert, key }, async (req, res) => {
        if (req.headers['x-api-key'] !== api_key) return send_json(res, 401, { error: 'Unauthorized' });
        let body;
        try {
            body = JSON.parse(await read_body(req));
        } catch (err) {
            return send_json(res, 400, { error: 'Bad request' });
        }
        const ip = (req.socket.remoteAddress || '').replace(/^::ffff:/, '');
        if (req.url === '/api/alert' && req.method === 'POST') {
            const error = check_alert(body);
            if (error) return send_json(res, error === 'Invalid level' ? 422 : 400, { error });
            const r = ingest(body, ip);
            return send_json(res, 201, { ok: true, id: r.alert.id });
        }
        if (req.url === '/api/alerts' && req.method === 'POST') {
            if (!body || !Array.isArray(body.alerts)) return send_json(res, 400, { error: 'Bad request' });
            const out = { ok: true, accepted: [], duplicates: [], rejected: [], suppressed: [] };
            for (const a of body.alerts) {
                const error = check_alert(a);
                if (error) {
                    out.rejected.push({ id: a.id, error });
                    continue;
                }
                const r = ingest(a, ip);
                if (r.suppressed) {
                    out.accepted.push(a.id);
                    out.suppressed.push(a.id);
                } else (r.dup ? out.duplicates : out.accepted).push(r.alert.id);
            }
            return send_json(res, 201, out);
        }
        if (req.url === '/api/agent/heartbeat' && req.method === 'POST') {
            if (!body.agent_id) return send_json(res, 400, { error: 'Missing fields' });
            const { agent_id, anomalies, suppressed, ...fields } = body;
            const a = store.touch(agent_id, fields, ip);
            // Per-rule counts since the agent started: deltas go to hits_agents (a smaller value
            // means the agent restarted).
            if (suppressed && typeof suppressed === 'object') {
                a.suppressed_seen = a.suppressed_seen || {};
                let changed = false;
                for (const [id, n] of Object.entries(suppressed)) {
                    const prev = a.suppressed_seen[id] || 0;
                    const delta = Number(n) >= prev ? Number(n) - prev : Number(n);
                    a.suppressed_seen[id] = Number(n);
                    const r = rules.get(Number(id));
                    if (r && delta > 0) {
                        r.hits_agents += delta;
                        r.last_hit = iso(Date.now());
                        store.suppressed_total += delta;
                        changed = true;
                    }
                }
                a.suppressed = Object.values(a.suppressed_seen).reduce((x, y) => x + y, 0);
                if (changed) schedule_rules_push();
            }
            schedule_flush();
            return send_json(res, 200, { ok: true, suppressions_version: rules_version });
        }
        return send_json(res, 404, { error: 'Not found' });
    });

    // Test helper: store alerts directly (bulk seeding for the 100k check), without broadcasting.
    const seed = (count, make) => {
        for (let i = 0; i < count; i++) {
            const a = make(i);
            store.add(a, '127.0.0.1', Date.parse(a.ts));
        }
    };
    let live_blocked = false;
    const set_live_blocked = (blocked) => {
        live_blocked = blocked;
        if (blocked) for (const s of clients.keys()) s.destroy();
    };
    const inject = (alert) => ingest(alert, '127.0.0.1');

    await new Promise((r) => gui.listen(0, '127.0.0.1', r));
    await new Promise((r) => agent.listen(0, '127.0.0.1', r));
    return {
        gui_port: gui.address().port,
        agent_port: agent.address().port,
        requests,
        seed,
        inject,
        set_live_blocked,
        close: () => {
            clearInterval(offline_timer);
            clearTimeout(flush_timer);
            clearTimeout(rules_timer);
            for (const s of clients.keys()) s.destroy();
            gui.close();
            agent.close();
            gui.closeAllConnections?.();
            agent.closeAllConnections?.();
        },
    };
}
