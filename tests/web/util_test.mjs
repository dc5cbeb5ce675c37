// Unit tests of the dashboard's pure helpers (gauge rule, search match, time formatting), run with
// node's built-in test runner: node --test tests/web/util_test.mjs
import assert from 'node:assert/strict';
import test from 'node:test';

import { validate_user_form } from '../../src/web/app/js/admin.js';
import { alert_passes, apply_group_status, group_status, higher_level, merge_alert } from '../../src/web/app/js/groups.js';
import { describe_rule, is_address_or_cidr, source_address, validate_rule_form } from '../../src/web/app/js/rules.js';
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
    assert.deepEqual(threat_level({ MEDIUM: 2 }), { label: 'MODERATE', color: '#ffe600', fill: 0.4 });
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

// Issue 11: rule and user validation (the server's wording), grouping of live alerts.

test('addresses and CIDRs as the server accepts them', () => {
    for (const ok of ['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '192.168.1.5/32', '::1', '2001:db8::/32', 'fe80::1/128', '::ffff:10.0.0.1']) assert.ok(is_address_or_cidr(ok), ok);
    for (const bad of ['', 'host', '10.0.0', '10.0.0.256', '10.0.0.0/33', '10.0.0.0/', '2001:db8::/129', '1.2.3.4:80', 'http://x', '10.0.0.0/8/8']) assert.ok(!is_address_or_cidr(bad), bad);
    assert.equal(source_address('1.2.3.4:80'), '1.2.3.4');
    assert.equal(source_address('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(source_address('2001:db8::1'), '2001:db8::1');
    assert.equal(source_address(' 10.0.0.7 '), '10.0.0.7');
});

test('rule form: at least one field, server wording, typed body', () => {
    assert.match(validate_rule_form({}).error, /^rule: set at least one of category, src, dst, port, agent_id/);
    assert.match(validate_rule_form({ comment: 'only a comment' }).error, /at least one/);
    assert.deepEqual(validate_rule_form({ src: 'x' }), { field: 'src', error: 'src: expected an IPv4/IPv6 address or CIDR' });
    assert.equal(validate_rule_form({ dst: '10.0.0.0/40' }).field, 'dst');
    for (const port of ['0', '65536', '22a', '-1', '1.5']) assert.equal(validate_rule_form({ port }).field, 'port', port);
    assert.deepEqual(validate_rule_form({ category: ' PORT SCAN ', src: '10.0.0.0/8', port: '22', comment: ' nightly ', expires_in_s: '3600' }), {
        body: { category: 'PORT SCAN', src: '10.0.0.0/8', port: 22, comment: 'nightly', expires_in_s: 3600 },
    });
    assert.deepEqual(validate_rule_form({ agent_id: 'lab-a' }), { body: { agent_id: 'lab-a', comment: '' } });
    assert.equal(describe_rule({ category: 'PORT SCAN', src: '10.0.0.0/8', port: 22 }), 'category PORT SCAN · src 10.0.0.0/8 · port 22');
});

test('user form mirrors the server rules', () => {
    assert.ok(validate_user_form({ name: 'ops.bob-2', password: '0123456789', role: 'viewer' }).body);
    assert.equal(validate_user_form({ name: 'bad name', password: '0123456789', role: 'viewer' }).field, 'name');
    assert.equal(validate_user_form({ name: 'x'.repeat(65), password: '0123456789', role: 'viewer' }).field, 'name');
    assert.equal(validate_user_form({ name: 'bob', password: '012345678', role: 'viewer' }).field, 'password');
    assert.equal(validate_user_form({ name: 'bob', password: '0123456789', role: 'readonly' }).field, 'role');
});

test('live alerts merge into their group: count, times, highest level, open', () => {
    const groups = new Map();
    const base = { category: 'PORT SCAN', src: '10.0.0.9', agent_id: 'a' };
    merge_alert(groups, { ...base, level: 'LOW', ts: '2026-01-01T10:00:00.000000+00:00', message: 'one' });
    const g = merge_alert(groups, { ...base, level: 'HIGH', ts: '2026-01-01T10:05:00.000000+00:00', message: 'two', agent_id: 'b' });
    merge_alert(groups, { ...base, level: 'MEDIUM', ts: '2026-01-01T09:00:00.000000+00:00', message: 'late' });
    assert.equal(groups.size, 1);
    assert.equal(g.count, 3);
    assert.equal(g.level, 'HIGH');
    assert.equal(g.first_ts, '2026-01-01T09:00:00.000000+00:00');
    assert.equal(g.last_ts, '2026-01-01T10:05:00.000000+00:00');
    assert.equal(g.last_message, 'two');
    assert.equal(g.open, 3);
    assert.equal(g.agents, 2);
    merge_alert(groups, { ...base, src: '10.0.0.10', level: 'INFO', ts: '2026-01-01T10:06:00+00:00' });
    assert.equal(groups.size, 2);
    // A group from the server keeps its figures and grows.
    const server = new Map([['PORT SCAN\u000010.0.0.9', { category: 'PORT SCAN', src: '10.0.0.9', count: 40, level: 'CRITICAL', first_ts: 'a', last_ts: 'b', open: 2, new: 1, agents: 3 }]]);
    const s = merge_alert(server, { ...base, level: 'LOW', ts: 'c', message: 'x' });
    assert.deepEqual([s.count, s.level, s.open, s.new, s.agents, s.last_ts], [41, 'CRITICAL', 3, 2, 3, 'c']);
    assert.equal(higher_level('INFO', 'CRITICAL'), 'CRITICAL');
    assert.equal(higher_level('HIGH', 'bogus'), 'HIGH');
});

test('group status follows acknowledge and resolve', () => {
    const g = { open: 3, new: 3 };
    assert.equal(group_status(g), 'NEW');
    apply_group_status(g, 'acknowledged', 'admin', 't1');
    assert.equal(group_status(g), 'ACKNOWLEDGED');
    assert.equal(g.open, 3);
    assert.equal(g.ack_by, 'admin');
    apply_group_status(g, 'resolved', 'bob', 't2');
    assert.equal(group_status(g), 'RESOLVED');
    assert.deepEqual([g.ack_by, g.resolved_by], ['admin', 'bob']);
    // Without a "new" count the page remembers what it saw.
    const h = { open: 2 };
    assert.equal(group_status(h), 'OPEN');
    assert.equal(group_status(h, 'acknowledged'), 'ACKNOWLEDGED');
    assert.equal(group_status(h, 'new'), 'NEW');
    apply_group_status(h, 'acknowledged', 'admin', 't');
    assert.equal(group_status(h), 'ACKNOWLEDGED');
});

test('live alerts pass the status filter as stored alerts would', () => {
    const a = { level: 'HIGH', category: 'SYN FLOOD', message: 'm', src: '1.2.3.4', hostname: 'h' };
    assert.ok(alert_passes(a, { level: 'ALL', q: '', status: 'open' }));
    assert.ok(alert_passes(a, { level: 'HIGH', q: 'syn', status: 'new' }));
    assert.ok(alert_passes(a, { level: 'ALL', q: '', status: 'all' }));
    assert.ok(!alert_passes(a, { level: 'ALL', q: '', status: 'resolved' }));
    assert.ok(!alert_passes(a, { level: 'ALL', q: '', status: 'acknowledged' }));
    assert.ok(!alert_passes({ ...a, status: 'resolved' }, { level: 'ALL', q: '', status: 'open' }));
    assert.ok(!alert_passes(a, { level: 'LOW', q: '', status: 'open' }));
});
