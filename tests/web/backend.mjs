// The server side of the browser test: the in-process mock, or the real sentinel-server started
// on free loopback ports with a temporary data directory and certificates made with openssl.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

import { start_mock } from './mock_server.mjs';

const run = promisify(execFile);
const kPassword = 'test-admin-passphrase';
const kApiKey = 'test-agent-key-0123456789';

async function make_certs(dir) {
    const key = path.join(dir, 'server.key');
    const cert = path.join(dir, 'server.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    return { key, cert };
}

async function curl_post(url, body) {
    const { stdout } = await run('curl', ['-sk', '--max-time', '10', '-o', '-', '-w', '\n%{http_code}', '-X', 'POST', url, '-H', `X-API-Key: ${kApiKey}`, '-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body)]);
    const lines = stdout.trimEnd().split('\n');
    const status = Number(lines.pop());
    if (status < 200 || status >= 300) throw new Error(`POST ${url} answered ${status}: ${lines.join('\n')}`);
    return lines.join('\n');
}

export async function free_port() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
        srv.on('error', reject);
    });
}

const kBulk = 100000;
function bulk_alert(i) {
    return {
        id: `bulk-${i}`,
        ts: new Date(Date.now() - (kBulk - i) * 1000).toISOString(),
        level: ['LOW', 'INFO', 'MEDIUM'][i % 3],
        category: ['PORT SCAN', 'DNS TUNNEL', 'EXFILTRATION'][i % 3],
        message: i === 0 ? 'oldest stored alert zyzzyva' : `stored alert ${i}`,
        agent_id: 'agent-alpha',
        hostname: 'alpha-host',
        src: `10.1.${(i >> 8) & 255}.${i & 255}`,
    };
}

async function start_mock_backend({ tmp, dist_dir, offline_after_s }) {
    const { key, cert } = await make_certs(tmp);
    const mock = await start_mock({ dist_dir, cert: fs.readFileSync(cert), key: fs.readFileSync(key), password: kPassword, api_key: kApiKey, offline_after_s });
    const agent_url = `https://127.0.0.1:${mock.agent_port}`;
    return {
        origin: `https://127.0.0.1:${mock.gui_port}`,
        password: kPassword,
        post_alert: (a) => curl_post(`${agent_url}/api/alert`, a),
        heartbeat: (h) => curl_post(`${agent_url}/api/agent/heartbeat`, h),
        seed_bulk: async () => {
            mock.seed(kBulk, bulk_alert);
            return { count: kBulk, oldest_word: 'zyzzyva' };
        },
        post_batch: async (alerts) => {
            for (const a of alerts) mock.inject(a);
        },
        interrupt_live: async (during) => {
            mock.set_live_blocked(true);
            await during();
            await new Promise((r) => setTimeout(r, 500));
            mock.set_live_blocked(false);
        },
        stop: async () => mock.close(),
    };
}

// The real server: config keys from src/config/config.h, admin password from the environment.
async function start_server_backend({ tmp, server, offline_after_s }) {
    if (!server || !fs.existsSync(server)) throw new Error(`sentinel-server not found at ${server}`);
    const { key, cert } = await make_certs(tmp);
    const gui_port = await free_port();
    const agent_port = await free_port();
    const config = path.join(tmp, 'sentinel_config.json');
    fs.writeFileSync(config, JSON.stringify({
        server_host: '127.0.0.1',
        gui_port,
        agent_port,
        agent_rate_limit: 1000000,
        agent_rate_window: 1,
        redirect_port: 0,
        api_key: kApiKey,
        server_cert: cert,
        server_key: key,
        data_dir: path.join(tmp, 'data'),
        agent_offline_after: offline_after_s,
    }, null, 2));
    let child = null;
    let log = '';
    const origin = `https://127.0.0.1:${gui_port}`;
    const start = async () => {
        child = spawn(server, ['--config', config], { env: { ...process.env, SENTINEL_ADMIN_PASSWORD: kPassword }, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (d) => (log += d));
        child.stderr.on('data', (d) => (log += d));
        for (let i = 0; i < 200; i++) {
            if (child.exitCode !== null) throw new Error(`sentinel-server exited with ${child.exitCode}:\n${log}`);
            try {
                await run('curl', ['-sk', '--max-time', '1', '-o', '/dev/null', `${origin}/`]);
                return;
            } catch (err) {
                await new Promise((r) => setTimeout(r, 100));
            }
        }
        throw new Error(`sentinel-server did not open ${origin}:\n${log}`);
    };
    const stop = async () => {
        if (!child || child.exitCode !== null) return;
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        await done;
        clearTimeout(timer);
    };
    await start();
    const agent_url = `https://127.0.0.1:${agent_port}`;
    return {
        origin,
        password: kPassword,
        post_alert: (a) => curl_post(`${agent_url}/api/alert`, a),
        heartbeat: (h) => curl_post(`${agent_url}/api/agent/heartbeat`, h),
        seed_bulk: async () => {
            // Batches of 500 through the agent API, as the real agent ships them.
            const count = Number(process.env.SENTINEL_WEB_BULK || 20000);
            for (let start_i = 0; start_i < count; start_i += 500) {
                const alerts = [];
                for (let i = start_i; i < Math.min(count, start_i + 500); i++) alerts.push(bulk_alert(i));
                await curl_post(`${agent_url}/api/alerts`, { alerts });
            }
            return { count, oldest_word: 'zyzzyva' };
        },
        post_batch: (alerts) => curl_post(`${agent_url}/api/alerts`, { alerts }),
        interrupt_live: async (during) => {
            await stop();
            await during();
            await start();
        },
        stop,
        log: () => log,
    };
}

export async function start_backend(kind, opts) {
    if (kind === 'mock') return start_mock_backend(opts);
    if (kind === 'server') return start_server_backend(opts);
    throw new Error(`unknown backend ${kind}`);
}
