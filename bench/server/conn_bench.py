#!/usr/bin/env python3
"""Connection benchmarks against a running server (docs/benchmarks-server.md). Standard library
only; everything on loopback.

usage: conn_bench.py latency AGENT_PORT CA_FILE API_KEY [REQUESTS]
         REQUESTS (200) sequential POST /api/alert, each on a new TLS connection from 127.0.0.1;
         prints p50/p99/max of the whole request (connect, handshake, request, answer).
       conn_bench.py flood AGENT_PORT CA_FILE API_KEY [IDLE] [FROM] [POSTS]
         opens IDLE (5000) TCP connections from the loopback address FROM (127.0.0.2) that send
         nothing, then times POSTS (20) agent requests (new TLS connection each) from 127.0.0.1
         while they are held; prints the request times and how many idle sockets the server
         closed.
"""
import http.client
import json
import resource
import select
import socket
import ssl
import sys
import time
import uuid


def alert_body():
    return json.dumps({
        "level": "HIGH", "category": "PORT SCAN", "message": "Port scan from 10.0.0.5",
        "src": "10.0.0.5", "agent_id": "bench-agent", "hostname": "bench", "os": "Linux",
        "id": str(uuid.uuid4()), "ts": "2026-01-02T03:04:05.123456+00:00"})


def post_once(port, ctx, api_key):
    """Seconds for one POST /api/alert on a fresh connection (raises unless 201)."""
    t0 = time.perf_counter()
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    conn.request("POST", "/api/alert", alert_body(),
                 {"Content-Type": "application/json", "X-API-Key": api_key})
    resp = conn.getresponse()
    resp.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    if resp.status != 201:
        raise RuntimeError(f"status {resp.status}")
    return elapsed


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def ms(v):
    return f"{v * 1000:.2f} ms"


def latency(port, ctx, api_key, n):
    post_once(port, ctx, api_key)  # warm-up
    times = [post_once(port, ctx, api_key) for _ in range(n)]
    print(f"{n} new-connection POST /api/alert: p50 {ms(pct(times, 50))}, "
          f"p99 {ms(pct(times, 99))}, max {ms(max(times))}")


def closed_count(socks):
    """How many of `socks` the server has closed (end of stream or reset)."""
    poller = select.poll()
    by_fd = {}
    for s in socks:
        poller.register(s, select.POLLIN)
        by_fd[s.fileno()] = s
    closed = 0
    for fd, _ in poller.poll(0):
        try:
            closed += by_fd[fd].recv(1, socket.MSG_DONTWAIT) == b""
        except ConnectionResetError:
            closed += 1
        except BlockingIOError:
            pass
    return closed


def flood(port, ctx, api_key, idle, source, posts):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, idle + 256)), hard))
    socks = []
    t0 = time.perf_counter()
    for _ in range(idle):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    print(f"{idle} idle connections from {source} opened in {time.perf_counter() - t0:.2f} s")
    time.sleep(1)
    print(f"closed by the server after 1 s: {closed_count(socks)}")
    times = [post_once(port, ctx, api_key) for _ in range(posts)]
    print(f"{posts} agent POST /api/alert from 127.0.0.1 (new TLS connection each): "
          f"p50 {ms(pct(times, 50))}, max {ms(max(times))}, first {ms(times[0])}")
    print(f"closed by the server at the end: {closed_count(socks)}")
    for s in socks:
        s.close()


def main():
    mode, port, ca, api_key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rest = sys.argv[5:]
    ctx = ssl.create_default_context(cafile=ca)
    if mode == "latency":
        latency(port, ctx, api_key, int(rest[0]) if rest else 200)
    elif mode == "flood":
        flood(port, ctx, api_key, int(rest[0]) if rest else 5000,
              rest[1] if len(rest) > 1 else "127.0.0.2", int(rest[2]) if len(rest) > 2 else 20)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
