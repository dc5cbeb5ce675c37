#!/usr/bin/env python3
"""corpus_cover.py CONTROL_FILE OUT_LIST [CAP]: from a libFuzzer merge control file
(-merge=1 -merge_control_file=CONTROL_FILE OUT_DIR ALL_INPUTS_DIR), lists in OUT_LIST the seed-*
and regress-* inputs plus a greedy cover of the coverage edges the others reach, at most CAP
inputs in all. How the committed corpora were reduced (docs/fuzzing.md)."""
import sys
lines = open(sys.argv[1]).read().split("\n")
n = int(lines[0]); paths = lines[2:2 + n]
cov = {}
for line in lines[2 + n:]:
    parts = line.split()
    if parts and parts[0] == "COV":
        cov[int(parts[1])] = set(parts[2:])
universe = set().union(*cov.values()) if cov else set()
import os
# seed-* and regress-* inputs are always kept; the cover starts from what they reach.
chosen = [i for i in cov if os.path.basename(paths[i]).startswith(("seed-", "regress-"))]
covered = set().union(*(cov[i] for i in chosen)) if chosen else set()
cap = int(sys.argv[3]) if len(sys.argv) > 3 else 10**9
while covered != universe and len(chosen) < cap:
    best = max(cov, key=lambda i: (len(cov[i] - covered), -len(paths[i])))
    gain = cov[best] - covered
    if not gain:
        break
    chosen.append(best); covered |= gain
with open(sys.argv[2], "w") as f:
    for i in chosen:
        f.write(paths[i] + "\n")
print(f"{len(chosen)} of {len(cov)} inputs cover {len(covered)} of {len(universe)} edges", file=sys.stderr)
