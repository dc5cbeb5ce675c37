#!/usr/bin/env bash
# Builds and runs the sanitizer suites (test.sh calls it after the dev suite).
#   asan-ubsan: unit, server, store, transport and outputs tests under ASan + UBSan
#   tsan:       the threaded code (server, store, shipper, outputs, VirusTotal) under TSan
# Each preset builds only the test binaries it runs (build presets' "targets", CMakePresets.json)
# and no dashboard (SENTINEL_WEB_DASHBOARD=OFF). A finding fails the test that hit it; the
# reports go to build/<preset>/sanitizer-report.<pid> (log_path in the test presets), so that
# findings in child processes (sentinel-server, the ship_alerts helper) whose output a test
# does not keep fail the run too.
# Usage: scripts/sanitize.sh [preset ...]   (default: asan-ubsan tsan; extra ctest arguments
# go in SANITIZE_CTEST_ARGS)
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
[ $# -gt 0 ] || set -- asan-ubsan tsan
read -r -a ctest_args <<<"${SANITIZE_CTEST_ARGS:-}"
failed=0
for preset in "$@"; do
  start=$SECONDS
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  built=$SECONDS
  rm -f build/"$preset"/sanitizer-report.*
  rc=0
  ctest --preset "$preset" "${ctest_args[@]}" || rc=$?
  echo "sanitize: $preset built in $((built - start)) s, tested in $((SECONDS - built)) s"
  shopt -s nullglob
  reports=(build/"$preset"/sanitizer-report.*)
  shopt -u nullglob
  if [ ${#reports[@]} -gt 0 ]; then
    echo "sanitize: $preset: ${#reports[@]} sanitizer report(s):"
    for r in "${reports[@]}"; do
      echo "===== $r"
      head -n 60 "$r"
    done
    rc=1
  fi
  [ "$rc" -eq 0 ] || failed=1
done
exit "$failed"
