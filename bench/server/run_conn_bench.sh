#!/usr/bin/env bash
# Connection benchmarks (docs/benchmarks-server.md): new-connection request latency, and an agent
# request while one address holds many idle connections.
# usage: bench/server/run_conn_bench.sh [BUILD_DIR]   (default build/bench; build
#        server_bench_runner there first). Needs: openssl, python3, curl. Loopback only.
# IDLE (5000) idle connections from 127.0.0.2; REQUESTS (200) for the latency run.
# MAX_CONNECTIONS / MAX_CONNECTIONS_PER_IP, when set, are passed to the server.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/bench}
runner=$build/bench/server_bench_runner
work=$(mktemp -d /tmp/conn_bench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
export API_KEY=bench-key-$RANDOM$RANDOM
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

echo "== new-connection latency: ${REQUESTS:-200} sequential POST /api/alert"
start
python3 "$root/bench/server/conn_bench.py" latency "$agent" "$work/cert.pem" "$API_KEY" "${REQUESTS:-200}"
stop

echo "== agent POST while 127.0.0.2 holds ${IDLE:-5000} idle connections"
start
python3 "$root/bench/server/conn_bench.py" flood "$agent" "$work/cert.pem" "$API_KEY" "${IDLE:-5000}" 127.0.0.2 20
grep -i "open-file limit" "$work/server.log" || true
stop
