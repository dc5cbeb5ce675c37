#!/bin/sh
# Starts or stops a throw-away PostgreSQL cluster for tests (no systemd; see
# shared/design/DEPENDENCIES.md §4).
#   pg_cluster.sh start DIR   -> DIR/dsn holds a libpq connection string, or "skip: <reason>"
#   pg_cluster.sh stop DIR    -> stops the cluster and removes DIR
# The cluster itself lives in a fresh /tmp directory (the postgres user must reach it); DIR only
# records where.
# The server runs as the unprivileged postgres user on a free loopback port, with fsync off
# (PG_DURABLE=1 keeps the durable defaults, for benchmarks).
set -u
cmd=${1:?start or stop}
dir=${2:?directory}

stop() {
    root=$(cat "$dir/root" 2>/dev/null)
    if [ -n "$root" ] && [ -f "$root/data/postmaster.pid" ]; then
        runuser -u postgres -- "$(cat "$root/bin")/pg_ctl" -D "$root/data" -m immediate -w stop \
            >/dev/null 2>&1
    fi
    case "$root" in /tmp/sentinel-pg.*) rm -rf "$root" ;; esac
    rm -rf "$dir"
}

skip() {
    mkdir -p "$dir"
    echo "skip: $1" >"$dir/dsn"
    echo "PostgreSQL tests will be skipped: $1"
    exit 0
}

case "$cmd" in
stop)
    stop
    exit 0
    ;;
start) ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac

stop  # a cluster left by an interrupted run
initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
[ -n "$initdb" ] || skip "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb); install the postgresql package"
[ "$(id -u)" = 0 ] || skip "starting PostgreSQL as the postgres user needs root"
id postgres >/dev/null 2>&1 || skip "no postgres system user"
bin=$(dirname "$initdb")

mkdir -p "$dir"
root=$(mktemp -d /tmp/sentinel-pg.XXXXXX)
echo "$root" >"$dir/root"
echo "$bin" >"$root/bin"
pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
echo "$pw" >"$root/pw"
chown -R postgres:postgres "$root"
chmod 700 "$root"
chmod 600 "$root/pw"
if ! runuser -u postgres -- "$bin/initdb" -D "$root/data" -U postgres -A scram-sha-256 \
    --pwfile="$root/pw" -E UTF8 --no-sync >"$root/initdb.log" 2>&1; then
    cat "$root/initdb.log" >&2
    stop
    exit 1
fi
fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${PG_DURABLE:-0}" = 1 ] && fast=""
for attempt in 1 2 3; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    if runuser -u postgres -- "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 30 \
        -o "-p $port -k $root -c listen_addresses=127.0.0.1 $fast -c max_connections=200" \
        start >/dev/null 2>&1; then
        echo "host=127.0.0.1 port=$port user=postgres password=$pw dbname=postgres" >"$dir/dsn.tmp"
        mv "$dir/dsn.tmp" "$dir/dsn"
        echo "PostgreSQL $(basename "$(dirname "$bin")") on 127.0.0.1:$port"
        exit 0
    fi
done
cat "$root/server.log" >&2
stop
exit 1
