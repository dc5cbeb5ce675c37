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
# shellcheck source=bench/server/lib.sh
source "$root/bench/server/lib.sh"
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
