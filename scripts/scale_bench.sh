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
#     requests, RSS after the first minute and at the end;
#   - namespaces: edges per center again (NS_LEVELS), with 10 namespaces of
#     1,000 records and each edge pulling 2 of them, on SQLite and MariaDB.
# EDGE_BACKENDS / NS_BACKENDS narrow the edges / namespaces parts to some
# backends (default "sqlite mariadb").
# Prints `target` lines; exits 1 if a target was missed (REPORT_ONLY=1: 0
# all the same), 2 on bad usage; a step that cannot run fails the script.
# Run by scripts/bench.sh; alone: scripts/scale_bench.sh [edges|freshness|soak|namespaces]...
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PARTS="${*:-edges freshness soak namespaces}"
NS_LEVELS="${NS_LEVELS:-20000,40000,60000,80000}"
LEVELS="${LEVELS:-10000,20000,40000,60000,80000,100000}"
LEVEL_SECONDS="${LEVEL_SECONDS:-20}"
WRITES_PER_S="${WRITES_PER_S:-1}"
FRESH_WRITES="${FRESH_WRITES:-1000}"
SOAK_SECONDS="${SOAK_SECONDS:-600}"
MYSQL_SERVER="${SYNCDICT_BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
PORT=$(free_port)
AUTH="bench:bench-password" # the writer load_records uses

cargo build --release --quiet --features mysql --bin syncdict --example loadgen
bin="$PWD/target/release/syncdict"
loadgen="$PWD/target/release/examples/loadgen"
work="$(mktemp -d)"
trap 'stop; rm -rf "$work"' EXIT

# start URL ROLES [env...]: one syncdict with a bench writer and 1,000 records.
start() {
    local url="$1" roles="$2"; shift 2
    printf 'bench-password\n' | SYNCDICT__DATABASE__URL="$url" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add bench --write --password-stdin >/dev/null
    (cd "$work" && exec env SYNCDICT__SERVER__PORT=$PORT SYNCDICT__SERVER__ROLES="$roles" \
        SYNCDICT__DATABASE__URL="$url" SYNCDICT__LOG__LEVEL=error "$@" "$bin") &
    pid=$!
    wait_port $PORT
    load_records $PORT
}

mysql_db() { # a fresh database on the MariaDB server; prints its URL
    local db=syncdict_bench
    mariadb -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db" >&2
    echo "$MYSQL_SERVER/$db"
}

for part in $PARTS; do
    case $part in
    edges)
        for backend in ${EDGE_BACKENDS:-sqlite mariadb}; do
            rm -f "$work"/edges.db*
            if [ $backend = sqlite ]; then url="sqlite://$work/edges.db"; else url="$(mysql_db)"; fi
            start "$url" center
            echo "== edges per center, $backend: ${LEVEL_SECONDS}s per level, $WRITES_PER_S write/s, 1,000 records"
            "$loadgen" edges --center "http://127.0.0.1:$PORT/RPC" --levels "$LEVELS" \
                --seconds "$LEVEL_SECONDS" --writes-per-s "$WRITES_PER_S" --credentials "$AUTH" \
                | tee "$work/edges.out"
            stop
            target "edges per center, $backend (p99 < 50 ms, no failure)" \
                "$(grep '^edges_max' "$work/edges.out" | field edges_max)" ">=" 20000
        done
        ;;
    freshness)
        rm -f "$work"/fresh.db*
        start "sqlite://$work/fresh.db" center,edge SYNCDICT__CLIENT__INTERVAL=1s \
            SYNCDICT__CLIENT__SNAPSHOT_PATH="$work/fresh.snapshot"
        echo "== freshness: edge interval 1s, $FRESH_WRITES writes ~100 ms apart (target p99 <= 1050 ms)"
        "$loadgen" freshness --center "http://127.0.0.1:$PORT/RPC" --edge "http://127.0.0.1:$PORT" \
            --writes "$FRESH_WRITES" --credentials "$AUTH" | tee "$work/fresh.out"
        stop
        target "freshness p99, edge interval 1 s (ms)" "$(field p99_ms < "$work/fresh.out")" "<=" 1050
        target "freshness, writes never seen on the edge" "$(field failed < "$work/fresh.out")" "<=" 0
        ;;
    soak)
        rm -f "$work"/soak.db*
        start "sqlite://$work/soak.db" center,edge SYNCDICT__CLIENT__SNAPSHOT_PATH="$work/soak.snapshot"
        wait_until "the edge holds key-0999" curl -sf "http://127.0.0.1:$PORT/api/cache/key-0999"
        echo "== soak: ${SOAK_SECONDS}s, one center + edge process (target: 0 failed, RSS growth <= 10%)"
        "$loadgen" soak --center "http://127.0.0.1:$PORT/RPC" --edge "http://127.0.0.1:$PORT" \
            --seconds "$SOAK_SECONDS" --pid "$pid" --credentials "$AUTH" | tee "$work/soak.out"
        stop
        target "soak, failed requests" "$(field failed < "$work/soak.out")" "<=" 0
        target "soak, RSS growth after the first minute (%)" "$(field rss_growth_pct < "$work/soak.out")" "<=" 10
        ;;
    namespaces)
        for backend in ${NS_BACKENDS:-sqlite mariadb}; do
            rm -f "$work"/ns.db*
            if [ $backend = sqlite ]; then url="sqlite://$work/ns.db"; else url="$(mysql_db)"; fi
            start "$url" center
            for n in $(seq 0 9); do
                curl -sf -u "$AUTH" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/RPC" \
                    -d "{\"jsonrpc\":\"2.0\",\"method\":\"namespaces.create\",\"params\":[\"ns-$n\"],\"id\":1}" >/dev/null
                awk -v n="$n" 'BEGIN {for (i = 0; i < 1000; i++) printf "{\"key\":\"key-%04d\",\"value\":{\"rule\":\"allow\",\"ns\":%d,\"list\":[\"10.0.%d.%d\",\"host-%d.example\"],\"weight\":%d}}\n", i, n, n, i % 250, i, i}' > "$work/ns.ndjson"
                SYNCDICT__DATABASE__URL="$url" SYNCDICT__LOG__LEVEL=error "$bin" import "$work/ns.ndjson" --namespace "ns-$n" >/dev/null
            done
            echo "== edges per center with namespaces, $backend: 10 namespaces of 1,000 records, each edge pulling 2, ${LEVEL_SECONDS}s per level"
            "$loadgen" edges --center "http://127.0.0.1:$PORT/RPC" --levels "$NS_LEVELS" --namespaces 10 \
                --seconds "$LEVEL_SECONDS" --writes-per-s "$WRITES_PER_S" --credentials "$AUTH" \
                | tee "$work/ns.out"
            stop
            target "edges per center, 10 namespaces, 2 per edge, $backend (p99 < 50 ms)" \
                "$(grep '^edges_max' "$work/ns.out" | field edges_max)" ">=" 40000
        done
        ;;
    *) echo "unknown part $part (edges, freshness, soak, namespaces)" >&2; exit 2 ;;
    esac
done
targets_status
