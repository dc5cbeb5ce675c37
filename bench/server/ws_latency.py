#!/usr/bin/env python3
"""WebSocket push latency: POST /api/alert at a fixed rate, measure until the alert arrives on
a logged-in dashboard WebSocket. Standard library only.

usage: ws_latency.py GUI_PORT AGENT_PORT CA_FILE API_KEY ADMIN_PASSWORD [RATE] [SECONDS]
"""
import base64
import http.client
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_frame(sock):
    """One whole message (continuation frames joined): (opcode, payload)."""
    opcode, payload = None, b""
    while True:
        head = recv_exact(sock, 2)
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack(">H", recv_exact(sock, 2))[0]
        elif length == 127:
            length = struct.unpack(">Q", recv_exact(sock, 8))[0]
        data = recv_exact(sock, length)
        op = head[0] & 0x0F
        if op >= 8:  # control frames may interleave
            if head[0] & 0x80 and opcode is None:
                return op, data
            continue
        if opcode is None:
            opcode = op
        payload += data
        if head[0] & 0x80:
            return opcode, payload


def main():
    gui_port, agent_port, ca, api_key, password = sys.argv[1:6]
    rate = int(sys.argv[6]) if len(sys.argv) > 6 else 1000
    seconds = float(sys.argv[7]) if len(sys.argv) > 7 else 10
    ctx = ssl.create_default_context(cafile=ca)

    login = http.client.HTTPSConnection("127.0.0.1", int(gui_port), context=ctx)
    login.request("POST", "/api/login", json.dumps({"username": "admin", "password": password}),
                  {"Content-Type": "application/json"})
    resp = login.getresponse()
    resp.read()
    assert resp.status == 200, resp.status
    cookie = resp.getheader("Set-Cookie").split(";")[0]

    sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(gui_port))),
                           server_hostname="127.0.0.1")
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{gui_port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Cookie: {cookie}\r\nOrigin: https://127.0.0.1:{gui_port}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head

    sent = {}
    received = {}
    done = threading.Event()

    def reader():
        while not done.is_set():
            try:
                op, payload = read_frame(sock)
            except (EOFError, OSError):
                return
            if op != 1:
                continue
            now = time.monotonic()
            msg = json.loads(payload)
            if msg.get("type") == "alerts":
                for a in msg["alerts"]:
                    received.setdefault(a["id"], now)

    threading.Thread(target=reader, daemon=True).start()

    workers = 4
    per_worker = rate / workers
    total = int(rate * seconds)

    def poster(w):
        conn = http.client.HTTPSConnection("127.0.0.1", int(agent_port), context=ctx)
        start = time.monotonic()
        for i in range(total // workers):
            due = start + i / per_worker
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            aid = f"lat{w}-{i}"
            body = json.dumps({"id": aid, "level": "LOW", "category": "BENCH", "message": "x",
                               "src": "10.3.0.1", "agent_id": f"lat-{w}", "hostname": "bench"})
            sent[aid] = time.monotonic()
            conn.request("POST", "/api/alert", body,
                         {"Content-Type": "application/json", "X-API-Key": api_key})
            r = conn.getresponse()
            r.read()

    t0 = time.monotonic()
    threads = [threading.Thread(target=poster, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    time.sleep(1.0)
    done.set()
    lat = sorted((received[k] - v) * 1000 for k, v in sent.items() if k in received)
    if not lat:
        print("no alerts received")
        return 1
    pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))]
    print(f"posted {len(sent)} alerts in {elapsed:.1f} s ({len(sent) / elapsed:.0f}/s), "
          f"received {len(lat)} on the WebSocket")
    print(f"push latency ms: p50 {pct(0.50):.1f}  p90 {pct(0.90):.1f}  p99 {pct(0.99):.1f}  "
          f"max {lat[-1]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
