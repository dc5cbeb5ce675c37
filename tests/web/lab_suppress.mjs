// Used by the attack lab (tests/e2e/lab.sh): manages a suppression rule through the real
// dashboard in Debian's chromium, as an admin would.
//   node lab_suppress.mjs ORIGIN USER PASSWORD add CATEGORY SRC COMMENT  → prints the rule id
//   node lab_suppress.mjs ORIGIN USER PASSWORD delete RULE_ID
// Exit 0 when the dashboard shows the change, 1 otherwise.
import { open_dashboard } from './browser.mjs';

const [origin, user, password, action, ...args] = process.argv.slice(2);
const usage = 'usage: node lab_suppress.mjs ORIGIN USER PASSWORD (add CATEGORY SRC COMMENT | delete RULE_ID)';
if (!origin || !(action === 'add' && args.length === 3) && !(action === 'delete' && args.length === 1)) {
    console.error(usage);
    process.exit(2);
}

async function add(page, [category, src, comment]) {
    await page.click('#open-manage');
    await page.waitForSelector('#sub-panel-rules:not([hidden])');
    const before = await page.$$eval('#rules-body tr[data-rule-id]', (rows) => rows.map((r) => r.dataset.ruleId));
    await page.click('#rule-add');
    await page.waitForSelector('#rule-dialog[open]');
    await page.fill('#rule-category', category);
    await page.fill('#rule-src', src);
    await page.fill('#rule-comment', comment);
    await page.click('#rule-save');
    await page.waitForFunction(() => !document.getElementById('rule-dialog').open, null, { timeout: 10000 });
    const id = await page.waitForFunction((known) => {
        const row = [...document.querySelectorAll('#rules-body tr[data-rule-id]')].find((r) => !known.includes(r.dataset.ruleId));
        return row ? row.dataset.ruleId : null;
    }, before, { timeout: 10000 });
    const rule_id = await id.jsonValue();
    const text = await page.textContent(`#rules-body tr[data-rule-id="${rule_id}"]`);
    if (!text.includes(category) || !text.includes(src)) throw new Error(`rule row does not show what it matches: ${text}`);
    console.log(rule_id);
}

async function remove(page, [rule_id]) {
    await page.click('#open-manage');
    await page.waitForSelector('#sub-panel-rules:not([hidden])');
    const row = `#rules-body tr[data-rule-id="${rule_id}"]`;
    await page.waitForSelector(row, { timeout: 10000 });
    await page.click(`${row} button.danger`);
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-ok');
    await page.waitForFunction((s) => !document.querySelector(s), row, { timeout: 10000 });
}

let ok = true;
let session = null;
try {
    session = await open_dashboard(origin, user, password);
    await (action === 'add' ? add : remove)(session.page, args);
    if (session.foreign.length > 0) {
        console.error(`requests to other hosts: ${session.foreign.join(', ')}`);
        ok = false;
    }
} catch (err) {
    console.error(`FAIL ${err.stack || err}`);
    ok = false;
} finally {
    if (session) await session.browser.close();
}
process.exit(ok ? 0 : 1);
