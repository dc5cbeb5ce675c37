#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test suite, then the sanitizer suites
# (scripts/sanitize.sh; SENTINEL_SANITIZERS="" skips them, "tsan" runs only that one), then
# every fuzz target for SENTINEL_FUZZ_SECONDS (20) each.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh build test
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset dev
cmake --build --preset dev
ctest --preset dev "$@"
read -r -a sanitizers <<<"${SENTINEL_SANITIZERS-asan-ubsan tsan}"
if [ ${#sanitizers[@]} -gt 0 ]; then
  scripts/sanitize.sh "${sanitizers[@]}"
fi
# Every libFuzzer target briefly (clang, ASan + UBSan) on a scratch copy of its corpus;
# SENTINEL_FUZZ_SECONDS=0 skips it.
fuzz_seconds=${SENTINEL_FUZZ_SECONDS-20}
if [ "$fuzz_seconds" != 0 ]; then
  tools/fuzz_brief.sh "$fuzz_seconds"
fi
