#!/usr/bin/env bash
# The Windows agent under Wine, one check per ctest (tests/windows/CMakeLists.txt):
#   wine_checks.sh <check> <cross build dir> <Linux bin dir> <source dir>
# unit          the cross build's unit tests (ctest in the cross build folder, under Wine)
# agent_read    sentinel-agent.exe --read gives the same alerts as the Linux agent
# npcap_missing without wpcap.dll: live capture prints the Npcap message, --read still works
# ship_server   --read --output server delivers a capture's alerts to a local sentinel-server
#               (this build's) over HTTPS, verified against the CA from sentinel-certs
# vt_lookup     --read with a VirusTotal key against the loopback stand-in (vt_stub.py) over
#               HTTPS verified with virustotal_ca_file: the VT-scaled alert, then the same from
#               the persistent cache with no request; with another CA the key is never sent
# service       --install/--start/--stop/--remove through Wine's service manager, Event Log
# tray          the notification-area icon under Xvfb; headless without a desktop or with --no-tray
# Exit 77 (skipped) when Wine is missing or the cross build did not run.
set -uo pipefail
check=$1 cross=$2 bin=$3 src=$4
here=$(cd "$(dirname "$0")" && pwd)
exe="$cross/bin/sentinel-agent.exe"
[ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null || command -v wine >/dev/null || {
  echo "wine is not installed (packages/test-windows.txt): skipped"; exit 77; }
[ -f "$exe" ] || { echo "$exe was not built (windows.cross_build skipped or failed): skipped"; exit 77; }
export TZ=UTC LC_ALL=C
export WINEPREFIX="$cross/wine"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
wine() { "$here/wine_run.sh" "$@"; }
fail() { echo "FAILED: $*"; exit 1; }
trace="$src/tests/traces/hydra_ssh_48tasks.pcap"

# The fields that must match between the agents (ids, host and OS differ by design).
alert_keys() {
  python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{"):
        a = json.loads(line)
        print(a["ts"], a["level"], a["category"], a["src"], a["message"], sep=" | ")' | sort
}

case $check in
unit)
  ctest --test-dir "$cross" --output-on-failure -j1 --timeout 600
  ;;

agent_read)
  captures=("$trace" "$src/tests/traces/dig_long_label_tunnel.pcap" "$src/tests/traces/arpspoof_with_baseline.pcap")
  pcapng=$(find "${SENTINEL_PCAPS:-$src/../shared/pcaps}" -name '*.pcapng' -size -3M 2>/dev/null | sort | head -1)
  [ -n "$pcapng" ] && captures+=("$pcapng")
  for f in "${captures[@]}"; do
    (cd "$work" && wine "$exe" --read "$f" --output jsonl --no-progress >win.jsonl 2>win.err) ||
      { cat "$work/win.err"; fail "sentinel-agent.exe --read $f"; }
    (cd "$work" && "$bin/sentinel-agent" --read "$f" --output jsonl --no-progress >linux.jsonl 2>linux.err) ||
      fail "sentinel-agent --read $f"
    alert_keys <"$work/win.jsonl" >"$work/win.keys"
    alert_keys <"$work/linux.jsonl" >"$work/linux.keys"
    diff "$work/linux.keys" "$work/win.keys" || fail "alerts differ for $f"
    grep -q '"os":"Windows ' "$work/win.jsonl" || [ ! -s "$work/win.jsonl" ] || fail "alerts do not carry a Windows OS tag"
    grep -q '^packets ' "$work/win.err" || fail "no summary for $f"
    echo "ok $(basename "$f"): $(wc -l <"$work/win.keys") alerts, same as the Linux agent; $(grep '^packets' "$work/win.err")"
  done
  ;;

npcap_missing)
  export WINEDLLOVERRIDES="mscoree,mshtml=;wpcap=d"
  expected='Npcap is required for live capture: install it from https://npcap.com with "WinPcap API-compatible mode"'
  (cd "$work" && wine "$exe" >out.txt 2>err.txt); rc=$?
  [ "$rc" = 1 ] || { cat "$work/out.txt" "$work/err.txt"; fail "exit code $rc, expected 1"; }
  [ "$(tr -d '\r' <"$work/err.txt")" = "$expected" ] || { cat "$work/err.txt"; fail "message differs"; }
  echo "ok live capture without Npcap: exit 1 with: $expected"
  (cd "$work" && wine "$exe" --list-interfaces >out.txt 2>err.txt); rc=$?
  [ "$rc" = 1 ] && grep -qF "$expected" "$work/err.txt" || fail "--list-interfaces without Npcap"
  echo "ok --list-interfaces without Npcap"
  (cd "$work" && wine "$exe" --read "$trace" --output jsonl >win.jsonl 2>err.txt) || { cat "$work/err.txt"; fail "--read without Npcap"; }
  [ "$(grep -c BRUTE "$work/win.jsonl")" -ge 1 ] || fail "--read without Npcap found no alert"
  echo "ok --read works without Npcap"
  wine "$cross/tests/windows_test.exe" --gtest_filter='WindowsCapture.*' || fail "unit test with wpcap disabled"
  ;;

ship_server)
  [ -x "$bin/sentinel-server" ] && [ -x "$bin/sentinel-certs" ] || { echo "sentinel-server not built: skipped"; exit 77; }
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  gui=$(free_port) agent=$(free_port)
  "$bin/sentinel-certs" --out-dir "$work/pki" --host 127.0.0.1 >"$work/certs.log" 2>&1 || { cat "$work/certs.log"; fail "sentinel-certs"; }
  python3 - "$work" "$gui" "$agent" <<'PY'
import json, sys
work, gui, agent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
p = f"{work}/pki/sentinel_config.json"
cfg = json.load(open(p))
cfg.update(server_host="127.0.0.1", gui_port=gui, agent_port=agent, redirect_port=0,
           data_dir=f"{work}/data", agent_rate_limit=100000)
json.dump(cfg, open(p, "w"), indent=2)
# The Windows agent's copy: config + ca.crt in one folder, as a user would copy them.
import os, shutil
os.makedirs(f"{work}/win", exist_ok=True)
shutil.copy(f"{work}/pki/certs/ca.crt", f"{work}/win/ca.crt")
cfg.update(ca_cert="ca.crt", state_dir=f"{work}/win/state")
json.dump(cfg, open(f"{work}/win/sentinel_config.json", "w"), indent=2)
PY
  password=windows-test-password
  SENTINEL_ADMIN_PASSWORD=$password "$bin/sentinel-server" --config "$work/pki/sentinel_config.json" >"$work/server.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -s -o /dev/null --cacert "$work/pki/certs/ca.crt" "https://127.0.0.1:$gui/" && break
    sleep 0.1
  done
  curl -s -o /dev/null --cacert "$work/pki/certs/ca.crt" "https://127.0.0.1:$gui/" || { cat "$work/server.log"; fail "server did not start"; }
  (cd "$work" && "$bin/sentinel-agent" --read "$trace" --output jsonl >expected.jsonl 2>/dev/null)
  expected=$(grep -c '^{' "$work/expected.jsonl")
  (cd "$work/win" && WINEDEBUG=${SHIP_WINEDEBUG:--all} wine "$exe" --read "$trace" --output server >agent.out 2>agent.err); rc=$?
  [ -z "${SHIP_WINEDEBUG:-}" ] || cp "$work/win/agent.err" /tmp/ship_agent.err
  cat "$work/win/agent.out" "$work/win/agent.err" | tr -d '\r' | tail -8
  [ "$rc" = 0 ] || fail "agent exit code $rc"
  curl -s --cacert "$work/pki/certs/ca.crt" -c "$work/cookies" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" "https://127.0.0.1:$gui/api/login" >/dev/null
  curl -s --cacert "$work/pki/certs/ca.crt" -b "$work/cookies" "https://127.0.0.1:$gui/api/alerts?limit=1000" >"$work/alerts.json"
  curl -s --cacert "$work/pki/certs/ca.crt" -b "$work/cookies" "https://127.0.0.1:$gui/api/agents" >"$work/agents.json"
  python3 - "$work" "$expected" <<'PY' || fail "server contents"
import json, sys
work, expected = sys.argv[1], int(sys.argv[2])
alerts = json.load(open(f"{work}/alerts.json"))["alerts"]
agents = json.load(open(f"{work}/agents.json"))
win = [a for a in alerts if a.get("category")]
assert expected > 0, "the capture should raise alerts"
assert len(win) == expected, f"server holds {len(win)} alerts, the Linux agent found {expected}"
assert any(str(a.get("os", "")).startswith("Windows") for a in agents), f"no Windows agent in {agents}"
print(f"ok the server stored {len(win)} alerts from the Windows agent; agent os: {agents[0].get('os')}")
PY
  # Never unverified: a CA that did not sign the server certificate must stop delivery.
  mkdir -p "$work/other" && "$bin/sentinel-certs" --out-dir "$work/other" --host 127.0.0.1 >/dev/null 2>&1
  cp "$work/other/certs/ca.crt" "$work/win/ca.crt"
  rm -rf "$work/win/state"
  (cd "$work/win" && timeout 120 "$here/wine_run.sh" "$exe" --read "$trace" --output server >agent2.out 2>agent2.err)
  tr -d '\r' <"$work/win/agent2.err" | grep -i -m3 "certificate\|tls" || true
  curl -s --cacert "$work/pki/certs/ca.crt" -b "$work/cookies" "https://127.0.0.1:$gui/api/alerts?limit=1000" >"$work/alerts2.json"
  python3 -c 'import json,sys; n=len(json.load(open(sys.argv[1]))["alerts"]); assert n == int(sys.argv[2]), f"{n} alerts after the wrong-CA run"' \
    "$work/alerts2.json" "$expected" || fail "an agent with the wrong CA delivered alerts"
  echo "ok with a different CA nothing was delivered"
  ;;

vt_lookup)
  mkdir -p "$work/vt/run" && cd "$work/vt" || fail "vt folder"
  # A throwaway CA and a server certificate for 127.0.0.1, as tests/virustotal/stub_server.h makes.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
    -days 2 -subj /CN=vt-test-ca >/dev/null 2>&1 &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
    -subj /CN=127.0.0.1 >/dev/null 2>&1 &&
  printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf &&
  openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 \
    -extfile ext.cnf >/dev/null 2>&1 &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
    -out other-ca.crt -days 2 -subj /CN=other-ca >/dev/null 2>&1 || fail "openssl"
  key=wine-test-key
  echo "{\"key\":\"$key\",\"responses\":{\"ip_addresses/203.0.113.10\":[{\"status\":200,\"malicious\":9}]}}" >script.json
  python3 "$src/tests/virustotal/vt_stub.py" --cert srv.crt --key srv.key --script script.json \
    --log requests.jsonl --port-file port >stub.log 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.1; done
  [ -s port ] || { cat stub.log; fail "the VirusTotal stand-in did not start"; }
  cp ca.crt run/vt-ca.crt
  # The config as a user would write it: the CA file beside it, the state folder relative to it.
  echo "{\"virustotal_api_key\":\"$key\",\"virustotal_base_url\":\"https://127.0.0.1:$(cat port)/api/v3\",\"virustotal_ca_file\":\"vt-ca.crt\",\"vt_requests_per_minute\":60,\"state_dir\":\"state\"}" >run/sentinel_config.json
  lookups() { grep -c '"path": "/api/v3/ip_addresses/203.0.113.10", "apikey": "'"$key"'"' requests.jsonl; }
  expected='203.0.113.10 -> 1 short sessions on port 22/SSH in 300s  [VT:CRITICAL — 9 malicious]'
  brute() {  # the first BRUTE FORCE alert of a run: level and message
    python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("{"):
        a = json.loads(line)
        if a["category"] == "BRUTE FORCE":
            print(a["level"], a["message"], sep=" | "); break' "$1"
  }
  run_agent() {  # <output name> [extra arguments]
    local name=$1; shift
    (cd run && wine "$exe" --config sentinel_config.json --read "$trace" --output jsonl --no-progress "$@" \
      >"$name.jsonl" 2>"$name.err") || { tr -d '\r' <"run/$name.err"; fail "sentinel-agent.exe --read ($name)"; }
    tr -d '\r' <"run/$name.err" >"run/$name.txt"
  }
  run_agent first
  got=$(brute run/first.jsonl)
  [ "$got" = "CRITICAL | $expected" ] || { cat run/first.txt; fail "first run: got \"$got\""; }
  [ "$(lookups)" = 1 ] || { cat requests.jsonl; fail "first run: expected one lookup carrying the key"; }
  grep -q "1 looked up" run/first.txt || { cat run/first.txt; fail "first run: the summary does not say 1 looked up"; }
  [ -s run/state/reputation.cache ] || fail "no persistent cache file in the state folder"
  echo "ok lookup over WinHTTP: $got"
  echo "   $(grep -m1 'looked up' run/first.txt)"
  before=$(wc -l <requests.jsonl)
  run_agent second
  got2=$(brute run/second.jsonl)
  [ "$got2" = "CRITICAL | $expected" ] || { cat run/second.txt; fail "second run: got \"$got2\""; }
  [ "$(wc -l <requests.jsonl)" = "$before" ] || { cat requests.jsonl; fail "second run: the stand-in was asked again"; }
  grep -q "1 from the cache" run/second.txt || { cat run/second.txt; fail "second run: the summary does not say 1 from the cache"; }
  echo "ok second run answered from reputation.cache ($(wc -c <run/state/reputation.cache) bytes); the stand-in's log stayed at $before requests"
  # A server that the configured CA did not sign never sees the key; the endpoint stays unresolved.
  cp other-ca.crt run/vt-ca.crt
  rm -rf run/state
  run_agent wrong_ca --lookup-wait 5
  [ "$(lookups)" = 1 ] || { cat requests.jsonl; fail "with another CA the key was sent"; }
  ! grep -q "\"apikey\": \"$key\"" <(tail -n +"$((before + 1))" requests.jsonl) || fail "with another CA the key reached the stand-in"
  got3=$(brute run/wrong_ca.jsonl)
  [ "${got3%% |*}" = HIGH ] || { cat run/wrong_ca.txt; fail "with another CA: got \"$got3\""; }
  grep -q "unresolved" run/wrong_ca.txt || { cat run/wrong_ca.txt; fail "with another CA the summary does not count the endpoint as unresolved"; }
  echo "ok with another CA nothing carrying the key was sent: $(grep -m1 'unresolved' run/wrong_ca.txt)"
  ;;

service)
  "$here/service_check.sh" "$exe" "$work" "$bin" "$src"
  ;;

tray)
  command -v xvfb-run >/dev/null || { echo "xvfb-run is not installed (packages/test-windows.txt): skipped"; exit 77; }
  mkdir -p "$work/tray" && cd "$work/tray" || fail "tray folder"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=tray-test-ca \
    -keyout ca.key -out ca.crt -days 2 >/dev/null 2>&1 || fail "openssl"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  echo "{\"server_host\":\"127.0.0.1\",\"agent_port\":$port,\"api_key\":\"$(printf 'k%.0s' $(seq 32))\",\"ca_cert\":\"ca.crt\",\"state_dir\":\"state\"}" >sentinel_config.json
  lo=$(wine "$exe" --list-interfaces 2>/dev/null | tr -d '\r' | awk '/loopback/ {print ($1 == "*") ? $2 : $1; exit}')
  [ -n "$lo" ] || fail "no loopback interface listed under Wine"
  # Each run captures on loopback until the timeout ends it. Wine keeps one desktop per
  # running wineserver, so each run starts a fresh one (the first decides display or none).
  fresh_session() { "${wineserver:-/usr/lib/wine/wineserver}" -k 2>/dev/null; sleep 1; }
  [ -x /usr/lib/wine/wineserver ] || wineserver=$(command -v wineserver)
  fresh_session
  (unset DISPLAY; timeout 12 "$here/wine_run.sh" "$exe" --iface "$lo" >out1.txt 2>err1.txt)
  grep -q "running without the tray icon" err1.txt || { cat err1.txt; fail "no desktop: the agent should say it runs without the icon"; }
  grep -q "sniffing on" out1.txt || fail "no desktop: the agent did not capture"
  echo "ok without a desktop the agent runs headless and says so: $(grep -m1 'running without' err1.txt | tr -d '\r')"
  fresh_session
  (unset DISPLAY; timeout 12 "$here/wine_run.sh" "$exe" --iface "$lo" --no-tray >out2.txt 2>err2.txt)
  grep -q "running without the tray icon" err2.txt && fail "--no-tray still tried the icon"
  grep -q "sniffing on" out2.txt || fail "--no-tray: the agent did not capture"
  echo "ok --no-tray runs headless without trying the icon"
  fresh_session
  timeout 20 xvfb-run -a "$here/wine_run.sh" "$exe" --iface "$lo" >out3.txt 2>err3.txt
  fresh_session
  grep -q "running without the tray icon" err3.txt && { cat err3.txt; fail "under Xvfb the icon was not shown"; }
  grep -q "sniffing on" out3.txt || fail "with the icon: the agent did not capture"
  echo "ok under Xvfb the notification-area icon is shown (Shell_NotifyIcon accepted it)"
  # The menu without clicks: its items as built, the status text, and Show Status, Open
  # Dashboard and Stop Agent carried out on the shown icon (windows_test WindowsTray.*; nothing
  # may be skipped here). Wine hands URLs to the host's browser: make that a recording script.
  printf '#!/bin/sh\necho "$@" >>"%s/urls.txt"\n' "$PWD" >browser.sh && chmod +x browser.sh
  wine reg add 'HKCU\Software\Wine\WineBrowser' /v Browsers /d "$PWD/browser.sh" /f >/dev/null 2>&1 ||
    fail "cannot set Wine's browser"
  fresh_session
  NS_TRAY_OPEN_DASHBOARD=https://127.0.0.1:18443 timeout 120 xvfb-run -a "$here/wine_run.sh" \
    "$cross/tests/windows_test.exe" --gtest_filter='WindowsTray.*' >out4.txt 2>&1
  fresh_session
  wine reg delete 'HKCU\Software\Wine\WineBrowser' /v Browsers /f >/dev/null 2>&1
  fresh_session
  tr -d '\r' <out4.txt >menu.txt
  grep -q '^\[  PASSED  \] 5 tests\.' menu.txt && ! grep -q SKIPPED menu.txt || { cat menu.txt; fail "tray menu tests"; }
  grep -qx 'https://127.0.0.1:18443/\?' urls.txt || { cat urls.txt; fail "Open Dashboard did not hand the URL to the browser"; }
  echo "ok the menu holds NetSentinel Agent (disabled), Open Dashboard (default), Show Status, Stop Agent;"
  echo "   Show Status on the shown icon gives \"$(grep -m1 '^Packets:' menu.txt)\"; Stop Agent stops like Ctrl-C;"
  echo "   Open Dashboard hands the dashboard URL (the GUI port) to the browser: $(head -1 urls.txt)"
  echo "not shown under Wine: a real click on the icon and the balloon on screen"
  ;;
*) fail "unknown check $check" ;;
esac
