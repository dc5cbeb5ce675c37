#!/usr/bin/env bash
# windows.service: the service commands and the Event Log under Wine (called by wine_checks.sh).
#   service_check.sh <sentinel-agent.exe> <work dir>
# Wine's service control manager really starts the program, so install/start/stop/remove are
# checked for real. Wine's ReportEventW is a stub: the Event Log entry cannot be read back, which
# the output says.
set -uo pipefail
exe=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
wine() { "$here/wine_run.sh" "$@"; }
fail() { echo "FAILED: $*"; wine "$dir/sentinel-agent.exe" --remove >/dev/null 2>&1; exit 1; }
reg_query() { wine reg query "$1" 2>/dev/null | tr -d '\r'; }

# The service runs the program from its own folder, with the config beside it; the server is a
# closed loopback port, and capture is on the loopback interface (read only).
dir="$work/svc"
mkdir -p "$dir"
cp "$exe" "$dir/"
python3 - "$dir" <<'PY'
import json, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
json.dump({"server_host": "127.0.0.1", "agent_port": port, "api_key": "k" * 32,
           "ca_cert": "ca.crt", "state_dir": "state"}, open(f"{sys.argv[1]}/sentinel_config.json", "w"))
PY
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=svc-test-ca \
  -keyout "$work/ca.key" -out "$dir/ca.crt" -days 2 >/dev/null 2>&1 || fail "openssl"
wine "$dir/sentinel-agent.exe" --remove >/dev/null 2>&1 || true

# Wine's interface names look like Npcap's: \Device\NPF_{...}; take the loopback one.
lo=$(wine "$dir/sentinel-agent.exe" --list-interfaces 2>/dev/null | tr -d '\r' |
  awk '/loopback/ {print ($1 == "*") ? $2 : $1; exit}')
[ -n "$lo" ] || fail "no loopback interface listed under Wine"
out=$(wine "$dir/sentinel-agent.exe" --install --iface "$lo" 2>&1 | tr -d '\r') || fail "--install: $out"
echo "$out"
[ "$out" = "service NetSentinelAgent installed" ] || fail "--install printed: $out"
key='HKLM\System\CurrentControlSet\Services\NetSentinelAgent'
reg_query "$key" >"$work/svc.reg"
grep -q 'NetSentinel Network Monitor Agent' "$work/svc.reg" || { cat "$work/svc.reg"; fail "display name"; }
grep -q 'Monitors network traffic and reports threats to NetSentinel server.' "$work/svc.reg" || fail "description"
grep -qiF "sentinel-agent.exe\" --service --iface \"$lo\"" "$work/svc.reg" || { cat "$work/svc.reg"; fail "command line"; }
grep -q 'Start.*0x2' "$work/svc.reg" || fail "start type is not automatic"
echo "ok installed: display name, description, automatic start, command line \"...sentinel-agent.exe\" --service --iface \"$lo\""
reg_query 'HKLM\System\CurrentControlSet\Services\EventLog\Application\NetSentinelAgent' | grep -q EventMessageFile ||
  fail "the Event Log source was not registered"
echo "ok Event Log source NetSentinelAgent registered"
out=$(wine "$dir/sentinel-agent.exe" --install 2>&1 | tr -d '\r') && fail "a second --install succeeded"
echo "ok a second --install says: $out"

out=$(wine "$dir/sentinel-agent.exe" --start 2>&1 | tr -d '\r') || fail "--start: $out"
echo "$out"
# The service control manager must have started the agent with the config beside the program:
# its identity appears in the state folder named there.
for _ in $(seq 1 100); do [ -f "$dir/state/agent.json" ] && break; sleep 0.1; done
[ -f "$dir/state/agent.json" ] || fail "the service did not start the agent with the config beside it"
echo "ok the service control manager started the agent; it found the config beside the program"
sleep 3
if pgrep -f -- "sentinel-agent.exe --service" >/dev/null; then
  stays=1
  echo "ok the service keeps running (capturing on $lo)"
else
  stays=""
  echo "not shown under Wine: a lasting live capture inside Wine's service session (the agent"
  echo "  ends soon after it starts there; its messages: $(cat "$dir/sentinel-agent-service.log" 2>/dev/null | tr -d "\r" | tail -2)"
fi
out=$(wine "$dir/sentinel-agent.exe" --stop 2>&1 | tr -d '\r') || fail "--stop: $out"
echo "$out"
[ "$out" = "service NetSentinelAgent stopped" ] || fail "--stop printed: $out"
[ -z "$stays" ] || for _ in $(seq 1 100); do pgrep -f -- "sentinel-agent.exe --service" >/dev/null || break; sleep 0.1; done
pgrep -f -- "sentinel-agent.exe --service" >/dev/null && fail "the service process is still running after --stop"
[ -z "$stays" ] || echo "ok the stop request reached the agent: its process ended"
out=$(wine "$dir/sentinel-agent.exe" --remove 2>&1 | tr -d '\r') || fail "--remove: $out"
echo "$out"
reg_query "$key" | grep -q NetSentinelAgent && fail "the service is still registered after --remove"
out=$(wine "$dir/sentinel-agent.exe" --stop 2>&1 | tr -d '\r') && fail "--stop after --remove succeeded"
echo "ok removed; --stop now says: $out"
echo "not shown under Wine: Event Log entries (Wine's ReportEventW is a stub that stores nothing),"
echo "  so CRITICAL/HIGH alert entries cannot be read back here"
