// Debian's chromium through playwright-core, for the browser tests and the attack lab's browser
// steps; open_dashboard() also logs in and records every request to another host. Environment: SENTINEL_WEB_NPM_DIR (where the dashboard build's npm ci put
// playwright-core), SENTINEL_CHROMIUM (default /usr/bin/chromium).
import { createRequire } from 'node:module';
import path from 'node:path';

// A headless chromium with a fresh temporary profile and no background traffic of its own.
export async function launch_chromium() {
    const npm_dir = process.env.SENTINEL_WEB_NPM_DIR;
    if (!npm_dir) throw new Error('SENTINEL_WEB_NPM_DIR is not set (run through ctest)');
    const { chromium } = createRequire(path.join(npm_dir, 'package.json'))('playwright-core');
    return chromium.launch({
        executablePath: process.env.SENTINEL_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
}

export async function open_dashboard(origin, user, password) {
    const browser = await launch_chromium();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const foreign = [];
    page.on('request', (r) => {
        if (!r.url().startsWith(origin) && !r.url().startsWith(origin.replace('https:', 'wss:'))) foreign.push(r.url());
    });
    try {
        await page.goto(`${origin}/`);
        await page.waitForSelector('#login:not([hidden])', { timeout: 15000 });
        await page.fill('#login-user', user);
        await page.fill('#login-pass', password);
        await page.click('#login-submit');
        await page.waitForSelector('#app:not([hidden])', { timeout: 10000 });
    } catch (err) {
        await browser.close();
        throw err;
    }
    return { browser, page, foreign };
}
