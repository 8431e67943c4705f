#!/usr/bin/env bash
# Scale figures, loopback only, bounded in time (examples/loadgen.rs does
# the load; every request opens its own connection, as edges do):
#   - edges per center: LEVELS of simulated edges, each calling
#     records.changes every 6 s +-10%, plus a writer (WRITES_PER_S), for
#     LEVEL_SECONDS each, on SQLite and on MariaDB; the largest level with
#     p99 < 50 ms and no failed request;
#   - freshness: FRESH_WRITES puts ~100 ms apart, time until each is readable
#     on an edge pulling every second (p50, p99);
#   - soak: SOAK_SECONDS of mixed load on one center + edge process: failed
#     requests, RSS after the first minute and at the end.
# Run by scripts/bench.sh; alone: scripts/scale_bench.sh [edges|freshness|soak]...
set -euo pipefail
cd "$(dirname "$0")/.."
PARTS="${*:-edges freshness soak}"
LEVELS="${LEVELS:-10000,20000,40000,60000,80000,100000}"
LEVEL_SECONDS="${LEVEL_SECONDS:-20}"
WRITES_PER_S="${WRITES_PER_S:-1}"
FRESH_WRITES="${FRESH_WRITES:-1000}"
SOAK_SECONDS="${SOAK_SECONDS:-600}"
MYSQL_SERVER="${SYNCDICT_BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
PORT=18090
AUTH="bench:bench-password"

cargo build --release --quiet --features mysql --bin syncdict --example loadgen
bin="$PWD/target/release/syncdict"
loadgen="$PWD/target/release/examples/loadgen"
work="$(mktemp -d)"
pid=""
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap 'stop; rm -rf "$work"' EXIT
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

# start URL ROLES [env...]: one syncdict with a bench writer and 1,000 records.
start() {
    local url="$1" roles="$2"; shift 2
    printf 'bench-password\n' | SYNCDICT__DATABASE__URL="$url" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add bench --write --password-stdin >/dev/null
    (cd "$work" && exec env SYNCDICT__SERVER__PORT=$PORT SYNCDICT__SERVER__ROLES="$roles" \
        SYNCDICT__DATABASE__URL="$url" SYNCDICT__LOG__LEVEL=error "$@" "$bin") &
    pid=$!
    wait_port $PORT
    for b in $(seq 0 9); do
        local batch="[" n
        for i in $(seq 0 99); do
            n=$((b * 100 + i))
            [ "$i" -gt 0 ] && batch+=","
            batch+="{\"jsonrpc\":\"2.0\",\"method\":\"records.put\",\"params\":[\"key-$(printf %04d $n)\",{\"rule\":\"allow\",\"list\":[\"10.0.$b.$i\",\"host-$n.example\"],\"weight\":$n}],\"id\":$n}"
        done
        curl -sf -u "$AUTH" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/RPC" -d "$batch]" >/dev/null
    done
}

mysql_db() { # a fresh database on the MariaDB server; prints its URL
    local db=syncdict_bench
    mariadb -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db" >&2
    echo "$MYSQL_SERVER/$db"
}

for part in $PARTS; do
    case $part in
    edges)
        for backend in sqlite mariadb; do
            rm -f "$work"/edges.db*
            if [ $backend = sqlite ]; then url="sqlite://$work/edges.db"; else url="$(mysql_db)"; fi
            start "$url" center
            echo "== edges per center, $backend: ${LEVEL_SECONDS}s per level, $WRITES_PER_S write/s, 1,000 records"
            "$loadgen" edges "http://127.0.0.1:$PORT/RPC" "$LEVELS" "$LEVEL_SECONDS" "$WRITES_PER_S" "$AUTH" \
                | sed "s/^edges_max/edges_max_$backend/"
            stop
        done
        ;;
    freshness)
        rm -f "$work"/fresh.db*
        start "sqlite://$work/fresh.db" center,edge SYNCDICT__CLIENT__INTERVAL=1s \
            SYNCDICT__CLIENT__SNAPSHOT_PATH="$work/fresh.snapshot"
        echo "== freshness: edge interval 1s, $FRESH_WRITES writes ~100 ms apart (target p99 <= 1050 ms)"
        "$loadgen" freshness "http://127.0.0.1:$PORT/RPC" "http://127.0.0.1:$PORT" "$FRESH_WRITES" "$AUTH"
        stop
        ;;
    soak)
        rm -f "$work"/soak.db*
        start "sqlite://$work/soak.db" center,edge SYNCDICT__CLIENT__SNAPSHOT_PATH="$work/soak.snapshot"
        until curl -sf "http://127.0.0.1:$PORT/api/cache/key-0999" >/dev/null; do sleep 0.2; done
        echo "== soak: ${SOAK_SECONDS}s, one center + edge process (target: 0 failed, RSS growth <= 10%)"
        "$loadgen" soak "http://127.0.0.1:$PORT/RPC" "http://127.0.0.1:$PORT" "$SOAK_SECONDS" "$pid" "$AUTH"
        stop
        ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
    esac
done
