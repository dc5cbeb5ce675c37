// Unit tests of the dashboard's pure helpers (gauge rule, search match, time formatting), run with
// node's built-in test runner: node --test tests/web/util_test.mjs
import assert from 'node:assert/strict';
import test from 'node:test';

import { feed_time, fmt_bytes, fmt_duration, fmt_int, matches, relative_time, threat_level } from '../../src/web/app/js/util.js';

test('gauge rule over the recent window, checked in order', () => {
    assert.equal(threat_level({}).label, 'NORMAL');
    assert.equal(threat_level(undefined).label, 'NORMAL');
    assert.equal(threat_level({ LOW: 500, INFO: 900 }).label, 'NORMAL');
    assert.equal(threat_level({ MEDIUM: 1 }).label, 'MODERATE');
    assert.equal(threat_level({ HIGH: 1, MEDIUM: 9 }).label, 'ELEVATED');
    assert.equal(threat_level({ HIGH: 5 }).label, 'ELEVATED');
    assert.equal(threat_level({ HIGH: 6 }).label, 'HIGH');
    assert.equal(threat_level({ CRITICAL: 1 }).label, 'CRITICAL');
    assert.deepEqual(threat_level({ CRITICAL: 1 }), { label: 'CRITICAL', color: '#ff0055', fill: 1.0 });
    assert.deepEqual(threat_level({ HIGH: 6 }), { label: 'HIGH', color: '#ff4400', fill: 0.75 });
    assert.deepEqual(threat_level({ HIGH: 2 }), { label: 'ELEVATED', color: '#ff7700', fill: 0.55 });
    assert.deepEqual(threat_level({ MEDIUM: 2 }), { label: 'MODERATE', color: '#ffaa00', fill: 0.4 });
    assert.deepEqual(threat_level({}), { label: 'NORMAL', color: '#39ff14', fill: 0.15 });
});

test('search matches category, message, src and hostname, case-insensitively; not agent_id', () => {
    const a = { level: 'HIGH', category: 'Port Scan', message: 'Many ports', src: '10.0.0.7', hostname: 'Edge-1', agent_id: 'secret-agent' };
    assert.ok(matches(a, 'ALL', ''));
    assert.ok(matches(a, 'HIGH', 'port scan'));
    assert.ok(matches(a, 'ALL', 'MANY'));
    assert.ok(matches(a, 'ALL', '10.0.0.7'));
    assert.ok(matches(a, 'ALL', 'edge-1'));
    assert.ok(!matches(a, 'ALL', 'secret-agent'));
    assert.ok(!matches(a, 'LOW', ''));
    assert.ok(!matches({ level: 'HIGH' }, 'ALL', 'x'));
});

test('relative times floor to s/m/h/d', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    assert.equal(relative_time('2026-01-01T11:59:59.500000+00:00', now), '0s ago');
    assert.equal(relative_time('2026-01-01T11:59:01+00:00', now), '59s ago');
    assert.equal(relative_time('2026-01-01T11:59:00+00:00', now), '1m ago');
    assert.equal(relative_time('2026-01-01T10:00:01+00:00', now), '1h ago');
    assert.equal(relative_time('2025-12-30T12:00:00+00:00', now), '2d ago');
    assert.equal(relative_time('not a time', now), '—');
    assert.equal(relative_time('2026-01-01T12:00:09+00:00', now), '0s ago');  // clock skew
});

test('feed times: HH:MM:SS today, with the date otherwise (local time)', () => {
    const now = new Date();
    const today = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 8, 5, 9);
    assert.equal(feed_time(today.toISOString()), '08:05:09');
    const old = new Date(2020, 2, 4, 23, 59, 58);
    assert.equal(feed_time(old.toISOString()), '03-04 23:59:58');
    assert.equal(feed_time(''), '--:--:--');
});

test('number formats', () => {
    assert.equal(fmt_int(1234567), '1,234,567');
    assert.equal(fmt_int(NaN), '0');
    assert.equal(fmt_bytes(0), '0 B');
    assert.equal(fmt_bytes(1536), '1.5 KB');
    assert.equal(fmt_bytes(987654321), '941.9 MB');
    assert.equal(fmt_duration(59), '0m 59s');
    assert.equal(fmt_duration(3700), '1h 1m');
    assert.equal(fmt_duration(90000), '1d 1h');
});
