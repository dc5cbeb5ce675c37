#!/usr/bin/env python3
"""The transport stand-in (tests/support/standin_server.py) plus the agent side of the
suppression contract (manage.md): GET /api/agent/suppressions answers <out>/rules.json as it is
on disk (404 when it is missing, like an original server), and a heartbeat answer carries its
"version" as "suppressions_version" (left out when the file is missing). Each GET of the rules
adds a line to <out>/rule_fetches.log.

Usage: suppression_stub.py SUPPORT_DIR --cert C --key K --out DIR [--api-key KEY]
(the stand-in's commands on stdin work unchanged).
"""
import json
import os
import sys

sys.path.insert(0, sys.argv.pop(1))
import standin_server as base  # noqa: E402


def rules_doc():
    try:
        with open(os.path.join(base.STATE.out_dir, "rules.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def do_get(self):
    if base.STATE.down:
        self.close_connection = True
        return None
    if self.headers.get("X-API-Key") != base.STATE.api_key:
        return self.reply(401, {"error": "Unauthorized"})
    if self.path != "/api/agent/suppressions":
        return self.reply(404, {"error": "Not found"})
    with base.STATE.lock:
        with open(os.path.join(base.STATE.out_dir, "rule_fetches.log"), "a",
                  encoding="utf-8") as f:
            f.write("GET\n")
    doc = rules_doc()
    if doc is None:
        return self.reply(404, {"error": "Not found"})
    return self.reply(200, doc)


original_reply = base.Handler.reply


def reply(self, status, obj, headers=None):
    if self.command == "POST" and self.path == "/api/agent/heartbeat" and status == 200:
        doc = rules_doc()
        if doc is not None:
            obj = dict(obj, suppressions_version=doc.get("version", 0))
    return original_reply(self, status, obj, headers)


base.Handler.do_GET = do_get
base.Handler.reply = reply
base.main()
