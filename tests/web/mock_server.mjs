// A stand-in for sentinel-server that implements docs/api.md's GUI and agent routes with
// in-memory data, so the dashboard can be developed and tested before (or without) the real
// server. Node built-ins only; the WebSocket is a minimal RFC 6455 server (text frames out,
// close/ping in).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

const kLevels = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
const kTypes = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.txt': 'text/plain' };

function iso(ms) {
    return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

function top_n(map, n) {
    return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

class Store {
    constructor(offline_after_s) {
        this.alerts = [];  // oldest first; index = sequence
        this.ids = new Map();
        this.agents = new Map();
        this.offline_after_ms = offline_after_s * 1000;
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
            agent_id: String(alert.agent_id),
            hostname: String(alert.hostname),
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
            .map(({ last_ms, ...rest }) => ({ ...rest, online: now - last_ms < this.offline_after_ms }))
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
        return { total: this.alerts.length, by_level, by_category: top_n(cats, 20), top_sources: top_n(srcs, 10), recent_by_level: recent };
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
        const level = params.get('level');
        const q = (params.get('q') || '').toLowerCase();
        const before = params.has('before') ? Number(params.get('before')) : this.alerts.length;
        const until = params.get('until');
        const limit = Math.min(1000, Math.max(1, Number(params.get('limit')) || 100));
        const out = [];
        let i = Math.min(before, this.alerts.length) - 1;
        for (; i >= 0 && out.length < limit; i--) {
            const a = this.alerts[i];
            if (level && a.level !== level) continue;
            if (until && a.ts > until) continue;
            if (q && !`${a.category}\n${a.message}\n${a.src}\n${a.hostname}`.toLowerCase().includes(q)) continue;
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
    const sessions = new Set();
    const clients = new Set();
    let pending_alerts = [];
    let flush_timer = null;
    const requests = [];  // every GUI request path, for tests

    const broadcast = (msg) => {
        const frame = ws_frame(JSON.stringify(msg));
        for (const sock of clients) sock.write(frame);
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
        return m && sessions.has(m[1]) ? m[1] : null;
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
        if (url.pathname === '/api/login' && req.method === 'POST') {
            let body;
            try {
                body = JSON.parse(await read_body(req));
            } catch (err) {
                return send_json(res, 400, { error: 'Bad request' });
            }
            if (body.username !== 'admin' || body.password !== password) return send_json(res, 401, { error: 'Invalid credentials' });
            const sid = randomBytes(16).toString('hex');
            sessions.add(sid);
            return send_json(res, 200, { ok: true, user: 'admin', role: 'admin' }, { 'Set-Cookie': `ns_session=${sid}; HttpOnly; Secure; SameSite=Strict; Path=/` });
        }
        const sid = session_of(req);
        if (!sid) return send_json(res, 401, { error: 'Unauthorized' });
        if (url.pathname === '/api/logout' && req.method === 'POST') {
            sessions.delete(sid);
            return send_json(res, 200, { ok: true }, { 'Set-Cookie': 'ns_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0' });
        }
        if (url.pathname === '/api/me') return send_json(res, 200, { user: 'admin', role: 'admin' });
        if (url.pathname === '/api/state') {
            const alerts = store.alerts.slice(-500).reverse().map((a) => store.public_alert(a));
            return send_json(res, 200, { alerts, stats: store.stats(), agents: store.agent_list(), timeline: store.timeline() });
        }
        if (url.pathname === '/api/alerts') return send_json(res, 200, store.query(url.searchParams));
        if (url.pathname === '/api/agents') return send_json(res, 200, store.agent_list());
        if (url.pathname === '/api/alerts/export') {
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
        return send_json(res, 404, { error: 'Not found' });
    });

    gui.on('upgrade', (req, socket) => {
        const url = new URL(req.url, 'https://localhost');
        const origin_ok = req.headers.origin === `https://${req.headers.host}`;
        if (url.pathname !== '/ws' || !session_of(req) || !origin_ok || live_blocked) {
            socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
            return;
        }
        const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        clients.add(socket);
        socket.write(ws_frame(JSON.stringify({ type: 'hello', user: 'admin' })));
        socket.on('data', (buf) => {
            if (buf.length >= 1 && (buf[0] & 0x0f) === 0x8) socket.end(Buffer.from([0x88, 0]));
        });
        socket.on('close', () => clients.delete(socket));
        socket.on('error', () => clients.delete(socket));
    });

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
            for (const f of ['level', 'category', 'message', 'agent_id', 'hostname']) if (!body[f]) return send_json(res, 400, { error: 'Missing fields' });
            if (!kLevels.includes(body.level)) return send_json(res, 422, { error: 'Invalid level' });
            const r = store.add(body, ip);
            if (!r.dup) {
                pending_alerts.push(store.public_alert(r.alert));
                schedule_flush();
            }
            return send_json(res, 201, { ok: true, id: r.alert.id });
        }
        if (req.url === '/api/agent/heartbeat' && req.method === 'POST') {
            if (!body.agent_id) return send_json(res, 400, { error: 'Missing fields' });
            const { agent_id, anomalies, ...fields } = body;
            store.touch(agent_id, fields, ip);
            schedule_flush();
            return send_json(res, 200, { ok: true });
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
        if (blocked) for (const s of clients) s.destroy();
    };
    const inject = (alert) => {
        const r = store.add(alert, '127.0.0.1');
        pending_alerts.push(store.public_alert(r.alert));
        schedule_flush();
    };

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
            for (const s of clients) s.destroy();
            gui.close();
            agent.close();
            gui.closeAllConnections?.();
            agent.closeAllConnections?.();
        },
    };
}
