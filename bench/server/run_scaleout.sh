#!/usr/bin/env bash
# Scale-out benchmark: batched HTTPS ingest (alerts/s) with SQLite, with PostgreSQL and one
# server, and with PostgreSQL and two servers, in one run.
# usage: bench/server/run_scaleout.sh [BUILD_DIR]   (default build/bench; build
#        server_bench_runner first). Needs root (PostgreSQL runs as the postgres user), wrk,
#        openssl, psql. Everything runs on 127.0.0.1; the PostgreSQL cluster is throw-away but
#        durable (fsync and synchronous_commit on), like SQLite's synchronous=FULL.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/bench}
runner=$build/bench/server_bench_runner
duration=${DURATION:-10s}
conns=${BCONNS:-16}
export BATCH=${BATCH:-100}
work=$(mktemp -d /tmp/scaleout_bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  sh "$root/tests/store/pg_cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
export API_KEY=bench-key-$(openssl rand -hex 12)
export SENTINEL_ADMIN_PASSWORD=bench-password

PG_DURABLE=1 sh "$root/tests/store/pg_cluster.sh" start "$work/pg"
admin_dsn=$(cat "$work/pg/dsn")
case "$admin_dsn" in skip:*) echo "$admin_dsn"; exit 1 ;; esac
psql_admin() { psql "$admin_dsn" -qtA -c "$1"; }

# start NAME GUI_PORT AGENT_PORT [DSN]
start() {
  "$runner" "$work/$1" "$work/cert.pem" "$work/key.pem" "$API_KEY" "$2" "$3" ${4:+"$4"} \
    >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    curl -sk -o /dev/null "https://127.0.0.1:$3/" && return 0
    sleep 0.1
  done
  echo "server $1 did not start"; cat "$work/$1.log"; exit 1
}
stop_all() {
  for p in "${pids[@]}"; do kill "$p"; wait "$p" || true; done
  pids=()
}
# wrk against one agent port; prints alerts/s (completed requests × batch).
load() {
  ID_PREFIX=$2 wrk -t1 -c"$conns" -d"$duration" -s "$root/bench/server/batch.lua" \
    "https://127.0.0.1:$1/api/alerts" >"$work/wrk-$2.txt" 2>&1
  awk -v b="$BATCH" '/Requests\/sec/ { printf "%.0f\n", $2 * b }' "$work/wrk-$2.txt"
}
fresh_db() {
  psql_admin "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
  psql_admin "CREATE DATABASE $1"
  echo "${admin_dsn/dbname=postgres/dbname=$1}"
}

echo "== SQLite, one server (wrk -t1 -c$conns, batches of $BATCH, $duration)"
start sqlite 18443 18444
sqlite_rate=$(load 18444 s)
stop_all
echo "alerts/s: $sqlite_rate"

echo "== PostgreSQL, one server"
dsn=$(fresh_db bench1)
start pg1 18443 18444 "$dsn"
pg1_rate=$(load 18444 p)
stop_all
echo "alerts/s: $pg1_rate  stored: $(psql "$dsn" -qtA -c 'select count(*) from alerts')"

echo "== PostgreSQL, two servers (one wrk each, run together)"
dsn=$(fresh_db bench2)
start pgA 18443 18444 "$dsn"
start pgB 18453 18454 "$dsn"
load 18444 A >"$work/rateA" &
wa=$!
load 18454 B >"$work/rateB" &
wb=$!
wait "$wa" "$wb"
stop_all
a=$(cat "$work/rateA"); b=$(cat "$work/rateB")
echo "alerts/s: $((a + b)) (A $a + B $b)  stored: $(psql "$dsn" -qtA -c 'select count(*) from alerts')"
