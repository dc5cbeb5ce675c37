// Browser test of the dashboard: Debian's chromium driven by playwright-core against either the
// mock server (tests/web/mock_server.mjs) or the real sentinel-server, on loopback ports with a
// temporary directory. Alerts and heartbeats reach the agent port with curl, as an agent would.
//
// Environment: SENTINEL_WEB_NPM_DIR (where npm ci put node_modules), SENTINEL_WEB_DIST (the built
// dashboard), SENTINEL_WEB_ARTIFACTS (screenshots), SENTINEL_WEB_BACKEND (mock|server),
// SENTINEL_SERVER (path of sentinel-server when the backend is "server").
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { start_backend } from './backend.mjs';
import { launch_chromium } from './browser.mjs';
import { check, check_page_stayed_home, checked_screenshot, finish, step } from './checks.mjs';

const run = promisify(execFile);
const env = process.env;
const artifacts = env.SENTINEL_WEB_ARTIFACTS || path.join(os.tmpdir(), 'sentinel-web-artifacts');
const backend_kind = env.SENTINEL_WEB_BACKEND || 'mock';
const latency_budget_ms = Number(env.SENTINEL_WEB_LATENCY_MS || 1000);
const kOfflineAfter = 3;

if (!env.SENTINEL_WEB_NPM_DIR) {
    console.error('SENTINEL_WEB_NPM_DIR is not set (run through ctest)');
    process.exit(2);
}

let seq = 0;
function alert(fields = {}) {
    seq++;
    return {
        id: `t${Date.now().toString(36)}${seq}`,
        ts: new Date().toISOString(),
        level: 'MEDIUM',
        category: 'PORT SCAN',
        message: `probe ${seq}`,
        agent_id: 'agent-alpha',
        hostname: 'alpha-host',
        src: `198.51.100.${seq % 250}`,
        os: 'Linux 6.1',
        ...fields,
    };
}

async function main() {
    fs.mkdirSync(artifacts, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-web-'));
    const backend = await start_backend(backend_kind, { tmp, dist_dir: env.SENTINEL_WEB_DIST, server: env.SENTINEL_SERVER, offline_after_s: kOfflineAfter });
    const browser = await launch_chromium();
    // launch() already uses a fresh temporary profile (an empty user-data-dir).
    const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    const console_errors = [];
    page.on('pageerror', (e) => console_errors.push(String(e)));
    page.on('console', (m) => {
        if (m.type() === 'error') console_errors.push(m.text());
    });
    const origin = backend.origin;

    try {
        // Data that exists before anyone logs in: two agents, every level, an HTML-looking message.
        await backend.heartbeat({ agent_id: 'agent-alpha', hostname: 'alpha-host', os: 'Linux 6.1', version: '1.2.3', uptime_s: 3600, packets: 123456, bytes: 987654321, capture_drops: 42, alerts: 7, spool_depth: 0, spool_bytes: 0, spool_dropped: 0 });
        await backend.post_alert(alert({ level: 'CRITICAL', category: 'ARP SPOOF', message: 'gateway MAC changed history-crit-marker', src: '10.0.0.1' }));
        await backend.post_alert(alert({ level: 'HIGH', category: 'SYN FLOOD', message: 'syn burst history-high-marker', src: '203.0.113.7' }));
        await backend.post_alert(alert({ level: 'LOW', category: 'DNS TUNNEL', message: 'long name', agent_id: 'agent-beta', hostname: 'beta-host' }));
        await backend.post_alert(alert({ level: 'INFO', category: 'VT CHECK', message: 'lookup done', agent_id: 'agent-beta', hostname: 'beta-host' }));
        const evil = '<img src=x onerror="window.__pwned=1">&amp; &lt;b&gt;bold&lt;/b&gt; "quoted"';
        await backend.post_alert(alert({ level: 'MEDIUM', category: 'SUSPICIOUS PORT', message: evil, src: '192.0.2.99' }));
        const bulk = await backend.seed_bulk();  // many stored alerts: the oldest has a unique word

        await step('login', async () => {
            await page.goto(`${origin}/`);
            await page.waitForSelector('#login:not([hidden])', { timeout: 10000 });
            check(await page.isVisible('#login-form'), 'login page shown without a session');
            await shot(page, 'login', 0.005);
            await page.fill('#login-user', 'admin');
            await page.fill('#login-pass', 'wrong-password');
            await page.click('#login-submit');
            await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
            check((await page.textContent('#login-error')).includes('Invalid credentials'), 'wrong password is refused');
            await page.fill('#login-pass', backend.password);
            await page.click('#login-submit');
            await page.waitForSelector('#app:not([hidden])', { timeout: 5000 });
            await page.waitForFunction(() => document.getElementById('conn').textContent.includes('ONLINE'), null, { timeout: 10000 });
            check(true, 'logged in and live channel ONLINE');
            check((await page.textContent('#user-name')) === 'admin', 'logged-in user shown');
            // This test covers the flat list; the grouped view (the default) is in manage_test.mjs.
            await page.click('.tab[data-tab="feed"]');
            await page.click('#feed-mode-flat');
            check((await page.getAttribute('#feed-mode-flat', 'aria-pressed')) === 'true', 'flat list selected');
            await page.click('.tab[data-tab="overview"]');
        });

        await step('overview', async () => {
            await page.waitForFunction(() => document.getElementById('gauge-label').textContent === 'CRITICAL', null, { timeout: 5000 });
            check(true, 'gauge shows CRITICAL after a recent CRITICAL alert');
            await page.waitForFunction(() => document.getElementById('crit-list').textContent.includes('history-crit-marker'), null, { timeout: 5000 });
            const crit = await page.textContent('#crit-list');
            check(crit.includes('history-high-marker'), 'CRITICAL/HIGH list filled from stored history (D7)');
            const total = await page.textContent('#top-alerts');
            check(Number(total.replace(/,/g, '')) >= 5 + bulk.count, 'header ALERTS shows the stored total', total);
            const bars = await page.$$eval('#top-cats .bar-row', (rows) => rows.length);
            check(bars >= 4, 'top categories bar chart has rows', String(bars));
            const spark = await page.$$eval('#sparkline div', (d) => d.filter((x) => parseFloat(/scaleY\(([\d.e-]+)\)/.exec(x.style.transform)?.[1] || '0') > 0.02).length);
            check(spark >= 1, 'timeline sparkline has a non-empty bar');
            await page.waitForTimeout(1300);  // the gauge's 1.2 s transition
            await shot(page, 'overview');
            // Labels are readable (WCAG AA: 4.5:1) and MEDIUM is not the base amber.
            const contrast = await page.evaluate(() => {
                const rgb = (c) => c.match(/\d+/g).slice(0, 3).map(Number);
                const lum = (c) => {
                    const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
                };
                const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
                const probe = document.createElement('span');
                probe.style.color = 'var(--dim)';
                document.body.append(probe);
                const dim = getComputedStyle(probe).color;
                probe.style.color = 'var(--MEDIUM)';
                const medium = getComputedStyle(probe).color;
                probe.style.color = 'var(--amber)';
                const amber = getComputedStyle(probe).color;
                probe.remove();
                const panel = getComputedStyle(document.body).backgroundColor;
                return { dim: ratio(dim, panel), medium_vs_amber: ratio(medium, amber) };
            });
            check(contrast.dim >= 4.5, 'labels (--dim) have at least 4.5:1 contrast', contrast.dim.toFixed(2));
            check(contrast.medium_vs_amber >= 1.3, 'MEDIUM is told apart from the base amber', contrast.medium_vs_amber.toFixed(2));
            await page.emulateMedia({ reducedMotion: 'reduce' });
            const flicker = await page.evaluate(() => getComputedStyle(document.querySelector('.crt')).animationName);
            check(flicker === 'none', 'no scanline flicker when reduced motion is asked for', flicker);
            await page.emulateMedia({ reducedMotion: 'no-preference' });
        });

        await step('live feed', async () => {
            await page.click('.tab[data-tab="feed"]');
            await page.waitForSelector('#feed-viewport .row:not([hidden])', { timeout: 5000 });
            const rows = await page.$$eval('#feed-viewport .row', (r) => r.length);
            check(rows < 120, 'feed keeps only visible rows in the DOM (virtualised)', `${rows} rows`);
            const marker = `live-marker-${Date.now()}`;
            const posted = Date.now();
            await backend.post_alert(alert({ level: 'HIGH', category: 'BRUTE FORCE', message: `ssh attempts ${marker}` }));
            const after_post = Date.now();
            await page.waitForFunction((m) => [...document.querySelectorAll('#feed-viewport .row:not([hidden])')].some((r) => r.textContent.includes(m)), marker, { timeout: 10000 });
            const latency = Date.now() - after_post;
            console.log(`  info live latency ${latency} ms after the POST returned (POST took ${after_post - posted} ms)`);
            check(latency <= latency_budget_ms, `posted alert shows in the Live Feed within ${latency_budget_ms} ms`, `${latency} ms after the POST returned (POST took ${after_post - posted} ms)`);
            const top = await page.$eval('#feed-viewport .row:not([hidden])', (r) => r.textContent);
            const first = await page.evaluate(() => {
                const rows = [...document.querySelectorAll('#feed-viewport .row:not([hidden])')];
                rows.sort((a, b) => new DOMMatrix(getComputedStyle(a).transform).m42 - new DOMMatrix(getComputedStyle(b).transform).m42);
                return rows[0].textContent;
            });
            check(first.includes(marker), 'newest alert is on top', first || top);
        });

        await step('row detail and safe rendering', async () => {
            await page.fill('#search', 'onerror');
            await page.press('#search', 'Enter');
            await page.waitForFunction(() => {
                const rows = [...document.querySelectorAll('#feed-viewport .row:not([hidden])')];
                return rows.length === 1 && rows[0].textContent.includes('onerror');
            }, null, { timeout: 5000 });
            await page.click('#feed-viewport .row:not([hidden])');
            await page.waitForSelector('#detail:not([hidden])');
            const msg = await page.textContent('#detail-fields dd[data-field="MESSAGE"]');
            check(msg === evil, 'detail shows the exact message text (B11)', msg);
            const src = await page.textContent('#detail-fields dd[data-field="SOURCE"]');
            check(src === '192.0.2.99', 'detail shows the source', src);
            const before = await page.textContent('#detail-fields dd[data-field="ALERT ID"]');
            await page.fill('#search', '');
            await page.press('#search', 'Enter');
            await page.waitForFunction(() => document.querySelectorAll('#feed-viewport .row:not([hidden])').length > 5, null, { timeout: 5000 });
            await page.click('#feed-viewport .row:not([hidden])');
            const first_id = await page.textContent('#detail-fields dd[data-field="ALERT ID"]');
            await page.keyboard.press('ArrowDown');
            const next_id = await page.textContent('#detail-fields dd[data-field="ALERT ID"]');
            check(before && first_id !== next_id, 'arrow keys move the selection and the detail', `${first_id} -> ${next_id}`);
            const injected = await page.evaluate(() => ({ img: document.querySelectorAll('main img').length, pwned: window.__pwned === 1 }));
            check(injected.img === 0 && !injected.pwned, 'message markup is never interpreted as HTML');
            await page.click('#detail-close');
        });

        await step('filter chips and search', async () => {
            await page.fill('#search', '');
            await page.press('#search', 'Enter');
            await page.click('.chip[data-level="CRITICAL"]');
            await page.waitForFunction(() => {
                const rows = [...document.querySelectorAll('#feed-viewport .row:not([hidden])')];
                return rows.length > 0 && rows.every((r) => r.querySelector('.lvl').textContent === 'CRITICAL');
            }, null, { timeout: 5000 });
            const levels = await page.$$eval('#feed-viewport .row:not([hidden]) .lvl', (l) => [...new Set(l.map((x) => x.textContent))]);
            check(levels.length === 1 && levels[0] === 'CRITICAL', 'CRITICAL chip shows only CRITICAL rows', levels.join(','));
            await page.click('.chip[data-level="ALL"]');
            await page.fill('#search', 'beta-host');
            await page.press('#search', 'Enter');
            await page.waitForFunction(() => {
                const rows = [...document.querySelectorAll('#feed-viewport .row:not([hidden])')];
                return rows.length === 2 && rows.every((r) => r.textContent.includes('beta-host'));
            }, null, { timeout: 5000 });
            check(true, 'search matches the host name');
            // The oldest stored alert is far beyond what the page loaded: only a server-side search finds it.
            await page.fill('#search', bulk.oldest_word);
            await page.press('#search', 'Enter');
            await page.waitForFunction((w) => [...document.querySelectorAll('#feed-viewport .row:not([hidden])')].some((r) => r.textContent.includes(w)), bulk.oldest_word, { timeout: 10000 });
            check(true, `search reaches the oldest of ${bulk.count} stored alerts (server-side)`);
            await page.fill('#search', '');
            await page.press('#search', 'Enter');
            await page.waitForFunction(() => document.querySelectorAll('#feed-viewport .row:not([hidden])').length > 10, null, { timeout: 5000 });
        });

        await step('scroll loads older pages', async () => {
            const before = await page.evaluate(() => document.getElementById('feed-spacer').offsetHeight);
            for (let i = 0; i < 3; i++) {
                const h = await page.evaluate(() => {
                    const v = document.getElementById('feed-viewport');
                    v.scrollTop = v.scrollHeight;
                    return document.getElementById('feed-spacer').offsetHeight;
                });
                await page.waitForFunction((old) => document.getElementById('feed-spacer').offsetHeight > old, h, { timeout: 10000 }).catch(() => {});
            }
            const after = await page.evaluate(() => document.getElementById('feed-spacer').offsetHeight);
            check(after > before, 'scrolling to the end fetches older alerts via the cursor', `${before} -> ${after} px`);
            const rows = await page.$$eval('#feed-viewport .row', (r) => r.length);
            check(rows < 120, 'DOM row count stays bounded after paging', `${rows}`);
            await page.evaluate(() => {
                document.getElementById('feed-viewport').scrollTop = 0;
            });
            await shot(page, 'feed');
        });

        await step('unseen badge', async () => {
            await page.click('.tab[data-tab="overview"]');
            const marker = `unseen-${Date.now()}`;
            for (let i = 0; i < 3; i++) await backend.post_alert(alert({ level: 'LOW', message: `${marker} ${i}` }));
            await page.waitForFunction(() => document.getElementById('unseen').textContent === '3' && !document.getElementById('unseen').hidden, null, { timeout: 5000 });
            check(true, 'badge counts 3 alerts that arrived on another tab');
            await page.click('.tab[data-tab="feed"]');
            check(await page.isHidden('#unseen'), 'badge clears when the Live Feed opens');
            await page.waitForFunction((m) => [...document.querySelectorAll('#feed-viewport .row:not([hidden])')].filter((r) => r.textContent.includes(m)).length === 3, marker, { timeout: 5000 });
            check(true, 'alerts that arrived on another tab are in the feed (D8)');
        });

        await step('flood', async () => {
            await page.click('.tab[data-tab="feed"]');
            await page.evaluate(() => {
                window.__frames = [];
                let last = performance.now();
                const loop = (t) => {
                    window.__frames.push(t - last);
                    last = t;
                    if (window.__frames.length < 100000) requestAnimationFrame(loop);
                };
                requestAnimationFrame(loop);
            });
            const start_total = await page.evaluate(() => document.getElementById('top-alerts').textContent);
            const n = 3000;
            for (let s = 0; s < 3; s++) {
                const second = Date.now();
                for (let half = 0; half < 2; half++) {
                    const batch = [];
                    for (let i = half * 500; i < half * 500 + 500; i++) batch.push(alert({ level: i % 10 === 0 ? 'HIGH' : 'LOW', message: `flood ${s}-${i}` }));
                    await backend.post_batch(batch);
                }
                await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - second))));
            }
            await page.waitForFunction((want) => Number(document.getElementById('top-alerts').textContent.replace(/,/g, '')) >= want, Number(start_total.replace(/,/g, '')) + n, { timeout: 10000 });
            const rows = await page.$$eval('#feed-viewport .row', (r) => r.length);
            check(rows < 120, 'feed DOM stays bounded under 1000 alerts/s', `${rows}`);
            // Reported, not asserted (timing belongs in benchmarks): frame gaps while the flood ran.
            const frames = await page.evaluate(() => {
                const f = window.__frames.slice(1).sort((a, b) => a - b);
                window.__frames.length = 100000;
                return { n: f.length, p50: f[Math.floor(f.length * 0.5)], p95: f[Math.floor(f.length * 0.95)], max: f[f.length - 1] };
            });
            console.log(`  info frames during the flood: ${frames.n}, p50 ${frames.p50.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms, max ${frames.max.toFixed(1)} ms`);
            const toasts = await page.$$eval('#toasts .toast', (t) => t.length);
            check(toasts <= 4, 'toasts are capped during a flood', `${toasts}`);
        });

        await step('agents', async () => {
            await backend.heartbeat({ agent_id: 'agent-alpha', hostname: 'alpha-host', os: 'Linux 6.1', version: '1.2.3', uptime_s: 3700, packets: 123456, bytes: 987654321, capture_drops: 42, alerts: 7, spool_depth: 0, spool_bytes: 0, spool_dropped: 0, rss_bytes: 14680064, peak_rss_bytes: 15728640, state_bytes: 891289, state_cap_bytes: 115448627, startup_ms: 2.5 });
            await page.click('.tab[data-tab="agents"]');
            const card = '.agent[data-agent-id="agent-alpha"]';
            await page.waitForSelector(card, { timeout: 5000 });
            const text = await page.textContent(card);
            check(text.includes('ONLINE'), 'agent card shows ONLINE', text);
            check(text.includes('123,456') && text.includes('1.2.3') && text.includes('Linux 6.1'), 'card shows packets, version and OS');
            const drops = await page.textContent(`${card} dd[data-field="drops"]`);
            check(drops === '42', 'card shows capture drops', drops);
            const memory = await page.textContent(`${card} dd[data-field="memory"]`);
            check(memory === '14.0 MB · peak 15.0 MB', 'card shows resident and peak memory', memory);
            const state = await page.textContent(`${card} dd[data-field="state"]`);
            check(state === '870.4 KB of 110.1 MB at caps', 'card shows detector tables against their caps', state);
            const startup = await page.textContent(`${card} dd[data-field="startup"]`);
            check(startup === '2.5 ms', 'card shows start-up time', startup);
            const ip = await page.textContent(`${card} dd[data-field="ip"]`);
            check(ip === '127.0.0.1', 'card shows the observed IP', ip);
            check((await page.$$('.agent')).length === 2, 'one card per agent');
            await shot(page, 'agents');
            const seen1 = await page.textContent(`${card} dd[data-field="last_seen"]`);
            await page.waitForFunction((c) => document.querySelector(c).dataset.online === 'false', card, { timeout: (kOfflineAfter + 5) * 1000 });
            check(true, `agent card turns OFFLINE after ${kOfflineAfter}s without contact, without a reload (F13)`);
            const seen2 = await page.textContent(`${card} dd[data-field="last_seen"]`);
            check(seen1 !== seen2, 'relative last-seen time refreshes by itself', `${seen1} -> ${seen2}`);
            check((await page.textContent(`${card} dd[data-field="status"]`)) === 'OFFLINE', 'status text OFFLINE');
        });

        await step('analytics', async () => {
            await page.click('.tab[data-tab="analytics"]');
            await page.waitForSelector('#rate-chart canvas', { timeout: 5000 });
            check(true, 'rate chart (uPlot) rendered');
            const seg = await page.$$eval('#donut circle[data-level]', (c) => c.filter((x) => parseFloat(x.style.strokeDasharray) > 0).length);
            check(seg >= 4, 'donut has a segment per level seen', String(seg));
            const sources = await page.$$eval('#sources tr', (r) => r.length);
            check(sources >= 3, 'top sources table has rows', String(sources));
            const cats = await page.$$eval('#all-cats .bar-row', (r) => r.length);
            check(cats >= 5, 'category breakdown has bars', String(cats));
            const new_src = '192.0.2.250';
            for (let i = 0; i < 3; i++) await backend.post_alert(alert({ level: 'CRITICAL', category: 'LIVE CATEGORY', src: new_src, message: 'live analytics' }));
            for (let i = 0; i < 400; i++) {
                if ((await page.textContent('#all-cats')).includes('LIVE CATEGORY')) break;
                await page.waitForTimeout(25);
            }
            check((await page.textContent('#all-cats')).includes('LIVE CATEGORY'), 'category breakdown updates live while open (B10)');
            await page.waitForTimeout(1200);  // gauge and donut transitions
            await shot(page, 'analytics');
        });

        await step('export', async () => {
            const total = await page.evaluate(async () => (await (await fetch('/api/state')).json()).stats.total);
            const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click('#export-json')]);
            const file = path.join(artifacts, 'export.json');
            await dl.saveAs(file);
            const data = JSON.parse(fs.readFileSync(file, 'utf8'));
            check(Array.isArray(data) && data.length === total, 'JSON export holds every stored alert', `${data.length} vs ${total}`);
            check(dl.suggestedFilename() === 'netsentinel-alerts.json', 'export file name', dl.suggestedFilename());
            const [csv] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.click('#export-csv')]);
            const csv_file = path.join(artifacts, 'export.csv');
            await csv.saveAs(csv_file);
            const lines = fs.readFileSync(csv_file, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
            check(lines.length >= total + 1, 'CSV export has a row per stored alert', `${lines.length - 1} vs ${total}`);
        });

        await step('reconnect and resync', async () => {
            await page.click('.tab[data-tab="feed"]');
            await backend.interrupt_live(async () => {
                await page.waitForFunction(() => !document.getElementById('conn').textContent.includes('ONLINE'), null, { timeout: 15000 });
                check(true, 'status leaves ONLINE when the live channel drops');
            });
            const marker = `while-offline-${Date.now()}`;
            await backend.post_alert(alert({ level: 'HIGH', message: marker }));
            // A restarted server may have forgotten the session (the real one keeps sessions in
            // memory): then the page must ask for the login again instead of retrying forever.
            await page.waitForFunction(() => document.getElementById('conn').textContent.includes('ONLINE') || !document.getElementById('login').hidden, null, { timeout: 30000 });
            if (await page.isVisible('#login-form')) {
                check(true, 'session lost by the restart: login page shown');
                await page.fill('#login-user', 'admin');
                await page.fill('#login-pass', backend.password);
                await page.click('#login-submit');
                await page.waitForFunction(() => document.getElementById('conn').textContent.includes('ONLINE'), null, { timeout: 10000 });
            }
            check(true, 'reconnects automatically');
            await page.waitForFunction((m) => [...document.querySelectorAll('#feed-viewport .row:not([hidden])')].some((r) => r.textContent.includes(m)), marker, { timeout: 10000 });
            check(true, 'alerts from the gap are shown after the resync');
        });

        await step('reload keeps history; 401 shows login; logout', async () => {
            await page.reload();
            await page.waitForSelector('#app:not([hidden])', { timeout: 10000 });
            await page.waitForFunction(() => document.getElementById('crit-list').textContent.includes('while-offline-'), null, { timeout: 5000 });
            check(true, 'after a reload the CRITICAL/HIGH list is still filled (D7)');
            await context.clearCookies();
            await page.click('#export-json');
            await page.waitForSelector('#login:not([hidden])', { timeout: 5000 });
            check(true, 'a 401 from any call shows the login page');
            await page.fill('#login-user', 'admin');
            await page.fill('#login-pass', backend.password);
            await page.click('#login-submit');
            await page.waitForSelector('#app:not([hidden])', { timeout: 5000 });
            await page.click('#logout');
            await page.waitForSelector('#login:not([hidden])', { timeout: 5000 });
            const me = await page.evaluate(async () => (await fetch('/api/me')).status);
            check(me === 401, 'logout ends the session', String(me));
        });

        await step('no request leaves the server', async () => {
            check_page_stayed_home(origin, requests, console_errors);
            check(requests.some((u) => u.includes('/fonts/')), 'fonts are served by our server');
        });
    } finally {
        await browser.close().catch(() => {});
        await backend.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    finish(backend_kind, artifacts);
}

function shot(page, name, min_ink = 0.01) {
    return checked_screenshot(page, artifacts, name, min_ink);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
