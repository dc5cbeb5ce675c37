// The browser tests' tally: check() records one assertion, step() runs a named group of them and
// counts an exception as a failure so the remaining steps still run.
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
