#!/usr/bin/env bash
# A live agent on a quiet interface stops promptly on SIGTERM and SIGINT and exits 0, keeping
# what it could not send spooled. Needs root for live capture (skips otherwise).
# Usage: stop_on_signal_test.sh BIN_DIR
set -euo pipefail
bin=$1
[ "$(id -u)" -eq 0 ] || { echo "SKIPPED: live capture needs root"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/sentinel-certs" --out-dir "$work" >/dev/null
for signal in TERM INT; do
  # No server listens on this port: delivery keeps failing, which must not delay the stop much.
  "$bin/sentinel-agent" --config "$work/sentinel_config.json" --server https://127.0.0.1:1 \
    --iface lo --state-dir "$work/state" --quiet &
  pid=$!
  sleep 2
  kill -0 "$pid" || { echo "FAILED: the agent exited before the signal"; exit 1; }
  start=$(date +%s)
  kill -"$signal" "$pid"
  status=0
  wait "$pid" || status=$?
  took=$(( $(date +%s) - start ))
  [ "$status" -eq 0 ] || { echo "FAILED: exit status $status after SIG$signal"; exit 1; }
  [ "$took" -le 10 ] || { echo "FAILED: SIG$signal took ${took}s to stop the agent"; exit 1; }
  echo "ok: SIG$signal stopped the agent in ${took}s with status 0"
done
