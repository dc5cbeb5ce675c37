#!/usr/bin/env python3
"""A local HTTPS webhook receiver for the outputs tests.

Listens on 127.0.0.1 (--port 0 picks a free port; the same port can be given again after a
restart), prints "port N" once listening, and appends one JSON line per request to --out:
{"path", "signature", "valid" (HMAC-SHA256 of the body under --secret matches), "body"}.
Answers 200, or --status for every request.
"""
import argparse
import hashlib
import hmac
import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--secret", default="")
    ap.add_argument("--status", type=int, default=200)
    args = ap.parse_args()
    lock = threading.Lock()
    out = open(args.out, "a", encoding="utf-8")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            sig = self.headers.get("X-NetSentinel-Signature", "")
            expected = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
            record = {"path": self.path, "signature": sig,
                      "valid": hmac.compare_digest(sig, expected),
                      "content_type": self.headers.get("Content-Type", ""),
                      "body": json.loads(body.decode("utf-8"))}
            with lock:
                out.write(json.dumps(record) + "\n")
                out.flush()
            reply = b'{"ok":true}'
            self.send_response(args.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *unused):
            pass

    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("port %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
