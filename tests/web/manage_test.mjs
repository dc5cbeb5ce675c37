// Browser test of the alert-management UI (issue 11): grouped Live Feed with live merging,
// acknowledge/resolve, suppression rules created from a feed group, users, API tokens, the audit
// log, and a viewer who gets no write controls. Debian's chromium driven by playwright-core
// against the mock server or the real sentinel-server (same environment as dashboard_test.mjs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { start_backend } from './backend.mjs';
import { launch_chromium } from './browser.mjs';
import { check, check_page_stayed_home, checked_screenshot, finish, step } from './checks.mjs';

const env = process.env;
const artifacts = env.SENTINEL_WEB_ARTIFACTS || path.join(os.tmpdir(), 'sentinel-web-manage-artifacts');
const backend_kind = env.SENTINEL_WEB_BACKEND || 'mock';

if (!env.SENTINEL_WEB_NPM_DIR) {
    console.error('SENTINEL_WEB_NPM_DIR is not set (run through ctest)');
    process.exit(2);
}

let seq = 0;
function alert(fields = {}) {
    seq++;
    return {
        id: `m${Date.now().toString(36)}${seq}`,
        ts: new Date().toISOString(),
        level: 'MEDIUM',
        category: 'PORT SCAN',
        message: `probe ${seq}`,
        agent_id: 'agent-alpha',
        hostname: 'alpha-host',
        src: '198.51.100.10',
        os: 'Linux 6.1',
        ...fields,
    };
}

const kScanSrc = '198.51.100.10';
const kViewer = 'viewer1';
const kViewerPass = 'viewer-passphrase-1';

// The grouped feed's row for a category and source.
const group_sel = (category, src) => `#groups-list .grow[data-category="${category}"][data-src="${src}"]`;

async function login(page, origin, user, password) {
    await page.goto(`${origin}/`);
    await page.waitForSelector('#login:not([hidden])', { timeout: 10000 });
    await page.fill('#login-user', user);
    await page.fill('#login-pass', password);
    await page.click('#login-submit');
    await page.waitForSelector('#app:not([hidden])', { timeout: 5000 });
    await page.waitForFunction(() => document.getElementById('conn').textContent.includes('ONLINE'), null, { timeout: 10000 });
}

// Visible elements matching a selector (display:none and [hidden] ancestors excluded).
async function visible_count(page, selector) {
    return page.$$eval(selector, (nodes) => nodes.filter((n) => n.offsetParent !== null || n.getClientRects().length > 0).length);
}

async function api_call(page, method, url, body) {
    return page.evaluate(
        async ([m, u, b]) => {
            const init = { method: m, headers: { Accept: 'application/json' } };
            if (b !== undefined) {
                init.headers['Content-Type'] = 'application/json';
                init.body = JSON.stringify(b);
            }
            const res = await fetch(u, init);
            return { status: res.status, body: await res.json().catch(() => null) };
        },
        [method, url, body],
    );
}

async function main() {
    fs.mkdirSync(artifacts, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-web-manage-'));
    const backend = await start_backend(backend_kind, { tmp, dist_dir: env.SENTINEL_WEB_DIST, server: env.SENTINEL_SERVER, offline_after_s: 90 });
    const browser = await launch_chromium();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1600, height: 900 } });
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
        await backend.heartbeat({ agent_id: 'agent-alpha', hostname: 'alpha-host', os: 'Linux 6.1', version: '1.2.3', uptime_s: 60 });
        for (let i = 0; i < 4; i++) await backend.post_alert(alert({ level: i === 2 ? 'HIGH' : 'MEDIUM', flow: { src_ip: kScanSrc, src_port: 40000 + i, dest_ip: '10.0.0.2', dest_port: 22, proto: 6 } }));
        await backend.post_alert(alert({ category: 'BRUTE FORCE', level: 'HIGH', src: '203.0.113.9', message: 'ssh guesses' }));
        await backend.post_alert(alert({ category: 'DNS TUNNELLING', level: 'LOW', src: '192.0.2.44', message: 'long labels' }));

        await step('admin login and grouped feed', async () => {
            await login(page, origin, 'admin', backend.password);
            check((await page.textContent('#user-role')) === 'ADMIN', 'role shown next to the user');
            await page.click('.tab[data-tab="feed"]');
            check((await page.getAttribute('#feed-mode-grouped', 'aria-pressed')) === 'true', 'grouped view is the default');
            await page.waitForSelector(group_sel('PORT SCAN', kScanSrc), { timeout: 10000 });
            const row = await page.textContent(group_sel('PORT SCAN', kScanSrc));
            check(row.includes('×4'), 'four repeats of one category and source are one row with a count', row);
            check((await page.textContent(`${group_sel('PORT SCAN', kScanSrc)} .lvl`)) === 'HIGH', 'group shows its highest level');
            check(row.includes('4 OPEN'), 'group shows its open count', row);
            const status = await page.getAttribute(group_sel('PORT SCAN', kScanSrc), 'data-status');
            check(status === 'NEW' || status === 'OPEN', 'group status is NEW (or OPEN without a "new" count)', status);
            check((await page.$$(group_sel('BRUTE FORCE', '203.0.113.9'))).length === 1, 'another category and source is another group');
            check(await page.isVisible(`${group_sel('PORT SCAN', kScanSrc)} .act-ack`), 'admin sees ACK on a group');
        });

        await step('live alerts merge into their group', async () => {
            await backend.post_alert(alert({ level: 'CRITICAL', message: 'merged live' }));
            await page.waitForFunction((s) => document.querySelector(s)?.textContent.includes('×5'), group_sel('PORT SCAN', kScanSrc), { timeout: 10000 });
            check(true, 'count increments from 4 to 5 with a live alert');
            check((await page.textContent(`${group_sel('PORT SCAN', kScanSrc)} .lvl`)) === 'CRITICAL', 'highest level follows the live alert');
            const rows = await page.$$eval(group_sel('PORT SCAN', kScanSrc), (r) => r.length);
            check(rows === 1, 'still one row for the group', String(rows));
            await backend.post_alert(alert({ category: 'SYN FLOOD', level: 'HIGH', src: '198.51.100.77', message: 'new group live' }));
            await page.waitForSelector(group_sel('SYN FLOOD', '198.51.100.77'), { timeout: 10000 });
            const first = await page.$eval('#groups-list .grow', (r) => r.dataset.category);
            check(first === 'SYN FLOOD', 'a new group starts on top', first);
            await shot(page, 'manage-feed-grouped');
        });

        let rule_id = null;
        let quiet_rule_id = null;
        await step('suppress from a feed group', async () => {
            await page.click(`${group_sel('PORT SCAN', kScanSrc)} .act-suppress`);
            await page.waitForSelector('#rule-dialog[open]', { timeout: 5000 });
            check((await page.inputValue('#rule-category')) === 'PORT SCAN', 'rule form pre-filled with the category');
            check((await page.inputValue('#rule-src')) === kScanSrc, 'rule form pre-filled with the source address', await page.inputValue('#rule-src'));
            // Client-side validation, worded as the server's.
            await page.fill('#rule-port', '70000');
            await page.click('#rule-save');
            check((await page.textContent('#rule-error')).includes('port: expected an integer from 1 to 65535'), 'a bad port is refused before any request');
            check(await page.isVisible('#rule-dialog'), 'dialog stays open on a validation error');
            await page.fill('#rule-port', '');
            await page.fill('#rule-dst', 'not-an-address');
            await page.click('#rule-save');
            check((await page.textContent('#rule-error')).includes('dst: expected an IPv4/IPv6 address or CIDR'), 'a bad destination is refused', await page.textContent('#rule-error'));
            check((await page.getAttribute('#rule-dst', 'aria-invalid')) === 'true', 'the bad field is marked invalid');
            await page.fill('#rule-dst', '');
            await page.fill('#rule-comment', 'lab scanner, expected');
            await page.selectOption('#rule-expiry', '86400');
            await page.click('#rule-save');
            await page.waitForFunction(() => !document.getElementById('rule-dialog').open, null, { timeout: 5000 });
            await page.waitForFunction(() => document.getElementById('rules-notice').textContent.includes('created'), null, { timeout: 5000 });
            const notice = await page.textContent('#rules-notice');
            check(/would have matched [1-9]/.test(notice), 'creation reports how many stored alerts it would have matched', notice);
            // The rule list (Manage → rules) shows it with 0 hits and "matches nothing".
            await page.click('#open-manage');
            await page.waitForSelector('#sub-panel-rules:not([hidden])');
            await page.waitForSelector('#rules-body tr', { timeout: 5000 });
            const row = await page.$eval('#rules-body tr:last-child', (r) => ({ id: r.dataset.ruleId, text: r.textContent }));
            rule_id = row.id;
            check(row.text.includes('category PORT SCAN') && row.text.includes(`src ${kScanSrc}`), 'rule lists what it matches', row.text);
            check(row.text.includes('MATCHES NOTHING'), 'a rule with no hits says it matches nothing', row.text);
            check(row.text.includes('lab scanner, expected') && row.text.includes('admin'), 'rule shows its comment and creator');
            check(!row.text.includes('never'), 'rule shows its expiry', row.text);
        });

        await step('a rule that matches nothing warns at creation', async () => {
            await page.click('#rule-add');
            await page.waitForSelector('#rule-dialog[open]');
            check((await page.inputValue('#rule-category')) === '', 'add form starts empty');
            await page.click('#rule-save');
            check((await page.textContent('#rule-error')).includes('at least one of'), 'an empty rule is refused');
            await page.fill('#rule-src', '192.0.2.200/30');
            await page.click('#rule-save');
            await page.waitForFunction(() => !document.getElementById('rule-dialog').open, null, { timeout: 5000 });
            await page.waitForFunction(() => document.getElementById('rules-notice').textContent.includes('matches no alert'), null, { timeout: 5000 });
            check(true, "the server's warning is shown");
            check((await page.$$('#rules-body tr')).length === 2, 'two rules listed');
            quiet_rule_id = await page.$eval('#rules-body tr:last-child', (r) => r.dataset.ruleId);
        });

        await step('suppressed alerts count on the rule and the overview', async () => {
            await backend.post_alert(alert({ message: 'should be suppressed' }));
            await page.waitForFunction((id) => {
                const r = document.querySelector(`#rules-body tr[data-rule-id="${id}"]`);
                return r && !r.textContent.includes('MATCHES NOTHING') && r.querySelector('.hits .n').textContent === '1';
            }, rule_id, { timeout: 10000 });
            check(true, 'the rule shows 1 hit live (WS "suppressions")');
            const last_hit = await page.$eval(`#rules-body tr[data-rule-id="${rule_id}"]`, (r) => r.children[4].textContent);
            check(last_hit !== '—', 'last hit time shown', last_hit);
            await page.click('#manage-close');
            await page.click('.tab[data-tab="overview"]');
            await page.waitForFunction(() => document.getElementById('suppressed-total').textContent === '1', null, { timeout: 10000 });
            check(true, 'overview shows suppressed_total');
            await page.click('.tab[data-tab="feed"]');
            const row = await page.textContent(group_sel('PORT SCAN', kScanSrc));
            check(row.includes('×5'), 'the suppressed alert did not reach the feed', row);
        });

        await step('delete a rule', async () => {
            await page.click('#open-manage');
            await page.waitForSelector(`#rules-body tr[data-rule-id="${rule_id}"]`);
            await page.click(`#rules-body tr[data-rule-id="${rule_id}"] button`);
            await page.waitForSelector('#confirm-dialog[open]');
            check((await page.textContent('#confirm-text')).includes(`#${rule_id}`), 'delete asks for confirmation naming the rule');
            await page.click('#confirm-cancel');
            check((await page.$$(`#rules-body tr[data-rule-id="${rule_id}"]`)).length === 1, 'cancel keeps the rule');
            await page.click(`#rules-body tr[data-rule-id="${rule_id}"] button`);
            await page.click('#confirm-ok');
            await page.waitForFunction((id) => !document.querySelector(`#rules-body tr[data-rule-id="${id}"]`), rule_id, { timeout: 5000 });
            check(true, 'the rule is gone from the list');
            await shot(page, 'manage-rules');
            await page.click('#manage-close');
            await backend.post_alert(alert({ message: 'after the rule is gone' }));
            await page.waitForFunction((s) => document.querySelector(s)?.textContent.includes('×6'), group_sel('PORT SCAN', kScanSrc), { timeout: 10000 });
            check(true, 'alerts of that kind reach the feed again');
        });

        await step("agents' suppressed counts reach the rule and the agent card", async () => {
            await backend.heartbeat({ agent_id: 'agent-alpha', hostname: 'alpha-host', os: 'Linux 6.1', version: '1.2.3', uptime_s: 120, suppressed: { [quiet_rule_id]: 3 } });
            await page.click('#open-manage');
            const sel = `#rules-body tr[data-rule-id="${quiet_rule_id}"]`;
            await page.waitForFunction((s) => document.querySelector(s)?.children[3].textContent === '0 / 3', sel, { timeout: 10000 });
            check(true, 'hits at the agents shown per rule (server / agents)');
            const text = await page.textContent(sel);
            check(!text.includes('MATCHES NOTHING'), 'a rule hit at the agents no longer "matches nothing"', text);
            await page.click('#manage-close');
            await page.click('.tab[data-tab="agents"]');
            const card = '.agent[data-agent-id="agent-alpha"] dd[data-field="suppressed"]';
            await page.waitForFunction((c) => document.querySelector(c)?.textContent === '3', card, { timeout: 10000 });
            check(true, 'agent card shows what the agent suppressed');
            await page.click('.tab[data-tab="feed"]');
        });

        await step('acknowledge and resolve a group', async () => {
            const sel = group_sel('PORT SCAN', kScanSrc);
            await page.click(`${sel} .act-ack`);
            await page.waitForFunction((s) => document.querySelector(s)?.dataset.status === 'ACKNOWLEDGED', sel, { timeout: 10000 });
            check((await page.textContent(sel)).includes('6 OPEN'), 'acknowledged alerts stay open');
            await page.click(sel);
            await page.waitForSelector('#detail-members .member', { timeout: 5000 });
            const who = await page.textContent('#detail-members');
            check(who.includes('acknowledged by admin'), 'group detail shows who acknowledged', who.slice(0, 200));
            await shot(page, 'manage-group-detail');
            // Keyboard: a focused group opens with Enter, arrows move between groups.
            await page.click('#detail-close');
            await page.focus(sel);
            await page.keyboard.press('ArrowDown');
            const moved = await page.evaluate((s) => document.activeElement !== document.querySelector(s) && document.activeElement.classList.contains('grow'), sel);
            check(moved, 'ArrowDown moves the focus to the next group');
            await page.keyboard.press('ArrowUp');
            await page.keyboard.press('Enter');
            await page.waitForSelector('#detail:not([hidden])', { timeout: 5000 });
            check((await page.textContent('#detail-fields dd[data-field="CATEGORY"]')) === 'PORT SCAN', 'Enter opens the focused group');
            await page.click(`${sel} .act-resolve`);
            await page.waitForFunction((s) => !document.querySelector(s), sel, { timeout: 10000 });
            check(true, 'a resolved group leaves the OPEN view');
            await page.selectOption('#status-filter', 'resolved');
            await page.waitForSelector(sel, { timeout: 10000 });
            check((await page.getAttribute(sel, 'data-status')) === 'RESOLVED', 'it is listed under RESOLVED');
            await page.click(sel);
            await page.waitForFunction(() => document.getElementById('detail-members').textContent.includes('resolved by admin'), null, { timeout: 5000 });
            check(true, 'members show who resolved them');
            await page.selectOption('#status-filter', 'open');
            await page.click('#detail-close');
        });

        await step('acknowledge and resolve a single alert (flat list)', async () => {
            await page.click('#feed-mode-flat');
            await page.waitForSelector('#feed-viewport .row:not([hidden])', { timeout: 5000 });
            await page.fill('#search', 'ssh guesses');
            await page.press('#search', 'Enter');
            const row = '#feed-viewport .row:not([hidden])';
            await page.waitForFunction((r) => [...document.querySelectorAll(r)].length === 1, row, { timeout: 5000 });
            check((await page.textContent(`${row} .astatus`)) === 'NEW', 'flat row shows status NEW');
            await page.click(row);
            await page.click('#detail-actions .act-ack');
            await page.waitForFunction((r) => document.querySelector(`${r} .astatus`)?.textContent === 'ACK', row, { timeout: 10000 });
            check(true, 'row status turns ACK');
            const ack = await page.textContent('#detail-fields dd[data-field="ACKNOWLEDGED"]');
            check(ack.startsWith('admin'), 'detail shows who acknowledged it', ack);
            await page.click('#detail-actions .act-resolve');
            await page.waitForFunction(() => document.querySelector('#detail-fields dd[data-field="STATUS"]')?.textContent === 'RESOLVED', null, { timeout: 10000 });
            check((await page.textContent('#detail-fields dd[data-field="RESOLVED"]')).startsWith('admin'), 'detail shows who resolved it');
            check((await page.$$('#detail-actions .act-resolve')).length === 0, 'no resolve button on a resolved alert');
            await page.fill('#search', '');
            await page.press('#search', 'Enter');
            await page.click('#detail-close');
            await page.click('#feed-mode-grouped');
        });

        await step('users', async () => {
            await page.click('#open-manage');
            await page.click('#sub-users');
            await page.waitForSelector('#users-body tr[data-user="admin"]', { timeout: 5000 });
            check((await page.textContent('#users-body tr[data-user="admin"]')).includes('you'), 'own account cannot be deleted from the list');
            await page.fill('#user-new-name', kViewer);
            await page.fill('#user-new-pass', 'short');
            await page.click('#user-add');
            check((await page.textContent('#user-form-error')).includes('at least 10'), 'short password refused client-side');
            await page.fill('#user-new-pass', kViewerPass);
            await page.selectOption('#user-new-role', 'viewer');
            await page.click('#user-add');
            await page.waitForSelector(`#users-body tr[data-user="${kViewer}"]`, { timeout: 5000 });
            check((await page.textContent(`#users-body tr[data-user="${kViewer}"]`)).includes('viewer'), 'new viewer listed');
            await page.fill('#user-new-name', kViewer);
            await page.fill('#user-new-pass', kViewerPass);
            await page.click('#user-add');
            await page.waitForFunction(() => document.getElementById('user-form-error').textContent.length > 0, null, { timeout: 5000 });
            const err = await page.textContent('#user-form-error');
            check(/exist/i.test(err), "a duplicate shows the server's JSON error text", err);
            await page.waitForSelector('#toasts .toast.error', { timeout: 5000 });
            check(true, 'and an error toast');
            // A throw-away user, deleted again through the confirm dialog.
            await page.fill('#user-new-name', 'temp.user');
            await page.fill('#user-new-pass', 'temporary-pass-1');
            await page.click('#user-add');
            await page.waitForSelector('#users-body tr[data-user="temp.user"]', { timeout: 5000 });
            await page.click('#users-body tr[data-user="temp.user"] button');
            await page.click('#confirm-ok');
            await page.waitForFunction(() => !document.querySelector('#users-body tr[data-user="temp.user"]'), null, { timeout: 5000 });
            check(true, 'user deleted after confirmation');
            await shot(page, 'manage-users');
        });

        await step('API tokens', async () => {
            await page.click('#sub-tokens');
            await page.fill('#token-new-name', 'siem-export');
            await page.click('#token-add');
            await page.waitForSelector('#token-secret-box:not([hidden])', { timeout: 5000 });
            const secret = await page.inputValue('#token-secret');
            check(secret.length >= 16, 'new token shown once', `${secret.length} chars`);
            await page.waitForSelector('#tokens-body tr', { timeout: 5000 });
            check((await page.textContent('#tokens-body')).includes('siem-export'), 'token listed by name');
            check(!(await page.textContent('#tokens-body')).includes(secret), 'the list never shows the secret');
            const me = await page.evaluate(async (t) => {
                const r = await fetch('/api/me', { credentials: 'omit', headers: { Authorization: `Bearer ${t}` } });
                return { status: r.status, body: await r.json().catch(() => null) };
            }, secret);
            check(me.status === 200 && me.body && me.body.user === 'admin', 'the token authenticates as its user', JSON.stringify(me));
            await page.click('#token-secret-close');
            check(await page.isHidden('#token-secret-box'), 'the secret is gone once dismissed');
            await shot(page, 'manage-tokens');
            await page.click('#tokens-body tr button');
            await page.click('#confirm-ok');
            await page.waitForFunction(() => !document.getElementById('tokens-body').textContent.includes('siem-export'), null, { timeout: 5000 });
            const after = await page.evaluate(async (t) => (await fetch('/api/me', { credentials: 'omit', headers: { Authorization: `Bearer ${t}` } })).status, secret);
            check(after === 401, 'a revoked token stops working', String(after));
        });

        await step('audit log', async () => {
            // Enough entries for a second page: tokens created and revoked through the API.
            for (let i = 0; i < 28; i++) {
                const t = await api_call(page, 'POST', '/api/tokens', { name: `bulk-${i}` });
                if (t.status === 201) await api_call(page, 'DELETE', `/api/tokens/${encodeURIComponent(t.body.id)}`);
            }
            await page.click('#sub-audit');
            await page.waitForSelector('#audit-body tr', { timeout: 5000 });
            const rows = await page.$$eval('#audit-body tr', (r) => r.length);
            check(rows === 50, 'first page holds 50 entries', String(rows));
            const newest = await page.$eval('#audit-body tr', (r) => r.textContent);
            check(newest.includes('token_delete'), 'newest entry first', newest);
            await page.click('#audit-older');
            await page.waitForFunction((n) => document.querySelector('#audit-body tr')?.textContent !== n, newest, { timeout: 5000 });
            const text = await page.textContent('#audit-body');
            for (const action of ['rule_create', 'rule_delete', 'alert_ack', 'alert_resolve', 'user_create', 'user_delete', 'login']) {
                check(text.includes(action), `older page lists ${action}`);
            }
            check((await page.textContent('#audit-page')).includes('PAGE 2'), 'page number shown');
            await page.click('#audit-newest');
            await page.waitForFunction((n) => document.querySelector('#audit-body tr')?.textContent === n, newest, { timeout: 5000 });
            check(true, 'NEWEST goes back to the first page');
            await shot(page, 'manage-audit');
        });

        await step('viewer sees no write controls', async () => {
            const vctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1600, height: 900 } });
            const vpage = await vctx.newPage();
            vpage.on('request', (r) => requests.push(r.url()));
            vpage.on('pageerror', (e) => console_errors.push(String(e)));
            try {
                await login(vpage, origin, kViewer, kViewerPass);
                check((await vpage.textContent('#user-role')) === 'VIEWER', 'viewer role shown');
                await vpage.click('.tab[data-tab="feed"]');
                await vpage.waitForSelector('#groups-list .grow', { timeout: 10000 });
                for (const sel of ['.act-ack', '.act-resolve', '.act-suppress', '.group-head .admin-only']) {
                    check((await visible_count(vpage, sel)) === 0, `no visible ${sel} in the grouped feed`);
                }
                await vpage.click('#groups-list .grow');
                await vpage.waitForSelector('#detail:not([hidden])');
                check((await visible_count(vpage, '#detail button.admin-only')) === 0, 'no write buttons in the group detail');
                await vpage.click('#open-manage');
                await vpage.waitForSelector('#sub-panel-rules:not([hidden])');
                await vpage.waitForSelector('#rules-body tr', { timeout: 5000 });
                check((await visible_count(vpage, '#rule-add')) === 0, 'no ADD RULE for a viewer');
                check((await visible_count(vpage, '#rules-body button')) === 0, 'no DELETE on rules for a viewer');
                check((await visible_count(vpage, '#sub-users')) === 0 && (await visible_count(vpage, '#sub-audit')) === 0, 'no users or audit section for a viewer');
                check((await visible_count(vpage, '#sub-tokens')) === 1, 'a viewer manages their own tokens');
                await shot(vpage, 'manage-viewer');
                // The server refuses anyway, and the page shows its JSON error text.
                const res = await api_call(vpage, 'POST', '/api/suppressions', { category: 'PORT SCAN', comment: 'x' });
                check(res.status === 403 && res.body && res.body.error === 'Forbidden: admin role required', 'viewer write answered 403 with the JSON error', JSON.stringify(res));
                await vpage.click('#manage-close');
                await vpage.evaluate(() => document.body.classList.add('is-admin'));  // reveal the buttons as a tampered page would
                await vpage.click('#groups-list .grow .act-ack');
                await vpage.waitForSelector('#toasts .toast.error', { timeout: 5000 });
                const toast = await vpage.textContent('#toasts .toast.error');
                check(toast.includes('Forbidden: admin role required'), 'a 403 shows the server error in a toast', toast);
                // Own password: a viewer may change it; the old one then stops working.
                await vpage.evaluate(() => document.body.classList.remove('is-admin'));
                await vpage.click('#open-manage');
                await vpage.click('#sub-tokens');
                await vpage.fill('#password-old', kViewerPass);
                await vpage.fill('#password-new', 'short');
                await vpage.click('#password-save');
                check((await vpage.textContent('#password-error')).includes('at least 10'), 'a short new password is refused client-side');
                await vpage.fill('#password-new', `${kViewerPass}-changed`);
                await vpage.click('#password-save');
                await vpage.waitForFunction(() => [...document.querySelectorAll('#toasts .toast')].some((t) => t.textContent.includes('Password changed')), null, { timeout: 5000 });
                const old_login = await api_call(vpage, 'POST', '/api/login', { username: kViewer, password: kViewerPass });
                check(old_login.status === 401, 'the old password no longer logs in', String(old_login.status));
                const new_login = await api_call(vpage, 'POST', '/api/login', { username: kViewer, password: `${kViewerPass}-changed` });
                check(new_login.status === 200 && new_login.body.role === 'viewer', 'the new one does, as a viewer', JSON.stringify(new_login.body));
            } finally {
                await vctx.close();
            }
        });

        await step('no request leaves the server; no script errors', async () => {
            check_page_stayed_home(origin, requests, console_errors);
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
