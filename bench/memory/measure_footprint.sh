#!/usr/bin/env bash
# Peak resident memory and wall time of `sentinel-agent --read FILE --output none` on every shared
# capture, beside `tcpdump -r FILE -w /dev/null` and a bare libpcap read loop on the same file
# (GNU time's %M), then start-up: the agent's own figure (main() to the first packet) and each
# reader's whole-process time on the smallest capture.
#
#   bench/memory/measure_footprint.sh [AGENT] [EXTRA_CAPTURE...]
#
# AGENT defaults to build/release/bin/sentinel-agent; captures come from $SENTINEL_PCAPS
# (default: ../shared/pcaps beside the checkout). Extra captures (e.g. the spoofed-source flood
# written by make_flood_pcap.py) are measured after the shared ones.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
agent="${1:-$root/build/release/bin/sentinel-agent}"
shift || true
pcaps="${SENTINEL_PCAPS:-$root/../shared/pcaps}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"  # no sentinel_config.json here: the built-in defaults apply
gcc -O2 -o "$work/pcap_read_loop" "$root/bench/memory/pcap_read_loop.c" -lpcap

# Prints "<peak kB> <seconds>" of one command.
measure() {
    /usr/bin/time -f "%M %e" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
        cat "$work/err" >&2
        return 1
    }
    cat "$work/time"
}

printf '%-70s %10s %8s %10s %8s %10s %8s\n' capture agent_kB agent_s tcpdump_kB tcpd_s loop_kB loop_s
max_agent=0 max_file=""
mapfile -t files < <(find "$pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
for f in "${files[@]}" "$@"; do
    read -r a_kb a_s < <(measure "$agent" --read "$f" --output none)
    read -r t_kb t_s < <(measure tcpdump -r "$f" -w /dev/null)
    read -r l_kb l_s < <(measure "$work/pcap_read_loop" "$f")
    printf '%-70s %10s %8s %10s %8s %10s %8s\n' "${f#"$pcaps"/}" "$a_kb" "$a_s" "$t_kb" "$t_s" "$l_kb" "$l_s"
    if [ "$a_kb" -gt "$max_agent" ] && [[ "$f" == "$pcaps"/* ]]; then
        max_agent=$a_kb max_file=$f
    fi
done
echo "max agent peak RSS over the shared captures: $max_agent kB (${max_file#"$pcaps"/})"

# Start-up: the agent's own figure (main() to the first packet), over 20 runs of the smallest
# capture, then the whole process (exec to exit, dynamic loading included) of each reader on it.
small="$(find "$pcaps" -type f -name '*.pcap' -printf '%s %p\n' | sort -n | head -1 | cut -d' ' -f2-)"
for _ in $(seq 20); do
    "$agent" --read "$small" --output none 2>&1 >/dev/null |
        sed -n 's/^start-up *\([0-9.]*\) ms.*/\1/p'
done | sort -n | awk '{v[NR]=$1} END {if (NR) printf "agent start-up to the first packet (%d runs of %s): median %s ms, max %s ms\n", NR, "'"${small#"$pcaps"/}"'", v[int((NR+1)/2)], v[NR]}'
python3 - "$small" "$agent" "$work/pcap_read_loop" <<'PY'
import statistics, subprocess, sys, time
small, agent, loop = sys.argv[1:4]
for name, cmd in (("sentinel-agent --read", [agent, "--read", small, "--output", "none"]),
                  ("tcpdump -r -w /dev/null", ["tcpdump", "-r", small, "-w", "/dev/null"]),
                  ("bare libpcap loop", [loop, small])):
    runs = []
    for _ in range(30):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        runs.append(time.perf_counter() - t)
    print(f"whole process, {name}: median {statistics.median(runs) * 1e3:.1f} ms, "
          f"min {min(runs) * 1e3:.1f} ms (30 runs)")
PY
