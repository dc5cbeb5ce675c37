#!/usr/bin/env python3
"""A loopback stand-in for the VirusTotal v3 API, for tests only.

Serves GET /api/v3/ip_addresses/<ip> and /api/v3/domains/<name> over HTTPS with the documented
response shapes. A JSON script file (re-read on every request) says what to answer:

  {"key": "expected x-apikey (optional; a mismatch answers 401)",
   "responses": {"ip_addresses/198.51.100.1": [{"status": 429, "retry_after": 30},
                                                {"status": 200, "malicious": 3}]}}

The n-th request for a path gets the n-th entry (the last one repeats); unknown paths get 404.
Every request is appended to the log file as one JSON line: {"path", "apikey", "time"}.
"""
import argparse
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/api/v3/"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    lock = threading.Lock()
    seen = {}

    def load_script():
        try:
            with open(args.script, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def send_json(self, status, body, headers=None):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            apikey = self.headers.get("x-apikey", "")
            with lock:
                with open(args.log, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"path": self.path, "apikey": apikey,
                                        "time": time.time()}) + "\n")
                script = load_script()
                rel = self.path[len(PREFIX):] if self.path.startswith(PREFIX) else self.path
                count = seen.get(rel, 0)
                seen[rel] = count + 1
            if "key" in script and apikey != script["key"]:
                self.send_json(401, {"error": {"code": "WrongCredentialsError",
                                               "message": "Wrong API key"}})
                return
            answers = script.get("responses", {}).get(rel)
            if not answers:
                self.send_json(404, {"error": {"code": "NotFoundError",
                                               "message": f"{rel} not found"}})
                return
            spec = answers[min(count, len(answers) - 1)]
            status = spec.get("status", 200)
            if status == 200:
                kind, _, ident = rel.partition("/")
                attributes = {
                    "last_analysis_stats": {
                        "malicious": spec.get("malicious", 0),
                        "suspicious": spec.get("suspicious", 0),
                        "harmless": spec.get("harmless", 70),
                        "undetected": spec.get("undetected", 10),
                        "timeout": 0,
                    },
                    "reputation": spec.get("reputation", 0),
                    "country": spec.get("country", "US"),
                    "as_owner": spec.get("as_owner", "Example AS"),
                }
                self.send_json(200, {"data": {
                    "id": ident,
                    "type": "ip_address" if kind == "ip_addresses" else "domain",
                    "attributes": attributes}})
                return
            if status == 999:  # a body that is not the documented shape
                self.send_json(200, {"unexpected": True})
                return
            headers = {}
            if "retry_after" in spec:
                headers["Retry-After"] = str(spec["retry_after"])
            codes = {401: "WrongCredentialsError", 404: "NotFoundError",
                     429: "QuotaExceededError"}
            self.send_json(status, {"error": {"code": codes.get(status, "Error"),
                                              "message": "scripted"}}, headers)

    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
