#!/usr/bin/env python3
"""A small HTTPS stand-in for the NetSentinel server's agent API, for transport tests.

Routes: POST /api/alerts (batch), POST /api/alert (original), POST /api/agent/heartbeat, with
X-API-Key checked and alerts de-duplicated by id. Every stored alert is appended to
<out>/alerts.jsonl (arrival order), every heartbeat body to <out>/heartbeats.jsonl.

Prints "port N" once listening, then obeys one command per line on stdin and answers each with a
line starting "ok":
  down                  close the listener and drop every connection (a crashed server)
  up                    listen again on the same port
  batch404 on|off       answer 404 to POST /api/alerts (an original server)
  fail N STATUS [RA]    answer the next N alert requests with STATUS (Retry-After RA seconds)
  delay SECONDS         wait this long before answering each alert request
  stats                 "ok {json}" with counters
  quit
"""
import argparse
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LEVELS = {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"}


class State:
    def __init__(self, out_dir, api_key):
        self.lock = threading.Lock()
        self.out_dir = out_dir
        self.api_key = api_key
        self.down = False
        self.batch404 = False
        self.fail_count = 0
        self.fail_status = 500
        self.fail_retry_after = None
        self.delay = 0.0
        self.seen = set()
        self.counters = {"requests": 0, "alert_requests": 0, "stored": 0, "duplicates": 0,
                         "rejected": 0, "heartbeats": 0, "failed": 0, "batch404": 0}
        self.alerts_file = open(os.path.join(out_dir, "alerts.jsonl"), "a", encoding="utf-8")
        self.hb_file = open(os.path.join(out_dir, "heartbeats.jsonl"), "a", encoding="utf-8")

    def store(self, alert):
        """Returns 'accepted', 'duplicate' or an error string. Caller holds the lock."""
        if not isinstance(alert, dict):
            return "Bad request"
        for key in ("level", "category", "message", "agent_id", "hostname"):
            if not alert.get(key):
                return "Missing fields"
        if str(alert["level"]).upper() not in LEVELS:
            return "Invalid level"
        alert_id = alert.get("id")
        if alert_id is not None and not ID_RE.match(str(alert_id)):
            return "Bad request"
        if alert_id is not None and alert_id in self.seen:
            self.counters["duplicates"] += 1
            return "duplicate"
        if alert_id is not None:
            self.seen.add(alert_id)
        self.alerts_file.write(json.dumps(alert) + "\n")
        self.alerts_file.flush()
        self.counters["stored"] += 1
        return "accepted"


STATE = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if STATE.down:
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        with STATE.lock:
            STATE.counters["requests"] += 1
        if STATE.down:
            self.close_connection = True
            return
        if self.headers.get("X-API-Key") != STATE.api_key:
            return self.reply(401, {"error": "Unauthorized"})
        try:
            body = json.loads(raw)
        except ValueError:
            return self.reply(400, {"error": "Bad request"})
        if self.path == "/api/agent/heartbeat":
            with STATE.lock:
                STATE.counters["heartbeats"] += 1
                STATE.hb_file.write(json.dumps(body) + "\n")
                STATE.hb_file.flush()
            return self.reply(200, {"ok": True})
        if self.path not in ("/api/alerts", "/api/alert"):
            return self.reply(404, {"error": "Not found"})
        if self.path == "/api/alerts" and STATE.batch404:
            with STATE.lock:
                STATE.counters["batch404"] += 1
            return self.reply(404, {"error": "Not found"})
        if STATE.delay:
            time.sleep(STATE.delay)
        with STATE.lock:
            STATE.counters["alert_requests"] += 1
            if STATE.fail_count > 0:
                STATE.fail_count -= 1
                STATE.counters["failed"] += 1
                headers = {}
                if STATE.fail_retry_after is not None:
                    headers["Retry-After"] = str(STATE.fail_retry_after)
                return self.reply(STATE.fail_status, {"error": "Injected failure"}, headers)
            if self.path == "/api/alert":
                result = STATE.store(body)
                if result in ("accepted", "duplicate"):
                    return self.reply(201, {"ok": True, "id": body.get("id")})
                STATE.counters["rejected"] += 1
                return self.reply(422 if result == "Invalid level" else 400, {"error": result})
            alerts = body.get("alerts") if isinstance(body, dict) else None
            if not isinstance(alerts, list) or len(alerts) > 500:
                return self.reply(400, {"error": "Bad request"})
            accepted, duplicates, rejected = [], [], []
            for alert in alerts:
                result = STATE.store(alert)
                alert_id = alert.get("id") if isinstance(alert, dict) else None
                if result == "accepted":
                    accepted.append(alert_id)
                elif result == "duplicate":
                    duplicates.append(alert_id)
                else:
                    STATE.counters["rejected"] += 1
                    rejected.append({"id": alert_id, "error": result})
            return self.reply(201, {"ok": True, "accepted": accepted, "duplicates": duplicates,
                                    "rejected": rejected})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, ctx):
        super().__init__(addr, Handler)
        self.ctx = ctx
        self.conns = set()
        self.conns_lock = threading.Lock()

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.settimeout(5)
        tls = self.ctx.wrap_socket(sock, server_side=True)  # handshake errors: connection dropped
        with self.conns_lock:
            self.conns.add(tls)
        return tls, addr

    def handle_error(self, request, client_address):
        pass  # connections cut by "down" or by a killed agent are expected here

    def shutdown_request(self, request):
        with self.conns_lock:
            self.conns.discard(request)
        super().shutdown_request(request)

    def drop_all(self):
        with self.conns_lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def start_server(port, ctx):
    server = Server(("127.0.0.1", port), ctx)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return server


def main():
    global STATE
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--api-key", default="test-key")
    args = ap.parse_args()

    STATE = State(args.out, args.api_key)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    server = start_server(0, ctx)
    port = server.server_address[1]
    print(f"port {port}", flush=True)

    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        cmd = parts[0]
        if cmd == "down":
            if server is not None:
                STATE.down = True
                server.shutdown()
                server.server_close()
                server.drop_all()
                server = None
        elif cmd == "up":
            if server is None:
                for _ in range(100):
                    try:
                        server = start_server(port, ctx)
                        break
                    except OSError:
                        time.sleep(0.05)
                STATE.down = False
        elif cmd == "batch404":
            STATE.batch404 = parts[1] == "on"
        elif cmd == "fail":
            with STATE.lock:
                STATE.fail_count = int(parts[1])
                STATE.fail_status = int(parts[2])
                STATE.fail_retry_after = parts[3] if len(parts) > 3 else None
        elif cmd == "delay":
            STATE.delay = float(parts[1])
        elif cmd == "stats":
            with STATE.lock:
                print("ok " + json.dumps(STATE.counters), flush=True)
            continue
        elif cmd == "quit":
            print("ok", flush=True)
            break
        print("ok", flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
