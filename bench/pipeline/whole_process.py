#!/usr/bin/env python3
"""Whole-process throughput: `sentinel-agent --read FILE --output none` against a bare libpcap
read loop (bench/memory/pcap_read_loop.c) and `tcpdump -r FILE -w /dev/null` on the same file,
exec to exit, start-up included. Alternating rounds with a warm page cache; the median wall time
of each and the ratio loop/agent (1.0 = as fast as the bare loop).

    bench/pipeline/whole_process.py AGENT FILE... [--rounds 7]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))


def run(cmd, cwd):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def frames(loop, path):
    out = subprocess.run([loop, path], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("agent")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    try:
        loop = os.path.join(work, "pcap_read_loop")
        subprocess.run(["gcc", "-O2", "-o", loop, os.path.join(root, "bench/memory/pcap_read_loop.c"),
                        "-lpcap"], check=True)
        agent = os.path.abspath(args.agent)
        print(f"{'capture':<48} {'packets':>9} {'loop s':>8} {'agent s':>8} {'tcpdump s':>9} "
              f"{'loop/agent':>10} {'loop/tcpdump':>12}")
        for path in args.files:
            path = os.path.abspath(path)
            n = frames(loop, path)
            readers = {
                "loop": [loop, path],
                # cwd has no sentinel_config.json: the built-in defaults apply.
                "agent": [agent, "--read", path, "--output", "none"],
                "tcpdump": ["tcpdump", "-r", path, "-w", "/dev/null"],
            }
            times = {k: [] for k in readers}
            for k, cmd in readers.items():  # warm the page cache and the binaries
                run(cmd, work)
            for _ in range(args.rounds):
                for k, cmd in readers.items():
                    times[k].append(run(cmd, work))
            med = {k: statistics.median(v) for k, v in times.items()}
            print(f"{os.path.basename(path):<48} {n:>9} {med['loop']:>8.3f} {med['agent']:>8.3f} "
                  f"{med['tcpdump']:>9.3f} {med['loop'] / med['agent']:>10.2f} "
                  f"{med['loop'] / med['tcpdump']:>12.2f}")
            sys.stdout.flush()
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
