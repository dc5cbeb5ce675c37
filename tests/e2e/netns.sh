#!/usr/bin/env bash
# Builds and tears down the attack lab's network: six namespaces joined by veth pairs and two
# bridges inside a router namespace. Nothing is connected to the host's own network, so no
# packet can leave the lab.
#
#   LAN 10.231.1.0/24 (bridge lanbr in rtr)      external 203.0.113.0/24 (bridge extbr in rtr)
#     lan  10.231.1.10  monitored host + agent     atk  203.0.113.10, .66  attacker
#     mitm 10.231.1.66  on-link attacker (ARP)     ext  203.0.113.20 web/sink, .53 DNS
#   server net 10.231.2.0/24: srv 10.231.2.10 (sentinel-server, VirusTotal stand-in)
#   rtr routes between the three networks.

LAB_PREFIX=${LAB_PREFIX:-nsl$$}
LAB_HOSTS=(rtr lan mitm atk ext srv)

lab_ns() { echo "${LAB_PREFIX}-$1"; }
# Runs a command inside a lab host: in_ns HOST CMD...
in_ns() { local host=$1; shift; ip netns exec "$(lab_ns "$host")" "$@"; }

# Returns 0 when this process may create network namespaces.
lab_supported() {
  [ "$(id -u)" -eq 0 ] || return 1
  local probe="${LAB_PREFIX}-probe"
  ip netns add "$probe" 2>/dev/null || return 1
  ip netns del "$probe"
}

_link() {  # _link HOST_A IF_A HOST_B IF_B
  ip link add "$2" netns "$(lab_ns "$1")" type veth peer name "$4" netns "$(lab_ns "$3")"
  in_ns "$1" ip link set "$2" up
  in_ns "$3" ip link set "$4" up
}

lab_up() {
  local h
  for h in "${LAB_HOSTS[@]}"; do
    ip netns add "$(lab_ns "$h")"
    in_ns "$h" ip link set lo up
  done
  in_ns rtr sysctl -qw net.ipv4.ip_forward=1
  in_ns rtr ip link add lanbr type bridge
  in_ns rtr ip link add extbr type bridge
  in_ns rtr ip addr add 10.231.1.1/24 dev lanbr
  in_ns rtr ip addr add 203.0.113.1/24 dev extbr
  in_ns rtr ip link set lanbr up
  in_ns rtr ip link set extbr up

  _link lan eth0 rtr p-lan
  _link mitm eth0 rtr p-mitm
  _link atk eth0 rtr p-atk
  _link ext eth0 rtr p-ext
  _link srv eth0 rtr srv0
  for p in p-lan p-mitm; do in_ns rtr ip link set "$p" master lanbr; done
  for p in p-atk p-ext; do in_ns rtr ip link set "$p" master extbr; done
  in_ns rtr ip addr add 10.231.2.1/24 dev srv0

  in_ns lan ip addr add 10.231.1.10/24 dev eth0
  in_ns mitm ip addr add 10.231.1.66/24 dev eth0
  in_ns atk ip addr add 203.0.113.10/24 dev eth0
  in_ns atk ip addr add 203.0.113.66/24 dev eth0
  in_ns ext ip addr add 203.0.113.20/24 dev eth0
  in_ns ext ip addr add 203.0.113.53/24 dev eth0
  in_ns srv ip addr add 10.231.2.10/24 dev eth0
  in_ns lan ip route add default via 10.231.1.1
  in_ns mitm ip route add default via 10.231.1.1
  in_ns atk ip route add default via 203.0.113.1
  in_ns ext ip route add default via 203.0.113.1
  in_ns srv ip route add default via 10.231.2.1
  # Checksum offload on veth leaves bad checksums in captures and confuses some tools.
  for h in lan mitm atk ext srv; do in_ns "$h" ethtool -K eth0 tx off >/dev/null 2>&1 || true; done
}

lab_down() {
  local h pid
  for h in "${LAB_HOSTS[@]}"; do
    ip netns pids "$(lab_ns "$h")" 2>/dev/null | while read -r pid; do kill -9 "$pid" 2>/dev/null; done
  done
  sleep 0.2
  for h in "${LAB_HOSTS[@]}"; do ip netns del "$(lab_ns "$h")" 2>/dev/null || true; done
}
