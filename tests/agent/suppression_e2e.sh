#!/usr/bin/env bash
# Suppression end to end (issue #11): a real sentinel-server and a real sentinel-agent replaying a
# capture to it (--read FILE --output server). A rule created through the API (as admin, with a
# per-user API token) stops that category's alerts from that source on the agent, so none is
# sent; the agent's per-rule count arrives in the rule's hits_agents; deleting the rule restores
# the alerts. Loopback only; ports are picked free; everything lives in a temporary folder.
# Usage: suppression_e2e.sh BIN_DIR PCAP_DIR   (exit 77 = skipped: capture missing)
set -euo pipefail
bin=$1
pcap="$2/port_scan/evilfingers_nmap_sT.pcap"
category="PORT SCAN"
source_ip="192.168.1.10"
[ -f "$pcap" ] || { echo "SKIPPED: $pcap not found"; exit 77; }
for p in sentinel-server sentinel-agent sentinel-certs; do
  [ -x "$bin/$p" ] || { echo "FAILED: $bin/$p missing"; exit 1; }
done

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  [ -n "${KEEP_E2E:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; echo "--- server log"; tail -30 "$work/server.log" 2>/dev/null || true; exit 1; }
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY

"$bin/sentinel-certs" --out-dir "$work/pki" >"$work/certs.log" 2>&1 || { cat "$work/certs.log"; fail "sentinel-certs"; }
read -r gui_port agent_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
python3 - "$work" "$gui_port" "$agent_port" <<'PY'
import json, os, sys
work, gui, agent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
path = f"{work}/pki/sentinel_config.json"
cfg = json.load(open(path))
cfg.update(data_dir=f"{work}/data", gui_port=gui, agent_port=agent, redirect_port=0,
           server_host="127.0.0.1")
json.dump(cfg, open(path, "w"), indent=2)
os.chmod(path, 0o600)
PY
config="$work/pki/sentinel_config.json"
ca="$work/pki/certs/ca.crt"
gui="https://127.0.0.1:$gui_port"
password="e2e-admin-password-0123"

SENTINEL_ADMIN_PASSWORD="$password" "$bin/sentinel-server" --config "$config" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
  curl -s -o /dev/null --cacert "$ca" "$gui/" && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited"
  sleep 0.1
done

# A server built without the suppression API (before the server side of issue #11 lands).
api_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"])' "$config")
probe=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H "X-API-Key: $api_key" \
  "https://127.0.0.1:$agent_port/api/agent/suppressions")
[ "$probe" != "404" ] || { echo "SKIPPED: this server has no suppression rules API"; exit 77; }

# An admin API token, made with a session.
curl -sf --cacert "$ca" -c "$work/cookies" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" "$gui/api/login" >/dev/null || fail "login"
token=$(curl -sf --cacert "$ca" -b "$work/cookies" -H 'Content-Type: application/json' -H "Origin: $gui" \
  -d '{"name":"suppression-e2e"}' "$gui/api/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') \
  || fail "token creation"
api() {  # api METHOD PATH [BODY] → body on stdout
  curl -s --cacert "$ca" -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "$gui$2"
}
# count CATEGORY SRC → stored alerts of that category whose src is exactly SRC
count() {
  api GET "/api/alerts?limit=1000&category=$(python3 -c 'import urllib.parse,sys;print(urllib.parse.quote(sys.argv[1]))' "$1")" |
    python3 -c 'import json,sys; print(sum(1 for a in json.load(sys.stdin)["alerts"] if a["src"] == sys.argv[1]))' "$2"
}
total() { api GET "/api/alerts?limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["alerts"]))'; }
rule_field() {  # rule_field ID FIELD
  api GET /api/suppressions | python3 -c '
import json, sys
rules = [r for r in json.load(sys.stdin)["rules"] if r["id"] == int(sys.argv[1])]
print(rules[0][sys.argv[2]] if rules else "missing")' "$1" "$2"
}
replay() {  # replay LOG: the agent ships the capture's alerts and stops once they are delivered
  "$bin/sentinel-agent" --config "$config" --read "$pcap" --output server \
    --server "https://127.0.0.1:$agent_port" --state-dir "$work/agent" >"$1" 2>&1 || {
    cat "$1"; fail "the agent failed"; }
}
wait_for() {  # wait_for SECONDS COMMAND...: until the command succeeds
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.2; done
}

# What the capture yields offline (no server): the figures the checks below expect.
"$bin/sentinel-agent" --read "$pcap" --output jsonl --no-progress >"$work/offline.jsonl" 2>/dev/null
read -r expected_hits expected_other < <(python3 - "$work/offline.jsonl" "$category" "$source_ip" <<'PY'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
hit = sum(1 for a in alerts if a["category"] == sys.argv[2] and a["src"] == sys.argv[3])
print(hit, len(alerts) - hit)
PY
)
[ "$expected_hits" -gt 0 ] && [ "$expected_other" -gt 0 ] || fail "the capture gives $expected_hits/$expected_other alerts"
echo "capture: $expected_hits $category alerts from $source_ip, $expected_other others"

# 1. A rule on (category, source), made before the agent starts: the agent suppresses them.
created=$(api POST /api/suppressions "{\"category\":\"port scan\",\"src\":\"$source_ip\",\"comment\":\"e2e\"}")
rule_id=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["ok"]; print(r["rule"]["id"])' "$created") ||
  fail "rule creation answered $created"
replay "$work/agent1.log"
grep -q "$expected_hits suppressed" "$work/agent1.log" || { cat "$work/agent1.log"; fail "the agent did not report $expected_hits suppressed"; }
wait_for 20 test "$(total)" -eq "$expected_other" || fail "expected $expected_other stored alerts, got $(total)"
[ "$(count "$category" "$source_ip")" -eq 0 ] || fail "suppressed alerts were stored"
wait_for 20 test "$(rule_field "$rule_id" hits_agents)" = "$expected_hits" ||
  fail "hits_agents is $(rule_field "$rule_id" hits_agents), expected $expected_hits"
[ "$(rule_field "$rule_id" hits_server)" = "0" ] || fail "the server had to suppress: the agent sent them"
[ -f "$work/agent/spool/suppressions.json" ] || fail "the agent did not keep the rules"
echo "ok: rule $rule_id suppressed $expected_hits alerts on the agent; hits_agents=$expected_hits, hits_server=0"

# 2. Deleted: the next run (same state folder, which still keeps the old rule) delivers them.
deleted=$(api DELETE "/api/suppressions/$rule_id")
python3 -c 'import json,sys; assert json.loads(sys.argv[1])["ok"]' "$deleted" || fail "delete answered $deleted"
# What makes a running agent fetch again: the heartbeat answer names the new rules version.
versions=$(python3 - "$ca" "$api_key" "$agent_port" "$work/agent/agent.json" <<'PY'
import json, ssl, sys, urllib.request
ca, key, port, identity = sys.argv[1:]
me = json.load(open(identity))
ctx = ssl.create_default_context(cafile=ca)
def call(path, body=None):
    req = urllib.request.Request(f"https://127.0.0.1:{port}{path}", method="POST" if body else "GET",
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"X-API-Key": key, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, context=ctx))
rules = call("/api/agent/suppressions")
hb = call("/api/agent/heartbeat", {"agent_id": me["agent_id"], "hostname": me.get("hostname", "")})
print(rules["version"], hb.get("suppressions_version"), len(rules["rules"]))
PY
) || fail "agent API probe"
read -r rules_version hb_version rules_left <<<"$versions"
[ "$rules_version" = "$hb_version" ] && [ "$rules_left" = 0 ] ||
  fail "rules version $rules_version, heartbeat version $hb_version, $rules_left rules left"
replay "$work/agent2.log"
grep -q " 0 suppressed" "$work/agent2.log" || { cat "$work/agent2.log"; fail "the agent still suppressed"; }
wait_for 20 test "$(count "$category" "$source_ip")" -eq "$expected_hits" ||
  fail "expected $expected_hits $category alerts from $source_ip after the delete, got $(count "$category" "$source_ip")"
[ "$(total)" -eq $(( expected_hits + 2 * expected_other )) ] || fail "unexpected total $(total)"
echo "ok: after deleting rule $rule_id the agent delivered all $expected_hits $category alerts again"
