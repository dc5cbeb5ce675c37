// The browser tests' tally: check() records one assertion, step() runs a named group of them and
// counts an exception as a failure so the remaining steps still run.
import fs from 'node:fs';
import path from 'node:path';

import { png_stats } from './png.mjs';

export const tally = { passes: 0, failures: 0 };

export function check(cond, what, detail = '') {
    if (cond) {
        tally.passes++;
        console.log(`  ok   ${what}`);
    } else {
        tally.failures++;
        console.log(`  FAIL ${what}${detail ? ` — ${detail}` : ''}`);
    }
}

export async function step(name, fn) {
    console.log(`[${name}]`);
    try {
        await fn();
    } catch (err) {
        tally.failures++;
        console.log(`  FAIL ${name} threw: ${err.stack || err}`);
    }
}

// A screenshot in `artifacts`, checked not blank (enough colours and ink).
export async function checked_screenshot(page, artifacts, name, min_ink = 0.01) {
    const file = path.join(artifacts, `${name}.png`);
    await page.screenshot({ path: file });
    const s = png_stats(fs.readFileSync(file));
    console.log(`  info ${name}.png: ${s.colours} colours, ${(s.ink_ratio * 100).toFixed(1)}% ink`);
    check(s.colours >= 64 && s.ink_ratio > min_ink, `screenshot ${name}.png is not blank`, `${s.colours} colours, ${(s.ink_ratio * 100).toFixed(1)}% ink`);
}

// Every request went to `origin` (or its WebSocket), and the page logged no script error.
// Network errors are expected (401 before login, a deliberately dropped live channel).
export function check_page_stayed_home(origin, requests, console_errors) {
    const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:') && !u.startsWith(`${origin.replace('https', 'wss')}/`));
    check(foreign.length === 0, `all ${requests.length} requests go to ${origin}`, foreign.slice(0, 5).join(' '));
    const script_errors = console_errors.filter((e) => !/Failed to load resource|WebSocket connection/.test(e));
    check(script_errors.length === 0, 'no script errors in the page', script_errors.join(' | ').slice(0, 500));
}

export function finish(backend_kind, artifacts) {
    console.log(`\n${tally.passes} checks passed, ${tally.failures} failed (backend: ${backend_kind}; screenshots in ${artifacts})`);
    process.exit(tally.failures === 0 && tally.passes > 0 ? 0 : 1);
}
