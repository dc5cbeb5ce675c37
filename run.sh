#!/usr/bin/env bash
# Installs what is missing, builds, creates certificates and config if absent, starts the server
# and a local agent, and prints the dashboard URL. Everything lives in ./run/ (config, certs,
# data, agent state, logs). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh build
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --preset release >/dev/null
cmake --build --preset release
exec scripts/start-local.sh "$PWD/build/release/bin" "$PWD/run"
