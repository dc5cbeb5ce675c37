#!/usr/bin/env bash
# Builds and runs the sanitizer suites (test.sh calls it after the dev suite).
#   asan-ubsan: unit, server, store, transport and outputs tests under ASan + UBSan
#   tsan:       the threaded code (server, store, shipper, outputs, VirusTotal) under TSan
# Each preset builds only the test binaries it runs (build presets' "targets", CMakePresets.json)
# and no dashboard (SENTINEL_WEB_DASHBOARD=OFF). A finding fails the test that hit it.
# Usage: scripts/sanitize.sh [preset ...]   (default: asan-ubsan tsan; extra ctest arguments
# go in SANITIZE_CTEST_ARGS)
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
[ $# -gt 0 ] || set -- asan-ubsan tsan
read -r -a ctest_args <<<"${SANITIZE_CTEST_ARGS:-}"
for preset in "$@"; do
  start=$SECONDS
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  built=$SECONDS
  ctest --preset "$preset" "${ctest_args[@]}"
  echo "sanitize: $preset built in $((built - start)) s, tested in $((SECONDS - built)) s"
done
