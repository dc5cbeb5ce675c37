#!/usr/bin/env bash
# Records a bulk capture of real tools between two network namespaces, for the whole-process
# throughput benchmark (bench/pipeline/whole_process.py): HTTP downloads (curl from python's
# http.server), an nmap SYN scan and DNS lookups (dig against dnsmasq), captured with tcpdump on
# the client's veth until PACKETS frames are written. Offloads are off on both ends so frames
# are MTU-sized as on a real wire, not 64 KB GSO super-frames.
#
#   bench/pipeline/record_bulk_capture.sh OUT.pcap [PACKETS]     (root; default 2 100 000)
#
# Traffic stays inside the two namespaces (10.233.0.0/24, no route out).
set -euo pipefail
out=${1:?usage: record_bulk_capture.sh OUT.pcap [PACKETS]}
packets=${2:-2100000}
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)"; exit 77; }
for tool in tcpdump curl nmap dig dnsmasq python3 ethtool; do
  command -v "$tool" >/dev/null || { echo "missing $tool (packages/test-e2e.txt)"; exit 1; }
done
ns=nsbulk$$
cli=$ns-cli srv=$ns-srv
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$cli" 2>/dev/null || true
  ip netns del "$srv" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$cli"
ip netns add "$srv"
ip link add eth0 netns "$cli" type veth peer name eth0 netns "$srv"
for n in "$cli" "$srv"; do
  ip netns exec "$n" ip link set lo up
  ip netns exec "$n" ip link set eth0 up
  ip netns exec "$n" ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1 || true
done
ip netns exec "$cli" ip addr add 10.233.0.10/24 dev eth0
ip netns exec "$srv" ip addr add 10.233.0.20/24 dev eth0

mkdir -p "$work/www"
head -c 64000000 /dev/urandom >"$work/www/bulk.bin"
ip netns exec "$srv" python3 -m http.server 8000 --bind 10.233.0.20 --directory "$work/www" \
  >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$srv" dnsmasq --no-daemon --no-resolv --no-hosts --listen-address=10.233.0.20 \
  --bind-interfaces --address=/bench.example/10.233.0.20 --pid-file="$work/dnsmasq.pid" \
  >/dev/null 2>&1 &
pids+=($!)
sleep 1

ip netns exec "$cli" tcpdump -i eth0 -s 0 -c "$packets" -w "$out" -U >/dev/null 2>"$work/tcpdump.err" &
tcpdump_pid=$!
sleep 1

# Background traffic until tcpdump has its packets: downloads, lookups, and a scan every while.
ip netns exec "$cli" sh -c 'while true; do curl -s -o /dev/null http://10.233.0.20:8000/bulk.bin; done' &
pids+=($!)
ip netns exec "$cli" sh -c 'i=0; while true; do i=$((i+1)); dig +short +tries=1 +time=1 @10.233.0.20 "host$i.bench.example" A >/dev/null; done' &
pids+=($!)
ip netns exec "$cli" sh -c 'while true; do nmap -sS -n -Pn -T4 --max-retries 0 -p 1-5000 10.233.0.20 >/dev/null 2>&1; sleep 5; done' &
pids+=($!)
wait "$tcpdump_pid"
cat "$work/tcpdump.err" | tail -3
echo "wrote $out"
