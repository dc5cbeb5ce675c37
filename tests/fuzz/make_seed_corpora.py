#!/usr/bin/env python3
"""Writes the seed corpora of the non-packet fuzz targets (tests/fuzz/corpus/<target>/).

Seeds come from the existing tests' inputs: raw string literals R"(...)" and the string literals
passed to add_text() in the unit tests, the stand-ins' answers (vt_stub.py, suppression_stub.py),
and the server tests' requests; each is wrapped in its target's input format (README.md).
Seed files are named seed-<target>-<n>; inputs found by fuzzing keep libFuzzer's hash names.
Usage: make_seed_corpora.py [OUT_DIR]   (default: corpus/ next to this script)
"""
import ast
import json
import os
import re
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def raw_strings(rel):
    """Every R"(...)" literal of a C++ file, as bytes."""
    return [m.encode() for m in re.findall(r'R"\((.*?)\)"', read(rel), re.S)]


def c_literal_runs(text):
    """Adjacent "..." literals joined, for each run that follows add_text(N,."""
    out = []
    for m in re.finditer(r"add_text\(\s*\d+\s*,((?:\s*\"(?:[^\"\\]|\\.)*\")+)", text):
        parts = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", m.group(1))
        out.append("".join(ast.literal_eval('"' + p + '"') for p in parts).encode())
    return out


def field(b):
    return struct.pack("<H", len(b)) + b


def write_all(out_dir, target, seeds):
    d = os.path.join(out_dir, target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if name.startswith("seed-"):
            os.remove(os.path.join(d, name))
    seen = set()
    n = 0
    for s in seeds:
        if s in seen:
            continue
        seen.add(s)
        with open(os.path.join(d, f"seed-{target}-{n:03d}"), "wb") as f:
            f.write(s)
        n += 1
    print(f"{target}: {n} seeds")


def json_like(blobs):
    return [b for b in blobs if b.lstrip()[:1] in (b"{", b"[")]


def rule_json():
    rules = json_like(raw_strings("tests/suppress/rule_test.cc"))
    rules += json_like(raw_strings("tests/transport/suppression_test.cc"))
    sets = [b for b in rules if b"\"rules\"" in b]
    seeds = []
    for r in rules:
        seeds += [b"\x00" + r, b"\x01" + r]
    for s in sets:
        seeds += [b"\x02" + s, b"\x03" + s]
    seeds.append(b"\x02" + json.dumps({"version": 3, "rules": [
        {"id": 1, "category": "PORT SCAN", "src": "10.0.0.0/8"},
        {"id": 2, "dst": "2001:db8::/32", "port": 443, "expires_at": "2030-01-01T00:00:00Z"},
        {"id": 3, "agent_id": "agent-1", "category": "suspicious port"}]}).encode())
    seeds.append(b"\x01" + b'{"category":"X","expires_in_s":3600}')
    seeds.append(b"\x03not json")
    return seeds


def config():
    seeds = json_like(raw_strings("tests/config/config_test.cc"))
    seeds.append(json.dumps({
        "api_key": "0123456789abcdef0123", "server_host": "::", "gui_port": 9443,
        "agent_port": 9444, "redirect_port": 0, "data_dir": "data",
        "storage": {"backend": "postgres", "dsn": "postgresql://u:secret@db/ns"},
        "intel_feeds": [{"path": "feeds/a.txt", "tier": "HIGH"}],
        "detectors": {"port_scan_threshold": 20, "suspicious_ports": [4444, 31337]},
        "outputs": {"webhook_url": "https://hooks.example/x?token=1", "syslog_host": "log",
                    "syslog_transport": "tls", "syslog_ca_file": "ca.pem"}}).encode())
    return seeds


def feeds():
    seeds = []
    for s in c_literal_runs(read("tests/intel/feeds_test.cc")):
        seeds += [b"\x00" + s, b"\x0e" + s]
    return seeds


def spool():
    def rec(payload):
        length = struct.pack("<I", len(payload))
        return length + struct.pack("<I", zlib.crc32(payload, zlib.crc32(length))) + payload

    def framed(*payloads):
        return b"".join(bytes([len(p)]) + p for p in payloads)

    alert = b'{"id":"a1","level":"HIGH","category":"PORT SCAN","src":"10.0.0.5"}'
    seeds = [
        b"\x00\x00" + rec(alert) + rec(b"two"),               # raw, valid, no ack file
        b"\x01\x04" + b"1 0\n" + rec(alert) + rec(b"two"),    # ack at the start
        b"\x01\x05" + b"1 79\n" + rec(alert) + rec(b"two"),   # ack past the first record
        b"\x00\x00" + rec(alert) + rec(b"two")[:-2],          # torn tail
        b"\x00\x00" + rec(alert)[:5] + b"\xff" + rec(alert)[6:],  # damaged checksum
        b"\x01\x03" + b"x y" + rec(b"z"),                     # unreadable ack
        b"\x44\x00" + framed(alert, b"b", b"", b"c" * 200),   # framed, consume half
        b"\x4e\x00" + framed(alert, b"b", b"c"),              # framed, two segments, torn
        b"\x54\x00" + framed(*([b"x" * 250] * 12)),           # framed, small spool (drops)
        b"\x65\x04" + b"7 0\n" + framed(alert, b"b"),         # segment 7, ack file
    ]
    return seeds


def vt_reply():
    def report(**kw):
        attributes = {
            "last_analysis_stats": {"malicious": kw.get("malicious", 0), "suspicious": 0,
                                    "harmless": 70, "undetected": 10, "timeout": 0},
            "reputation": kw.get("reputation", 0), "country": "US", "as_owner": "Example AS"}
        return json.dumps({"data": {"id": "8.8.8.8", "type": "ip_address",
                                    "attributes": attributes}}).encode()

    error = lambda code: json.dumps({"error": {"code": code, "message": "x"}}).encode()
    return [
        b"\x00" + report(), b"\x01" + report(malicious=5), b"\x02" + report(reputation=-80),
        b"\x40" + json.dumps({"data": {"id": "example.com", "type": "domain", "attributes": {
            "registrar": "Example Registrar", "reputation": 3}}}).encode(),
        b"\x00" + b'{"unexpected":true}', b"\x04" + error("NotFoundError"),
        b"\x15" + error("QuotaExceededError"), b"\x05" + error("QuotaExceededError"),
        b"\x06" + error("WrongCredentialsError"), b"\x07" + b"<html>502</html>",
        b"\x08", b"\x00" + b'{"data":{"attributes":{"last_analysis_stats":{"malicious":1e300},'
                            b'"reputation":-1e300}}}',
    ]


def ws_message():
    seeds = [b'{"ok":true,"suppressions_version":4}', b'{"ok":true}',
             b'{"suppressions_version":"4"}', b'{"suppressions_version":18446744073709551615}',
             b"not json", b"[]"]
    seeds += [b for b in json_like(raw_strings("tests/transport/suppression_test.cc"))
              if b"\"rules\"" in b]
    return seeds


def server_request():
    AGENT, KEY, COOKIE, LEGACY, USER, ORIGIN, WS = 1, 2, 4, 8, 16, 32, 64

    def req(flags, method, target, body=b"", headers=()):
        out = bytes([flags]) + field(method) + field(target) + field(body)
        for name, value in headers:
            out += field(name) + field(value)
        return out

    alert = (b'{"level":"HIGH","category":"PORT SCAN","message":"Port scan from 10.0.0.5",'
             b'"src":"10.0.0.5","agent_id":"a1","hostname":"host-a1","os":"Linux 6.1",'
             b'"id":"x1","ts":"2026-01-02T03:04:05.123456+00:00"}')
    seeds = [
        req(AGENT | KEY, b"POST", b"/api/alert", alert),
        req(AGENT | KEY, b"POST", b"/api/alerts", b'{"alerts":[' + alert + b',{"level":"LOW"}]}'),
        req(AGENT | KEY, b"POST", b"/api/agent/heartbeat",
            b'{"agent_id":"a2","hostname":"h2","uptime_s":5,"suppressed":{"1":3}}'),
        req(AGENT | KEY, b"GET", b"/api/agent/suppressions"),
        req(AGENT, b"POST", b"/api/alert", alert),
        req(AGENT | KEY, b"GET", b"/api/alert"),
        req(AGENT | KEY, b"POST", b"/nope"),
        req(0, b"POST", b"/api/login", b'{"username":"admin","password":"wrong"}'),
        req(0, b"POST", b"/api/login", b'{"username":5}'),
        req(COOKIE, b"GET", b"/api/me"),
        req(COOKIE, b"GET", b"/api/state"),
        req(COOKIE, b"GET", b"/api/alerts?level=HIGH&category=PORT%20SCAN&q=scan&limit=5&offset=1"),
        req(COOKIE, b"GET", b"/api/alerts?since=2026-01-01T00:00:00Z&until=2027-01-01&status=open"),
        req(LEGACY, b"GET", b"/api/alerts/export?format=csv&level=LOW"),
        req(LEGACY, b"GET", b"/api/alerts/export?format=json"),
        req(COOKIE, b"GET", b"/api/agents"),
        req(USER, b"GET", b"/metrics"),
        req(COOKIE | ORIGIN | WS, b"GET", b"/ws"),
        req(COOKIE, b"GET", b"/api/users"),
        req(COOKIE, b"POST", b"/api/users", b'{"username":"viewer1","password":"a long password 123",'
                                            b'"role":"viewer"}'),
        req(COOKIE, b"DELETE", b"/api/users/viewer1"),
        req(COOKIE, b"POST", b"/api/me/password", b'{"old":"x","new":"a new password 12345"}'),
        req(USER, b"GET", b"/api/tokens"),
        req(USER, b"POST", b"/api/tokens", b'{"name":"ci"}'),
        req(USER, b"DELETE", b"/api/tokens/999"),
        req(COOKIE, b"GET", b"/api/audit?limit=10&user=admin"),
        req(COOKIE, b"GET", b"/api/suppressions"),
        req(COOKIE, b"POST", b"/api/suppressions",
            b'{"category":"PORT SCAN","src":"10.0.0.0/8","comment":"lab","expires_in_s":3600}'),
        req(COOKIE, b"DELETE", b"/api/suppressions/1"),
        req(COOKIE, b"POST", b"/api/alerts/ack", b'{"ids":["x1"],"comment":"seen"}'),
        req(COOKIE, b"POST", b"/api/alerts/resolve", b'{"ids":[1,2]}'),
        req(COOKIE, b"POST", b"/api/alerts/ack", b'{"group":{"category":"PORT SCAN","src":"10.0.0.5"}}'),
        req(COOKIE, b"GET", b"/api/alert-groups?by=category&level=HIGH"),
        req(COOKIE, b"POST", b"/api/logout"),
        req(0, b"GET", b"/"),
        req(0, b"GET", b"/assets/../../etc/passwd"),
        req(0, b"HEAD", b"/index.html", headers=[(b"Accept-Encoding", b"gzip")]),
        req(0, b"PUT", b"/x"),
        req(0, b"GET", b"/api/me", headers=[(b"Cookie", b"ns_session=deadbeef; other=1")]),
        req(0, b"GET", b"/api/me", headers=[(b"Authorization", b"Bearer nst_0000")]),
    ]
    return seeds


def vt_cache():
    """Cache files in virustotal/file_cache.h's format: whole, torn, damaged, and framed bodies."""
    header = b"NSVTC\x01\r\n"

    def text(t):
        return struct.pack("<H", len(t)) + t

    def answer(key, malicious=0, not_found=0, expires=2_000_000_000, country=b"US",
               owner=b"Example AS"):
        return (b"\x01" + text(key) + struct.pack("<IIIIiBq", malicious, 1, 70, 10, -5,
                                                   not_found, expires)
                + text(country) + text(owner))

    def budget(day, used):
        return b"\x02" + struct.pack("<qI", day, used)

    def rec(body):
        return struct.pack("<II", len(body), zlib.crc32(body)) + body

    def framed(*bodies):
        return b"".join(bytes([len(b)]) + b for b in bodies)

    whole = header + rec(answer(b"ip:203.0.113.10", 9)) + rec(
        answer(b"domain:example.test", not_found=1)) + rec(budget(20_000, 17))
    replaced = whole + rec(answer(b"ip:203.0.113.10", 2)) + rec(budget(20_000, 18))
    flipped = bytearray(whole)
    flipped[30] ^= 0x10
    return [
        b"\x00" + whole,                      # parsed only
        b"\x02" + whole,                      # opened, written, reopened
        b"\x02" + replaced,                   # later records replace earlier ones
        b"\x02" + whole[:-5],                 # torn tail
        b"\x02" + bytes(flipped),             # CRC mismatch
        b"\x02" + b"SQLite format 3\x00",     # someone else's file
        b"\x02",                              # empty file
        b"\x00" + header + struct.pack("<II", 0xFFFFFFFF, 0) + b"x" * 8,  # length beyond limit
        b"\x03" + framed(answer(b"ip:198.51.100.7", 3), budget(-1, 0), b"\x07junk",
                         answer(b"k" * 200)),  # framed: unknown type stops reading
        b"\x01" + framed(answer(b"ip:192.0.2.1", owner="\u00e9t\u00e9".encode()), b"",
                         budget(1, 2) + b"extra"),  # trailing bytes in a body
    ]


TARGETS = {
    "fuzz_rule_json": rule_json, "fuzz_config": config, "fuzz_feeds": feeds,
    "fuzz_spool": spool, "fuzz_vt_reply": vt_reply, "fuzz_vt_cache": vt_cache,
    "fuzz_ws_message": ws_message,
    "fuzz_server_request": server_request,
}

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    for name, make in TARGETS.items():
        write_all(out, name, make())
