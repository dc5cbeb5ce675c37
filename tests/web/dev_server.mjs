// Serves the built dashboard with the mock API on a fixed local port for manual development:
//   node tests/web/dev_server.mjs build/dev/src/web/dist
// Login: admin / admin-pass. Posts a few alerts per second from two fake agents.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { start_mock } from './mock_server.mjs';

const dist = path.resolve(process.argv[2] || 'build/dev/src/web/dist');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-dev-'));
const key = path.join(tmp, 'k.pem');
const cert = path.join(tmp, 'c.pem');
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
const mock = await start_mock({ dist_dir: dist, cert: fs.readFileSync(cert), key: fs.readFileSync(key), offline_after_s: 30 });
const levels = ['CRITICAL', 'HIGH', 'MEDIUM', 'MEDIUM', 'LOW', 'LOW', 'INFO', 'INFO', 'INFO'];
const cats = ['PORT SCAN', 'SYN FLOOD', 'BRUTE FORCE', 'DNS TUNNEL', 'ARP SPOOF', 'EXFILTRATION', 'SUSPICIOUS PORT', 'VT REPUTATION'];
mock.seed(5000, (i) => ({ ts: new Date(Date.now() - (5000 - i) * 700).toISOString(), level: levels[i % levels.length], category: cats[i % cats.length], message: `seeded event ${i}`, agent_id: i % 2 ? 'lab-a' : 'lab-b', hostname: i % 2 ? 'sensor-a' : 'sensor-b', src: `203.0.113.${i % 40}` }));
let n = 0;
setInterval(() => {
    n++;
    mock.inject({ level: levels[n % levels.length], category: cats[n % cats.length], message: `live event ${n}`, agent_id: 'lab-a', hostname: 'sensor-a', src: `198.51.100.${n % 20}` });
}, 400);
console.log(`dashboard: https://127.0.0.1:${mock.gui_port}/  agent API: https://127.0.0.1:${mock.agent_port}/ (X-API-Key: test-key)`);
