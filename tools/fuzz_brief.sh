#!/usr/bin/env bash
# Builds the fuzz preset (clang, libFuzzer + ASan + UBSan) and runs every fuzz target briefly on a
# scratch copy of its corpus. Fails when a target crashes, leaks, times out or does not build;
# crash inputs are kept in the scratch folder (printed). The committed corpora are not changed.
#   tools/fuzz_brief.sh [SECONDS_PER_TARGET (30)] [TARGET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-30}
shift || true
all=(fuzz_decode fuzz_server_request fuzz_rule_json fuzz_config fuzz_spool fuzz_vt_reply fuzz_feeds
     fuzz_ws_message fuzz_vt_cache)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
jobs=${FUZZ_BUILD_JOBS:-2}

export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true
cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j"$jobs" --target "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz_brief.XXXXXX")
echo "scratch folder: $work"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp tests/fuzz/corpus/"$t"/* "$work/$t/corpus/"
  extra=()
  [ "$t" = fuzz_decode ] && extra+=(-max_len=4096)
  echo "== $t (${seconds}s)"
  if build/fuzz/tests/"$t" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
       -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" "${extra[@]}" \
       "$work/$t/corpus" >"$work/$t/log.txt" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$work/$t/log.txt" || true
  else
    failed+=("$t")
    tail -40 "$work/$t/log.txt"
    ls -l "$work/$t/artifacts/"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]} (logs and inputs under $work)"
  exit 1
fi
echo "all ${#targets[@]} targets ran ${seconds}s each without a finding"
rm -rf "$work"
