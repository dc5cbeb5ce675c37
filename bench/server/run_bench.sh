#!/usr/bin/env bash
# Server benchmark: HTTPS ingest with wrk (single and batched) and WebSocket push latency.
# usage: bench/server/run_bench.sh [BUILD_DIR]   (default build/bench; build it first with
#        cmake --preset bench && cmake --build --preset bench -j2 --target server_bench_runner)
# Needs: wrk, openssl, python3. Everything runs on 127.0.0.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/bench}
runner=$build/bench/server_bench_runner
duration=${DURATION:-15s}
work=$(mktemp -d /tmp/server_bench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
export API_KEY=bench-key-$(openssl rand -hex 12)
export SENTINEL_ADMIN_PASSWORD=bench-password
gui=${GUI_PORT:-18443}
agent=${AGENT_PORT:-18444}

start() {
  rm -rf "$work/data"
  "$runner" "$work/data" "$work/cert.pem" "$work/key.pem" "$API_KEY" "$gui" "$agent" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -sk -o /dev/null "https://127.0.0.1:$agent/" && return 0
    sleep 0.1
  done
  echo "server did not start"; cat "$work/server.log"; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; pid=""; }
count() {
  python3 - "$work/data/netsentinel.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from alerts").fetchone()[0])
PY
}

echo "== single alerts: wrk -t2 -c${CONNS:-64} -d$duration"
start
wrk -t2 -c"${CONNS:-64}" -d"$duration" -s "$root/bench/server/alert.lua" "https://127.0.0.1:$agent/api/alert"
stop
echo "stored: $(count)"

echo "== batches of ${BATCH:-100}: wrk -t2 -c${BCONNS:-16} -d$duration"
export BATCH=${BATCH:-100}
start
wrk -t2 -c"${BCONNS:-16}" -d"$duration" -s "$root/bench/server/batch.lua" "https://127.0.0.1:$agent/api/alerts"
stop
echo "stored: $(count) alerts"

echo "== WebSocket push latency at ${RATE:-1000} alerts/s"
start
python3 "$root/bench/server/ws_latency.py" "$gui" "$agent" "$work/cert.pem" "$API_KEY" \
  "$SENTINEL_ADMIN_PASSWORD" "${RATE:-1000}" "${SECONDS_WS:-10}"
stop
