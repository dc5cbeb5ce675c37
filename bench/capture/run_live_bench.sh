#!/usr/bin/env bash
# Live-capture benchmark (docs/benchmarks.md, "Live capture"): tcpreplay sends captures over a
# veth pair from one network namespace into another, where sentinel-agent (live, shipping to a
# sentinel-server on that namespace's loopback) and then tcpdump -w /dev/null capture them, one
# reader at a time, with the same input at the same rates.
#
#   bench/capture/run_live_bench.sh [--mode rates|soak|all] [--seconds 5]
#       [--bulk-rates "25000 50000 100000 200000 top"] [--syn-rates "50000 ... top"]
#       [--readers "agent tcpdump"] [--agent-flags "--buffer-mb 16 ..."] [--tcpdump-flags "..."]
#       [--soak-seconds 120] [--soak-pps 20000] [--label NAME] [--tsv FILE]
#
# Inputs, made afresh in a scratch folder on each run:
#   bulk  MTU-sized frames (1514 bytes), recorded here: curl downloads a file from
#         python3 -m http.server across the veth with segmentation offloads off.
#   syn   60-byte TCP SYNs from random spoofed sources (bench/memory/make_flood_pcap.py, padded
#         to the Ethernet minimum by pad_frames.py).
#   large (soak) ../shared/pcaps/large/DERIVED_concat_316_real_captures.pcap, MACs rewritten, IP
#         addresses kept, replayed in a loop for --soak-seconds at --soak-pps.
# Every frame is rewritten (tcprewrite --fixcsum) to a destination MAC that is not the
# receiver's, as on a switch's mirror port: the receiving kernel hands it to the packet sockets
# and then discards it, so nothing answers and the frames counted are exactly the replayed ones.
#
# Per rate and reader it prints: frames sent (tcpreplay's "Actual"), frames the reader saw, the
# kernel's drops for the reader's socket (pcap_stats ps_drop, tcpdump's "dropped by kernel"),
# drops on the veth before any capture (sender tx_dropped + receiver rx_dropped), the agent's own
# losses (alerts its shipper dropped; the packet path itself has no queue to drop from), the
# reader's peak RSS (GNU time %M) and its CPU use over the replay (utime + stime from /proc).
#
# BIN dir: $SENTINEL_BIN (default build/release/bin); captures: $SENTINEL_PCAPS (default
# ../shared/pcaps beside the checkout). Needs root, ip netns, tcpreplay, tcpdump, ethtool, curl.
# No frame leaves the two namespaces; they are deleted on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${SENTINEL_BIN:-$root/build/release/bin}
pcaps=${SENTINEL_PCAPS:-$root/../shared/pcaps}

mode=rates seconds=5 label=default tsv=""
bulk_rates="25000 50000 100000 200000 top"
syn_rates="50000 100000 200000 400000 top"
readers="agent tcpdump" agent_flags="" tcpdump_flags=""
soak_seconds=120 soak_pps=20000
while [ $# -gt 0 ]; do
  case $1 in
    --mode) mode=$2 ;;
    --seconds) seconds=$2 ;;
    --bulk-rates) bulk_rates=$2 ;;
    --syn-rates) syn_rates=$2 ;;
    --readers) readers=$2 ;;
    --agent-flags) agent_flags=$2 ;;
    --tcpdump-flags) tcpdump_flags=$2 ;;
    --soak-seconds) soak_seconds=$2 ;;
    --soak-pps) soak_pps=$2 ;;
    --label) label=$2 ;;
    --tsv) tsv=$2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift 2
done

[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces, packet sockets)" >&2; exit 1; }
for tool in tcpreplay tcprewrite tcpdump ethtool curl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool (scripts/bootstrap.sh build test installs it)" >&2; exit 1; }
done
for prog in sentinel-agent sentinel-server sentinel-certs; do
  [ -x "$bin/$prog" ] || { echo "no $bin/$prog: build the release preset first" >&2; exit 1; }
done

tx=lbt$$ rx=lbr$$         # sender and capture namespaces
tx_if=lbtx rx_if=lbrx      # the veth ends inside them
tx_ip=10.232.0.1 rx_ip=10.232.0.2
other_mac=02:00:00:00:02:02  # nobody's: frames reach the packet sockets, then are discarded
work=$(mktemp -d /tmp/sentinel-livebench.XXXXXX)
server_pid=""
cleanup() {
  local pid
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  for ns in "$tx" "$rx"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  done
  sleep 0.2
  ip netns del "$tx" 2>/dev/null || true
  ip netns del "$rx" 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[livebench] %s\n' "$*" >&2; }
clk_tck=$(getconf CLK_TCK)

# --- namespaces -----------------------------------------------------------------------------
ip netns add "$tx"
ip netns add "$rx"
for ns in "$tx" "$rx"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip link add "$tx_if" netns "$tx" type veth peer name "$rx_if" netns "$rx"
ip -n "$tx" addr add "$tx_ip/24" dev "$tx_if"
ip -n "$rx" addr add "$rx_ip/24" dev "$rx_if"
ip -n "$tx" link set "$tx_if" up
ip -n "$rx" link set "$rx_if" up
# Offloads off: a download is then carried (and recorded) as MTU-sized frames.
ip netns exec "$tx" ethtool -K "$tx_if" tso off gso off gro off tx off >/dev/null 2>&1 || true
ip netns exec "$rx" ethtool -K "$rx_if" tso off gso off gro off tx off >/dev/null 2>&1 || true
tx_mac=$(ip netns exec "$tx" cat "/sys/class/net/$tx_if/address")

# --- server (in the capture namespace, on its loopback) --------------------------------------
"$bin/sentinel-certs" --out-dir "$work/pki" --host 127.0.0.1 >"$work/certs.log" 2>&1 || {
  cat "$work/certs.log"; exit 1; }
cfg=$work/pki/sentinel_config.json
python3 - "$cfg" "$work" <<'PY'
import json, os, sys
path, work = sys.argv[1:3]
cfg = json.load(open(path))
cfg.update(server_host="127.0.0.1", data_dir=f"{work}/data", state_dir=f"{work}/state")
json.dump(cfg, open(path, "w"), indent=2)
os.chmod(path, 0o600)
PY
ip netns exec "$rx" env SENTINEL_ADMIN_PASSWORD=livebench-admin \
  "$bin/sentinel-server" --config "$cfg" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  ip netns exec "$rx" curl -s -o /dev/null --cacert "$work/pki/certs/ca.crt" https://127.0.0.1:8443/ && break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "server did not start" >&2; exit 1; }

# --- inputs ---------------------------------------------------------------------------------
make_bulk() {
  mkdir -p "$work/www"
  head -c $((96 << 20)) /dev/urandom >"$work/www/blob.bin"
  ip netns exec "$tx" python3 -m http.server 8000 --bind "$tx_ip" --directory "$work/www" \
    >/dev/null 2>&1 &
  local http=$!
  sleep 1
  ip netns exec "$rx" tcpdump -i "$rx_if" -s 0 -B 65536 -w "$work/bulk_raw.pcap" \
    "tcp src port 8000" 2>"$work/bulk_rec.log" &
  local rec=$!
  sleep 1
  ip netns exec "$rx" curl -s -o /dev/null --limit-rate 200M "http://$tx_ip:8000/blob.bin"
  sleep 0.5
  kill -INT "$rec"; wait "$rec" || true
  kill "$http"; wait "$http" 2>/dev/null || true
  # Only the full-size data segments; to a MAC that is not the receiver's.
  tcpdump -r "$work/bulk_raw.pcap" -w "$work/bulk_full.pcap" "greater 1514" 2>/dev/null
  tcprewrite --enet-dmac="$other_mac" --fixcsum -i "$work/bulk_full.pcap" -o "$work/bulk.pcap" \
    2>>"$work/tcprewrite.log"
  rm -f "$work/bulk_raw.pcap" "$work/bulk_full.pcap" "$work/www/blob.bin"
}
make_syn() {
  python3 "$root/bench/memory/make_flood_pcap.py" "$work/syn_raw.pcap" 300000 >/dev/null
  # Padding after the rewrite: --fixcsum would take the trailer for TCP payload.
  tcprewrite --enet-smac="$tx_mac" --enet-dmac="$other_mac" --dstipmap=10.0.0.9/32:$rx_ip/32 \
    --fixcsum -i "$work/syn_raw.pcap" -o "$work/syn_rw.pcap" 2>>"$work/tcprewrite.log"
  python3 "$here/pad_frames.py" "$work/syn_rw.pcap" "$work/syn.pcap" 60
  rm -f "$work/syn_raw.pcap" "$work/syn_rw.pcap"
}
make_large() {
  tcprewrite --enet-smac="$tx_mac" --enet-dmac="$other_mac" --fixcsum \
    -i "$pcaps/large/DERIVED_concat_316_real_captures.pcap" -o "$work/large.pcap" \
    2>>"$work/tcprewrite.log"  # a few frames too short to checksum are sent as they are
}
frames_in() { tcpdump -n -r "$1" 2>/dev/null | wc -l; }

# --- one reader at one rate -----------------------------------------------------------------
ifstat() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# start_reader agent|tcpdump → sets reader_time_pid reader_pid
start_reader() {
  local reader=$1
  rm -rf "$work/agent-state" "$work/reader.log" "$work/time.txt"
  if [ "$reader" = agent ]; then
    # shellcheck disable=SC2086
    ip netns exec "$rx" /usr/bin/time -f "%M %e %U %S" -o "$work/time.txt" \
      "$bin/sentinel-agent" --config "$cfg" --iface "$rx_if" --server https://127.0.0.1:8444 \
      --state-dir "$work/agent-state" $agent_flags >"$work/reader.log" 2>&1 &
    reader_time_pid=$!
    ready="sniffing on"
  else
    # shellcheck disable=SC2086
    ip netns exec "$rx" /usr/bin/time -f "%M %e %U %S" -o "$work/time.txt" \
      tcpdump -i "$rx_if" -w /dev/null $tcpdump_flags >"$work/reader.log" 2>&1 &
    reader_time_pid=$!
    ready="listening on"
  fi
  reader_pid=""
  for _ in $(seq 200); do
    [ -n "$reader_pid" ] || reader_pid=$(pgrep -P "$reader_time_pid" || true)
    [ -n "$reader_pid" ] && grep -q "$ready" "$work/reader.log" 2>/dev/null && break
    sleep 0.05
  done
  grep -q "$ready" "$work/reader.log" || { cat "$work/reader.log"; echo "$reader did not start" >&2; exit 1; }
  sleep 0.5
}

# stop_reader READER → sets seen kdrop own peak anon (kB; own: "-" for tcpdump)
stop_reader() {
  local reader=$1
  # Anonymous memory (heap, stacks) apart from the file-backed part: libraries and the ring.
  anon=$(awk '/^RssAnon/ {print $2}' "/proc/$reader_pid/status")
  kill -INT "$reader_pid"
  wait "$reader_time_pid" || true
  peak=$(cut -d' ' -f1 "$work/time.txt")
  if [ "$reader" = agent ]; then
    read -r seen kdrop own < <(sed -n \
      's/.*stopped: \([0-9]*\) packets, .* \([0-9]*\) dropped, \([0-9]*\) capture drops.*/\1 \3 \2/p' \
      "$work/reader.log" | tail -1)
  else
    seen=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$work/reader.log")
    kdrop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$work/reader.log")
    own=-
  fi
}

header_printed=""
# print_row label input rate reader sent sent_pps seen kdrop linkdrop own peak_kB anon_kB cpu_pct
print_row() {
  local fmt='%-10s %-5s %7s %-7s %9s %9s %9s %9s %9s %5s %8s %8s %6s\n'
  if [ -z "$header_printed" ]; then
    # shellcheck disable=SC2059
    printf "$fmt" label input rate reader sent sent_pps seen kern_drop link_drop own peak_MiB \
      anon_MiB cpu_%
    header_printed=1
  fi
  local mb amb
  mb=$(awk -v k="${11}" 'BEGIN { printf "%.1f", k / 1024 }')
  amb=$(awk -v k="${12}" 'BEGIN { printf "%.1f", k / 1024 }')
  # shellcheck disable=SC2059
  printf "$fmt" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "$mb" "$amb" "${13}"
  [ -z "$tsv" ] || printf '%s\t' "$@" | sed 's/\t$/\n/' >>"$tsv"
}

# measure READER INPUT_NAME PCAP RATE SECONDS
measure() {
  local reader=$1 name=$2 pcap=$3 rate=$4 secs=$5
  local rate_opt=(--pps="$rate")
  [ "$rate" = top ] && rate_opt=(--topspeed)
  start_reader "$reader"
  local tx_drop0 rx_drop0 t0 c0 t1 c1
  tx_drop0=$(ifstat "$tx" "$tx_if" tx_dropped)
  rx_drop0=$(ifstat "$rx" "$rx_if" rx_dropped)
  t0=$(date +%s.%N) c0=$(cpu_ticks "$reader_pid")
  ip netns exec "$tx" tcpreplay -i "$tx_if" -K "${rate_opt[@]}" --loop=0 --duration="$secs" \
    --no-flow-stats "$pcap" >"$work/replay.log" 2>&1 || { cat "$work/replay.log"; exit 1; }
  sleep 1.5  # the reader empties the ring (the longest block timeout tried is 1 s)
  t1=$(date +%s.%N) c1=$(cpu_ticks "$reader_pid")
  local link_drop
  link_drop=$(( $(ifstat "$tx" "$tx_if" tx_dropped) - tx_drop0 + $(ifstat "$rx" "$rx_if" rx_dropped) - rx_drop0 ))
  stop_reader "$reader"
  local sent sent_pps cpu
  sent=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$work/replay.log")
  sent_pps=$(sed -n 's/^Rated: .*, \([0-9.]*\) pps.*/\1/p' "$work/replay.log" | cut -d. -f1)
  cpu=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$clk_tck" \
    'BEGIN { printf "%.0f", (b - a) / hz / (t1 - t0) * 100 }')
  print_row "$label" "$name" "$rate" "$reader" "$sent" "$sent_pps" "$seen" "$kdrop" "$link_drop" \
    "$own" "$peak" "$anon" "$cpu"
}

run_rates() {
  if [ -n "$bulk_rates" ]; then
    log "recording the bulk input"
    make_bulk
    log "bulk: $(frames_in "$work/bulk.pcap") frames of 1514 bytes"
  fi
  if [ -n "$syn_rates" ]; then
    make_syn
    log "syn: $(frames_in "$work/syn.pcap") frames of 60 bytes"
  fi
  local rate reader
  for rate in $bulk_rates; do
    for reader in $readers; do measure "$reader" bulk "$work/bulk.pcap" "$rate" "$seconds"; done
  done
  for rate in $syn_rates; do
    for reader in $readers; do measure "$reader" syn "$work/syn.pcap" "$rate" "$seconds"; done
  done
}

# Peak and current RSS every 10 s while the large capture loops at soak_pps.
run_soak() {
  log "rewriting the large capture"
  make_large
  # Some of its frames were captured after receive offload (up to 43 kB): let the veth carry them.
  ip -n "$tx" link set "$tx_if" mtu 65535
  ip -n "$rx" link set "$rx_if" mtu 65535
  local reader
  for reader in $readers; do
    start_reader "$reader"
    local samples="" elapsed=0
    ip netns exec "$tx" tcpreplay -i "$tx_if" -K --pps="$soak_pps" --loop=0 \
      --duration="$soak_seconds" --no-flow-stats "$work/large.pcap" >"$work/replay.log" 2>&1 &
    local replay=$!
    local c0 t0
    c0=$(cpu_ticks "$reader_pid") t0=$(date +%s.%N)
    while kill -0 "$replay" 2>/dev/null; do
      sleep 10
      elapsed=$((elapsed + 10))
      samples+=" ${elapsed}s:$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$reader_pid/status")"
    done
    wait "$replay" || { cat "$work/replay.log"; exit 1; }
    sleep 1.5
    local c1 t1 cpu
    c1=$(cpu_ticks "$reader_pid") t1=$(date +%s.%N)
    cpu=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$clk_tck" \
      'BEGIN { printf "%.0f", (b - a) / hz / (t1 - t0) * 100 }')
    local sent sent_pps
    stop_reader "$reader"
    sent=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$work/replay.log")
    sent_pps=$(sed -n 's/^Rated: .*, \([0-9.]*\) pps.*/\1/p' "$work/replay.log" | cut -d. -f1)
    print_row "$label" large "$soak_pps" "$reader" "$sent" "$sent_pps" "$seen" "$kdrop" - "$own" \
      "$peak" "$anon" "$cpu"
    log "$reader RSS (MiB) over time:$samples"
  done
}

log "$(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "agent flags: ${agent_flags:-(defaults)}; tcpdump flags: ${tcpdump_flags:-(defaults)}"
case $mode in
  rates) run_rates ;;
  soak) run_soak ;;
  all) run_rates; run_soak ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
log "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
