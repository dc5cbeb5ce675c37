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
# shellcheck source=bench/server/lib.sh
source "$root/bench/server/lib.sh"

echo "== new-connection latency: ${REQUESTS:-200} sequential POST /api/alert"
start
python3 "$root/bench/server/conn_bench.py" latency "$agent" "$work/cert.pem" "$API_KEY" "${REQUESTS:-200}"
stop

echo "== agent POST while 127.0.0.2 holds ${IDLE:-5000} idle connections"
start
python3 "$root/bench/server/conn_bench.py" flood "$agent" "$work/cert.pem" "$API_KEY" "${IDLE:-5000}" 127.0.0.2 20
grep -i "open-file limit" "$work/server.log" || true
stop
