#!/usr/bin/env bash
# windows.service: the Windows service and the Event Log under Wine (called by wine_checks.sh).
#   service_check.sh <sentinel-agent.exe> <work dir> <Linux bin dir> <source dir>
# Wine's service control manager really starts the program, so install/start/stop/remove are
# checked for real, in three parts:
#  1. --install: the registry entries of the service and of its Event Log source.
#  2. the service capturing live: under Wine it cannot open the adapter (see the message below);
#     the check then insists that the agent's service log says so.
#  3. the service replaying a capture (--install --read FILE): Wine's service manager sees it
#     RUNNING, it delivers the capture's alerts to this build's sentinel-server over HTTPS, writes
#     its CRITICAL/HIGH alerts to the Event Log and reports STOPPED with exit code 0.
# Wine's ReportEventW stores nothing, but it prints each call on its debug channels: the check
# reads those (WINEDEBUG=+eventlog,fixme+advapi) from the service process.
set -uo pipefail
exe=$1 work=$2 bin=$3 src=$4
here=$(cd "$(dirname "$0")" && pwd)
wine() { "$here/wine_run.sh" "$@"; }
wineserver=/usr/lib/wine/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver)
holder="" server=""
finish() {
  wine "$dir/sentinel-agent.exe" --remove >/dev/null 2>&1
  [ -z "$server" ] || { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; }
  exec 9>&-
  [ -z "$holder" ] || wait "$holder" 2>/dev/null
  "$wineserver" -k 2>/dev/null
}
fail() { echo "FAILED: $*"; finish; exit 1; }
reg_query() { wine reg query "$1" 2>/dev/null | tr -d '\r'; }
sc_state() { wine sc query NetSentinelAgent 2>/dev/null | tr -d '\r' | awk '/STATE/ {print $4; exit}'; }
sc_field() { wine sc query NetSentinelAgent 2>/dev/null | tr -d '\r' | awk -v f="$1" '$1 == f {print $3; exit}'; }
wait_stopped() {
  for _ in $(seq 1 "$1"); do [ "$(sc_state)" = STOPPED ] && return 0; sleep 0.5; done
  return 1
}

# The service runs the program from its own folder, with the config and the CA beside it. When
# this build has sentinel-server, that is the server (on loopback); else a closed loopback port.
dir="$work/svc"
mkdir -p "$dir"
cp "$exe" "$dir/"
have_server=""
[ -x "$bin/sentinel-server" ] && [ -x "$bin/sentinel-certs" ] && have_server=1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
gui=$(free_port) agent=$(free_port)
password=windows-test-password
ca="$work/pki/certs/ca.crt"
if [ -n "$have_server" ]; then
  "$bin/sentinel-certs" --out-dir "$work/pki" --host 127.0.0.1 >"$work/certs.log" 2>&1 || { cat "$work/certs.log"; fail "sentinel-certs"; }
else
  mkdir -p "$work/pki/certs"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=svc-test-ca \
    -keyout "$work/ca.key" -out "$ca" -days 2 >/dev/null 2>&1 || fail "openssl"
  echo "{\"api_key\": \"$(printf 'k%.0s' $(seq 32))\"}" >"$work/pki/sentinel_config.json"
fi
python3 - "$work" "$gui" "$agent" "$dir" <<'PY'
import json, shutil, sys
work, gui, agent, svc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
p = f"{work}/pki/sentinel_config.json"
cfg = json.load(open(p))
cfg.update(server_host="127.0.0.1", gui_port=gui, agent_port=agent, redirect_port=0,
           data_dir=f"{work}/data", agent_rate_limit=100000)
json.dump(cfg, open(p, "w"), indent=2)
shutil.copy(f"{work}/pki/certs/ca.crt", f"{svc}/ca.crt")
cfg.update(ca_cert="ca.crt", state_dir="state", heartbeat_interval=1)
json.dump(cfg, open(f"{svc}/sentinel_config.json", "w"), indent=2)
PY
api() { curl -s --cacert "$ca" -b "$work/cookies" "https://127.0.0.1:$gui/api/$1"; }
if [ -n "$have_server" ]; then
  SENTINEL_ADMIN_PASSWORD=$password "$bin/sentinel-server" --config "$work/pki/sentinel_config.json" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null --cacert "$ca" "https://127.0.0.1:$gui/" && break; sleep 0.1; done
  curl -sf --cacert "$ca" -c "$work/cookies" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" "https://127.0.0.1:$gui/api/login" >/dev/null ||
    { cat "$work/server.log"; fail "server did not start"; }
fi
wine "$dir/sentinel-agent.exe" --remove >/dev/null 2>&1 || true

# Wine's service manager (services.exe) and the services it starts inherit the debug settings
# and the standard error of the process that starts the Wine session. So: a fresh session,
# started and kept alive by a process that waits on a pipe, with the trace going to a file.
trace="$work/wine-trace.txt"
"$wineserver" -k 2>/dev/null
"$wineserver" -w 2>/dev/null  # a session still winding down would take the new one with it
mkfifo "$work/hold"
WINEDEBUG="-all,+eventlog,fixme+advapi,+service" "$here/wine_run.sh" cmd <"$work/hold" >/dev/null 2>"$trace" &
holder=$!
exec 9>"$work/hold"  # cmd waits for input until this closes
for _ in $(seq 1 150); do grep -q 'service_run_main_thread' "$trace" 2>/dev/null && break; sleep 0.2; done
grep -q "service_run_main_thread" "$trace" || { tail -5 "$trace"; fail "Wine's service manager did not start in the traced session"; }
session_alive() {
  kill -0 "$holder" 2>/dev/null && ! grep -q 'services.exe exited' "$trace" ||
    fail "the Wine session holding the service manager ended early"
}

# ---- 1. install --------------------------------------------------------------------------
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
evkey='HKLM\System\CurrentControlSet\Services\EventLog\Application\NetSentinelAgent'
reg_query "$evkey" >"$work/ev.reg"
grep -qi 'EventMessageFile.*REG_EXPAND_SZ.*sentinel-agent.exe' "$work/ev.reg" || { cat "$work/ev.reg"; fail "EventMessageFile"; }
grep -qi 'TypesSupported.*REG_DWORD.*0x7' "$work/ev.reg" || { cat "$work/ev.reg"; fail "TypesSupported"; }
echo "ok Event Log source NetSentinelAgent registered (EventMessageFile = the program, TypesSupported = error|warning|information)"
out=$(wine "$dir/sentinel-agent.exe" --install 2>&1 | tr -d '\r') && fail "a second --install succeeded"
echo "ok a second --install says: $out"

# ---- 2. the service capturing live -------------------------------------------------------
session_alive
out=$(wine "$dir/sentinel-agent.exe" --start 2>&1 | tr -d '\r') || fail "--start: $out"
echo "$out"
# The service control manager must have started the agent with the config beside the program:
# its identity appears in the state folder named there.
for _ in $(seq 1 100); do [ -f "$dir/state/agent.json" ] && break; sleep 0.1; done
[ -f "$dir/state/agent.json" ] || fail "the service did not start the agent with the config beside it"
echo "ok the service control manager started the agent; it found the config beside the program"
log="$dir/sentinel-agent-service.log"
sleep 3
live_shown=""
if [ "$(sc_state)" = RUNNING ]; then
  live_shown=1
  echo "ok Wine's service manager reports the service RUNNING (capturing on $lo)"
  if [ -n "$have_server" ]; then
    # Doing its job: it captures (its own heartbeats are loopback traffic) and reports the
    # packet count to the server over HTTPS.
    packets=0
    for _ in $(seq 1 60); do
      packets=$(api agents | python3 -c 'import json,sys; print(max([a["packets"] for a in json.load(sys.stdin) if str(a.get("os","")).startswith("Windows")] or [0]))')
      [ "$packets" -gt 0 ] && break
      sleep 0.5
    done
    [ "$packets" -gt 0 ] || fail "the running service reported no captured packets to the server"
    echo "ok the running service captures: its heartbeats to sentinel-server (HTTPS) report $packets packets"
  fi
  out=$(wine "$dir/sentinel-agent.exe" --stop 2>&1 | tr -d '\r') || fail "--stop: $out"
  echo "$out"
  [ "$out" = "service NetSentinelAgent stopped" ] || fail "--stop printed: $out"
  [ "$(sc_state)" = STOPPED ] || fail "the service is not STOPPED after --stop"
  [ "$(sc_field WIN32_EXIT_CODE)" = 0 ] || fail "the stopped service reports exit code $(sc_field WIN32_EXIT_CODE)"
  echo "ok the stop request reached the agent: the service reports STOPPED, exit code 0"
  # A service has no console: its messages are in the log beside its config.
  tr -d '\r' <"$log" >"$work/svc.log"
  grep -qF "sniffing on $lo" "$work/svc.log" || { cat "$work/svc.log"; fail "the service log does not say what it captures"; }
  summary=$(grep -o 'stopped: [0-9]* packets.*' "$work/svc.log" | tail -1)
  [ -n "$summary" ] || { cat "$work/svc.log"; fail "the service log has no summary after the stop"; }
  echo "ok its log beside the config: \"sniffing on $lo\" ... \"$summary\""
else
  # A service has no console; its messages must be in the log beside its config.
  [ -s "$log" ] || fail "the service ended and left no log at $log"
  reason=$(tr -d '\r' <"$log" | grep -m1 'cannot capture')
  [ -n "$reason" ] || { cat "$log"; fail "the service ended without saying why in its log"; }
  [ "$(sc_field SERVICE_EXIT_CODE)" = 1 ] || fail "the service ended with exit code $(sc_field SERVICE_EXIT_CODE), expected 1 (capture failed)"
  grep -q 'err:eventlog:ReportEventW L"The service stopped with exit code 1; the reason is in ' "$trace" ||
    fail "no Event Log entry for the failed service"
  echo "ok the service ended with exit code 1 and said why in its log: $reason"
  echo "   and in an Event Log error entry naming that log"
  echo "not shown under Wine: a service that keeps capturing. Seen before: Wine ends a session's"
  echo "  drivers and services once no ordinary program runs in it; nsiproxy.sys is then gone, so"
  echo "  Wine's wpcap.dll cannot map \\Device\\NPF_{...} to a host interface"
  out=$(wine "$dir/sentinel-agent.exe" --stop 2>&1 | tr -d '\r') || fail "--stop of a stopped service: $out"
fi
out=$(wine "$dir/sentinel-agent.exe" --remove 2>&1 | tr -d '\r') || fail "--remove: $out"
echo "$out"
reg_query "$key" | grep -q NetSentinelAgent && fail "the service is still registered after --remove"
reg_query "$evkey" | grep -q EventMessageFile && fail "the Event Log source is still registered after --remove"
out=$(wine "$dir/sentinel-agent.exe" --stop 2>&1 | tr -d '\r') && fail "--stop after --remove succeeded"
echo "ok removed (service and Event Log source); --stop now says: $out"

# ---- 2b. no config beside the program: %ProgramData%\NetSentinel; no --iface: chosen itself --
pd="$WINEPREFIX/drive_c/ProgramData/NetSentinel"
rm -rf "$pd" && mkdir -p "$pd"
mv "$dir/sentinel_config.json" "$dir/ca.crt" "$pd/"
out=$(wine "$dir/sentinel-agent.exe" --install 2>&1 | tr -d '\r') || fail "--install without --iface: $out"
reg_query "$key" | grep -qiF 'sentinel-agent.exe" --service' || fail "command line without --iface"
reg_query "$key" | grep -qi -- '--iface' && fail "--install without --iface named an interface"
session_alive
out=$(wine "$dir/sentinel-agent.exe" --start 2>&1 | tr -d '\r') || fail "--start: $out"
for _ in $(seq 1 100); do grep -q 'sniffing on' "$pd/sentinel-agent-service.log" 2>/dev/null && break; sleep 0.1; done
pdlog=$(tr -d '\r' <"$pd/sentinel-agent-service.log" 2>/dev/null)
grep -q 'sniffing on \\Device\\NPF_' <<<"$pdlog" || { echo "$pdlog"; fail "the service did not capture with the config from ProgramData"; }
[ -f "$pd/state/agent.json" ] || fail "the state folder is not beside the ProgramData config"
echo "ok without a config beside the program the service used %ProgramData%\\NetSentinel (config, CA, state"
echo "   and log there) and chose the interface itself: $(grep -o 'sniffing on .*' <<<"$pdlog" | head -1)"
out=$(wine "$dir/sentinel-agent.exe" --stop 2>&1 | tr -d '\r') || fail "--stop: $out"
out=$(wine "$dir/sentinel-agent.exe" --remove 2>&1 | tr -d '\r') || fail "--remove: $out"
mv "$pd/sentinel_config.json" "$pd/ca.crt" "$dir/"
rm -rf "$pd"

# ---- 3. the service replaying a capture to sentinel-server -------------------------------
if [ -z "$have_server" ]; then
  echo "not shown: the service delivering to a server (sentinel-server is not built here)"
  finish
  exit 0
fi
before=$(api 'alerts?limit=1000' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["alerts"]))')
# One capture with CRITICAL, HIGH and MEDIUM alerts: only the first two go to the Event Log.
python3 - "$dir/capture.pcap" "$src"/tests/traces/{hydra_ssh_48tasks,arpspoof_with_baseline,dig_long_label_tunnel}.pcap <<'PY' || fail "merging the captures"
import struct, sys
out, records, header = sys.argv[1], [], None
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1" and struct.unpack("<I", data[20:24])[0] == 1, path
    header = header or data[:24]
    pos = 24
    while pos + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[pos:pos + 16])
        records.append(((sec, usec), data[pos:pos + 16 + incl]))
        pos += 16 + incl
records.sort(key=lambda r: r[0])
with open(out, "wb") as f:
    f.write(header[:16] + struct.pack("<I", 262144) + header[20:24])
    f.writelines(r[1] for r in records)
PY
capture="$dir/capture.pcap"
(cd "$work" && "$bin/sentinel-agent" --read "$capture" --output jsonl >expected.jsonl 2>/dev/null)
expected=$(grep -c '^{' "$work/expected.jsonl")
# The Event Log text of each CRITICAL/HIGH alert, the original's way: [LEVEL] CATEGORY: message.
python3 - "$work/expected.jsonl" >"$work/expected-events.txt" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{"):
        a = json.loads(line)
        if a["level"] in ("CRITICAL", "HIGH"):
            print(f'[{a["level"]}] {a["category"]}: {a["message"]}')
PY
events=$(wc -l <"$work/expected-events.txt")
[ "$events" -gt 0 ] && [ "$expected" -gt "$events" ] || fail "the capture should raise CRITICAL/HIGH and lower alerts"

rm -f "$log"
start_line=$(wc -l <"$trace")
out=$(cd "$dir" && wine "$dir/sentinel-agent.exe" --install --read capture.pcap 2>&1 | tr -d '\r') || fail "--install --read: $out"
reg_query "$key" >"$work/svc2.reg"
grep -qiF -- "--service --output server --read \"Z:${dir//\//\\}\\capture.pcap\"" "$work/svc2.reg" ||
  { cat "$work/svc2.reg"; fail "command line of the replaying service"; }
echo "ok --install --read: the service command line replays a capture to the server"
session_alive
out=$(wine "$dir/sentinel-agent.exe" --start 2>&1 | tr -d '\r') || fail "--start: $out"
echo "$out"
wait_stopped 120 || fail "the replaying service did not finish"
[ "$(sc_field WIN32_EXIT_CODE)" = 0 ] || { cat "$log"; fail "the replaying service ended with $(sc_field WIN32_EXIT_CODE)/$(sc_field SERVICE_EXIT_CODE)"; }
tail -n +"$((start_line + 1))" "$trace" | tr -d '\r' >"$work/run-trace.txt"
# The service's own thread (RegisterServiceCtrlHandlerEx) reports RUNNING, then STOPPED.
tid=$(awk -F: '/RegisterServiceCtrlHandlerExW L"NetSentinelAgent"/ {print $1; exit}' "$work/run-trace.txt")
[ -n "$tid" ] || fail "Wine's trace does not show the service registering its control handler"
states=$(awk -F: -v t="$tid" '$1 == t && /SetServiceStatus/ {split($0, w, " "); print w[4]}' "$work/run-trace.txt" | tr '\n' ' ')
[ "$states" = "0x4 0x1 " ] || fail "service states reported: $states (expected RUNNING 0x4, then STOPPED 0x1)"
echo "ok Wine's service manager saw the service RUNNING, then STOPPED with exit code 0"
grep -q 'replaying' "$log" && grep -q 'stopped: ' "$log" || { cat "$log"; fail "the service log lacks the replay"; }
echo "ok its log: $(tr -d '\r' <"$log" | grep -m1 -o 'stopped: .*')"

api 'alerts?limit=1000' >"$work/alerts.json"
api agents >"$work/agents.json"
python3 - "$work" "$expected" "$before" <<'PY' || fail "server contents"
import json, sys
work, expected, before = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
alerts = json.load(open(f"{work}/alerts.json"))["alerts"]
agents = json.load(open(f"{work}/agents.json"))
assert len(alerts) - before == expected, f"server got {len(alerts) - before} alerts, the Linux agent found {expected}"
assert any(str(a.get("os", "")).startswith("Windows") for a in agents), f"no Windows agent in {agents}"
print(f"ok the service delivered {len(alerts)} alerts to sentinel-server over HTTPS (agent os: {agents[0].get('os')})")
PY

# Event Log: one ReportEventW per CRITICAL/HIGH alert, type error (0x0001), category 0, event
# id 1, with the alert's text as the only insertion string. Wine prints error-type strings on
# err:eventlog.
calls=$(grep -c 'fixme:advapi:ReportEventW ([0-9A-Fa-f]*,0x0001,0x0000,0x00000001,[0-9A-Fa-f]*,0x0001,' "$work/run-trace.txt")
others=$(grep 'fixme:advapi:ReportEventW' "$work/run-trace.txt" | grep -vc ',0x0001,0x0000,0x00000001,[0-9A-Fa-f]*,0x0001,')
sed -n 's/^[0-9a-f]*:err:eventlog:ReportEventW L"\(.*\)"$/\1/p' "$work/run-trace.txt" | sed 's/\\"/"/g' >"$work/events.txt"
python3 - "$work/expected-events.txt" "$work/events.txt" <<'PY' || fail "Event Log texts differ"
import sys
want = sorted(l.rstrip("\n") for l in open(sys.argv[1]))
got = sorted(l.rstrip("\n") for l in open(sys.argv[2]))
assert len(got) == len(want), f"{len(got)} error entries, expected {len(want)}:\n" + "\n".join(got[:5])
for w, g in zip(want, got):
    # Wine shortens long strings in its trace ("..."): compare what it printed.
    g = g.removesuffix("...")
    assert w.startswith(g) and len(g) >= min(len(w), 40), f"{g!r} is not {w!r}"
PY
[ "$calls" = "$events" ] || fail "$calls ReportEventW calls of type error/category 0/id 1, expected $events"
# The only other entry is the information entry "The service has started."
[ "$others" = 1 ] && grep -q 'trace:eventlog:ReportEventW L"The service has started."' "$work/run-trace.txt" ||
  fail "unexpected other Event Log calls: $others"
echo "ok Event Log: $calls ReportEventW calls under source NetSentinelAgent, one per CRITICAL/HIGH alert,"
echo "   type error, category 0, event id 1, text e.g. $(head -1 "$work/events.txt")"
echo "   (plus the information entry \"The service has started.\"); the $((expected - events)) lower alert(s) were not written"
grep -q 'RegisterEventSourceW ((null),L"NetSentinelAgent")' "$work/run-trace.txt" || fail "source name"

out=$(wine "$dir/sentinel-agent.exe" --remove 2>&1 | tr -d '\r') || fail "--remove: $out"
echo "$out"
session_alive
echo "not shown under Wine: Event Log entries being stored or shown in Event Viewer (Wine's"
echo "  ReportEventW only prints the call), Npcap itself (Wine's wpcap.dll wraps the host's libpcap)"
[ -n "$live_shown" ] || echo "  and, this time, a service that keeps capturing live (part 2)"
finish
exit 0
