// Used by the attack lab (tests/e2e/lab.sh): logs into the real dashboard in Debian's chromium
// and checks that the Live Feed shows every lab scenario's category, and that the page asked
// nothing of any other host. Usage: node lab_check.mjs ORIGIN USER PASSWORD SCREENSHOT CATEGORY...
// Environment: SENTINEL_WEB_NPM_DIR (where the dashboard build's npm ci put playwright-core).
import { open_dashboard } from './browser.mjs';

const [origin, user, password, screenshot, ...categories] = process.argv.slice(2);
if (!origin || !screenshot || categories.length === 0 || !process.env.SENTINEL_WEB_NPM_DIR) {
    console.error('usage: SENTINEL_WEB_NPM_DIR=... node lab_check.mjs ORIGIN USER PASSWORD SCREENSHOT CATEGORY...');
    process.exit(2);
}
let ok = true;
let session = null;
try {
    session = await open_dashboard(origin, user, password);
    const { page, foreign } = session;
    await page.click('.tab[data-tab="feed"]');
    // The flat list (the grouped view is the default since issue 11).
    if (await page.$('#feed-mode-flat')) await page.click('#feed-mode-flat');
    await page.waitForSelector('#feed-viewport .row:not([hidden])', { timeout: 10000 });
    for (const category of categories) {
        // The feed is virtualised: search server-side for each category instead of scrolling.
        await page.fill('#search', category);
        try {
            await page.waitForFunction((c) => [...document.querySelectorAll('#feed-viewport .row:not([hidden])')].some((r) => r.textContent.includes(c)), category, { timeout: 10000 });
            console.log(`  ok   ${category} shown in the Live Feed`);
        } catch {
            console.log(`  FAIL ${category} not shown in the Live Feed`);
            ok = false;
        }
    }
    await page.fill('#search', '');
    await page.screenshot({ path: screenshot });
    if (foreign.length > 0) {
        console.log(`  FAIL requests to other hosts: ${foreign.join(', ')}`);
        ok = false;
    }
} catch (err) {
    console.log(`  FAIL ${err.stack || err}`);
    ok = false;
} finally {
    if (session) await session.browser.close();
}
process.exit(ok ? 0 : 1);
