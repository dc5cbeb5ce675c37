#!/usr/bin/env python3
"""Minimal WebSocket test client (standard library only).

usage: ws_client.py GUI_PORT AGENT_PORT CA_FILE COOKIE ORIGIN API_KEY [push|logout|manage]
                    [WRITE_PORT WRITE_COOKIE]
Prints the HTTP status of the upgrade. On 101: waits for "hello", then
  push:   posts one alert to the agent port and prints "pushed" once an "alerts" message with
          that alert's id arrives;
  logout: logs the session out and prints "closed" once the server ends the WebSocket;
  manage: (admin session) adds a rule, posts an alert, acknowledges it and resolves its group,
          printing "suppressions", "alerts new", "alert_update acknowledged admin" and
          "group_update resolved" as each push arrives. With WRITE_PORT and WRITE_COOKIE the
          rule, acknowledgement and resolution are made on that (another) server instead.
"""
import base64
import json
import os
import socket
import ssl
import struct
import sys
import urllib.request


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


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def main():
    gui_port, agent_port, ca, cookie, origin, api_key = sys.argv[1:7]
    mode = sys.argv[7] if len(sys.argv) > 7 else "push"
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", int(gui_port)), timeout=30)
    sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /ws HTTP/1.1",
        f"Host: 127.0.0.1:{gui_port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if cookie:
        lines.append(f"Cookie: ns_session={cookie}")
    if origin:
        lines.append(f"Origin: {origin}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        if not chunk:
            break
        response += chunk
    status = response.split(b"\r\n", 1)[0].split(b" ")[1].decode()
    print(status, flush=True)
    if status != "101":
        return 0
    opcode, payload = read_frame(sock)
    hello = json.loads(payload)
    assert hello["type"] == "hello", hello
    if mode == "logout":
        req = urllib.request.Request(
            f"https://127.0.0.1:{gui_port}/api/logout", data=b"",
            headers={"Cookie": f"ns_session={cookie}"}, method="POST")
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            assert r.status == 200
        try:
            while True:
                opcode, _ = read_frame(sock)
                if opcode == 8:
                    break
        except (EOFError, OSError):
            pass
        print("closed", flush=True)
        return 0
    if mode == "manage":
        write_port, write_cookie = (sys.argv[8:10] if len(sys.argv) > 9 else (gui_port, cookie))
        return manage(sock, ctx, write_port, agent_port, write_cookie, api_key)
    alert = {"id": "ws-alert-1", "level": "HIGH", "category": "PORT SCAN",
             "message": "pushed", "src": "10.9.9.9", "agent_id": "ws", "hostname": "ws-host"}
    req = urllib.request.Request(
        f"https://127.0.0.1:{agent_port}/api/alert", data=json.dumps(alert).encode(),
        headers={"X-API-Key": api_key, "Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        assert r.status == 201
    while True:
        opcode, payload = read_frame(sock)
        if opcode != 1:
            continue
        msg = json.loads(payload)
        if msg["type"] == "alerts" and any(a["id"] == "ws-alert-1" for a in msg["alerts"]):
            print("pushed", flush=True)
            return 0


def next_message(sock, wanted):
    while True:
        opcode, payload = read_frame(sock)
        if opcode != 1:
            continue
        msg = json.loads(payload)
        if msg["type"] == wanted:
            return msg


def manage(sock, ctx, gui_port, agent_port, cookie, api_key):
    def call(port, path, body, headers):
        req = urllib.request.Request(
            f"https://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
            headers=dict(headers, **{"Content-Type": "application/json"}), method="POST")
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return json.loads(r.read())

    gui = {"Cookie": f"ns_session={cookie}"}
    made = call(gui_port, "/api/suppressions", {"category": "WS RULE", "comment": "ws"}, gui)
    msg = next_message(sock, "suppressions")
    assert any(r["id"] == made["rule"]["id"] for r in msg["rules"]), msg
    print("suppressions", flush=True)
    alert = {"id": "ws-m1", "level": "HIGH", "category": "WS CAT", "message": "m",
             "src": "10.8.8.8", "agent_id": "ws", "hostname": "ws-host"}
    call(agent_port, "/api/alert", alert, {"X-API-Key": api_key})
    msg = next_message(sock, "alerts")
    print("alerts", msg["alerts"][0]["status"], flush=True)
    call(gui_port, "/api/alerts/ack", {"ids": ["ws-m1"]}, gui)
    msg = next_message(sock, "alert_update")
    u = msg["updates"][0]
    assert u["id"] == "ws-m1" and u["ack_at"], msg
    print("alert_update", u["status"], u["ack_by"], flush=True)
    call(gui_port, "/api/alerts/resolve", {"group": {"category": "WS CAT", "src": "10.8.8.8"}},
         gui)
    msg = next_message(sock, "alert_update")
    assert msg["group"] == {"category": "WS CAT", "src": "10.8.8.8"}, msg
    print("group_update", msg["status"], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
