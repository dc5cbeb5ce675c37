#!/usr/bin/env python3
"""Detection quality: original rules against improved rules, per detector.

Runs `sentinel-agent --read CAPTURE --output jsonl` twice per capture (once with every
`*_rules` key set to "original", once to "improved", through a temporary config file) and
scores the alerts against the ground truth that the golden tests use: tests/golden/<case>/expect
(categories the MANIFEST says SHOULD fire) and forbid (categories that must stay silent).

A (capture, category) pair is a true positive when an expected category fired, a miss when it
did not, and a false positive when a forbidden category fired. Categories a capture neither
expects nor forbids (the MANIFEST's UNCERTAIN cases) are not scored.

Usage: bench/quality/measure.py build/dev/bin/sentinel-agent [--pcaps DIR] [--markdown]
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(REPO, "tests", "golden")

CATEGORIES = [
    ("PORT SCAN", "port_scan"),
    ("SYN FLOOD", "syn_flood"),
    ("ICMP FLOOD", "icmp_flood"),
    ("SUSPICIOUS PORT", "suspicious_port"),
    ("ARP SPOOFING", "arp_spoof"),
    ("DNS TUNNELLING", "dns_tunnel"),
    ("DATA EXFILTRATION", "exfiltration"),
    ("BRUTE FORCE", "brute_force"),
]

# Every "<detector>_rules" key; detectors without an improved rule have no key.
RULE_KEYS = ["port_scan_rules", "syn_flood_rules", "bruteforce_rules", "arp_spoof_rules",
             "dns_tunnel_rules", "exfil_rules"]


def read_list(path):
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as f:
        return {l.strip() for l in f if l.strip() and not l.startswith("#")}


def cases(pcap_dir):
    """Yields (name, capture path, expect, forbid) for every golden case whose capture exists."""
    for name in sorted(os.listdir(GOLDEN)):
        folder = os.path.join(GOLDEN, name)
        capture_file = os.path.join(folder, "capture")
        if not os.path.isfile(capture_file):
            continue
        with open(capture_file, encoding="utf-8") as f:
            ref = f.read().strip()
        kind, _, rel = ref.partition(":")
        path = os.path.join(pcap_dir if kind == "pcaps" else REPO, rel)
        if not os.path.exists(path):
            print(f"skipped {name}: {path} is missing", file=sys.stderr)
            continue
        yield (name, path, read_list(os.path.join(folder, "expect")),
               read_list(os.path.join(folder, "forbid")))


# Captures without a golden case (too large to keep a baseline for), with the MANIFEST's
# ground truth for them.
EXTRA_CASES = [
    ("large.DERIVED_concat_316_real_captures", "large/DERIVED_concat_316_real_captures.pcap",
     {"PORT SCAN"}, {"SYN FLOOD", "ICMP FLOOD", "DATA EXFILTRATION", "DNS TUNNELLING"}),
]


def extra_cases(pcap_dir):
    for name, rel, expect, forbid in EXTRA_CASES:
        path = os.path.join(pcap_dir, rel)
        if os.path.exists(path):
            yield name, path, expect, forbid
        else:
            print(f"skipped {name}: {path} is missing", file=sys.stderr)


def run_agent(agent, config_path, capture):
    out = subprocess.run(
        [agent, "--config", config_path, "--read", capture, "--output", "jsonl", "--quiet",
         "--no-progress"],
        capture_output=True, text=True, check=False, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"{capture}: agent exited {out.returncode}: {out.stderr.strip()}")
    return collections.Counter(
        json.loads(line)["category"] for line in out.stdout.splitlines() if line.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("agent", help="path to sentinel-agent")
    parser.add_argument("--pcaps", default=os.environ.get(
        "SENTINEL_PCAP_DIR", os.path.join(os.path.dirname(REPO), "shared", "pcaps")),
        help="reference captures (default: $SENTINEL_PCAP_DIR or ../shared/pcaps)")
    parser.add_argument("--verbose", action="store_true", help="list every scored pair")
    args = parser.parse_args()
    if not os.path.isdir(args.pcaps):
        sys.exit(f"no reference captures at {args.pcaps} (set SENTINEL_PCAP_DIR or --pcaps)")

    modes = ("original", "improved")
    # score[mode][category] = Counter(tp, miss, fp, fp_alerts)
    score = {m: collections.defaultdict(collections.Counter) for m in modes}
    details = []
    with tempfile.TemporaryDirectory() as tmp:
        configs = {}
        for m in modes:
            configs[m] = os.path.join(tmp, f"{m}.json")
            with open(configs[m], "w", encoding="utf-8") as f:
                json.dump({k: m for k in RULE_KEYS}, f)
        all_cases = list(cases(args.pcaps)) + list(extra_cases(args.pcaps))
        for name, path, expect, forbid in all_cases:
            for m in modes:
                fired = run_agent(args.agent, configs[m], path)
                for cat, _ in CATEGORIES:
                    s = score[m][cat]
                    if cat in expect:
                        outcome = "tp" if fired[cat] else "miss"
                        s[outcome] += 1
                    elif cat in forbid and fired[cat]:
                        outcome = "fp"
                        s["fp"] += 1
                        s["fp_alerts"] += fired[cat]
                    elif cat not in forbid and fired[cat]:
                        outcome = "unscored"
                        s["unscored"] += fired[cat]
                    else:
                        continue
                    if outcome != "tp" or args.verbose:
                        details.append((m, name, cat, outcome, fired[cat]))

    print("| Detector | TP original | TP improved | Misses original | Misses improved "
          "| FP original (alerts) | FP improved (alerts) |")
    print("|---|---|---|---|---|---|---|")
    totals = {m: collections.Counter() for m in modes}
    for cat, det in CATEGORIES:
        o, i = score["original"][cat], score["improved"][cat]
        totals["original"].update(o)
        totals["improved"].update(i)
        print(f"| {det} | {o['tp']} | {i['tp']} | {o['miss']} | {i['miss']} "
              f"| {o['fp']} ({o['fp_alerts']}) | {i['fp']} ({i['fp_alerts']}) |")
    o, i = totals["original"], totals["improved"]
    print(f"| **total** | {o['tp']} | {i['tp']} | {o['miss']} | {i['miss']} "
          f"| {o['fp']} ({o['fp_alerts']}) | {i['fp']} ({i['fp_alerts']}) |")
    print()
    print("Unscored alerts (category neither expected nor forbidden, e.g. the MANIFEST's "
          "UNCERTAIN cases): " + ", ".join(
              f"{det} {score['original'][cat]['unscored']} -> {score['improved'][cat]['unscored']}"
              for cat, det in CATEGORIES
              if score['original'][cat]['unscored'] or score['improved'][cat]['unscored']))
    print()
    print("Misses, false positives and unscored alerts (capture, category, alerts):")
    for m, name, cat, outcome, n in details:
        print(f"- {m}: {name}: {cat} {outcome} ({n})")
    worse = i["miss"] > o["miss"] or i["fp"] > o["fp"]
    print()
    print(f"{len(all_cases)} captures; improved rules "
          + ("WORSE than" if worse else "no worse than") + " the original")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
