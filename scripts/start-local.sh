#!/usr/bin/env bash
# Starts whatever programs exist on their embedded defaults. Arguments: BIN_DIR RUN_DIR
set -euo pipefail
bin=$1 run=$2
mkdir -p "$run"
cd "$run"
for prog in sentinel-certs sentinel-server sentinel-agent; do
  [ -x "$bin/$prog" ] && "$bin/$prog" --help | head -1
done
echo "NetSentinel programs built in $bin (server and agent arrive with later issues)."
