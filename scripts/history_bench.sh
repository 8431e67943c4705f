#!/usr/bin/env bash
# History figures, loopback only, bounded in time:
#   - writes: write throughput with history and audit (server.keep_history
#     = true) against the same center without (false), ROUNDS alternating
#     rounds of WRITE_SECONDS each, on SQLite, MariaDB and PostgreSQL
#     (loadgen writes: 4 writers, batches of 50 puts, each put its own
#     revision); the median ratio;
#   - rollback: a namespace of 100,000 records, 10,000 writes, then
#     namespaces.rollback to the revision before them: its time and the
#     center's peak RSS during it, on SQLite and MariaDB.
# Prints `target` lines; exits 1 if a target was missed (REPORT_ONLY=1: 0
# all the same), 2 on bad usage; a step that cannot run fails the script.
# Run by scripts/bench.sh; alone: scripts/history_bench.sh [writes|rollback]...
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PARTS="${*:-writes rollback}"
ROUNDS="${ROUNDS:-3}"
WRITE_SECONDS="${WRITE_SECONDS:-10}"
MYSQL_SERVER="${SYNCDICT_BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
PG_SERVER="${SYNCDICT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
PORT=$(free_port)
AUTH="bench:bench-password"

cargo build --release --quiet --features mysql,postgres --bin syncdict --example loadgen
bin="$PWD/target/release/syncdict"
loadgen="$PWD/target/release/examples/loadgen"
work="$(mktemp -d)"
trap 'stop; rm -rf "$work"' EXIT
rpc() { # METHOD PARAMS_JSON: the result, as the bench writer
    curl -sf -u "$AUTH" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/RPC" \
        -d "{\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":$2,\"id\":1}"
}
fresh_db() { # BACKEND: a fresh database, its URL on stdout
    local db=syncdict_history_bench
    case $1 in
    sqlite) rm -f "$work"/h.db*; echo "sqlite://$work/h.db" ;;
    mariadb) mariadb -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db" >&2
        echo "$MYSQL_SERVER/$db" ;;
    postgres) psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >&2
        echo "$PG_SERVER/$db" ;;
    esac
}
start() { # URL KEEP_HISTORY
    printf 'bench-password\n' | SYNCDICT__DATABASE__URL="$1" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add bench --write --password-stdin >/dev/null
    (cd "$work" && exec env SYNCDICT__SERVER__PORT=$PORT SYNCDICT__SERVER__ROLES=center \
        SYNCDICT__SERVER__KEEP_HISTORY="$2" SYNCDICT__DATABASE__URL="$1" SYNCDICT__LOG__LEVEL=error "$bin") &
    pid=$!
    wait_port $PORT
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

for part in $PARTS; do
    case $part in
    writes)
        for backend in sqlite mariadb postgres; do
            echo "== writes per second, $backend: history and audit on vs off, $ROUNDS rounds of ${WRITE_SECONDS}s"
            : > "$work/ratios"
            for round in $(seq 1 "$ROUNDS"); do
                for keep in true false; do
                    start "$(fresh_db $backend)" $keep
                    "$loadgen" writes --center "http://127.0.0.1:$PORT/RPC" --seconds "$WRITE_SECONDS" \
                        --credentials "$AUTH" > "$work/w.out"
                    stop
                    rate=$(field writes_per_s < "$work/w.out")
                    echo "round $round keep_history $keep $(cat "$work/w.out")"
                    eval "rate_$keep=$rate"
                done
                awk -v on="$rate_true" -v off="$rate_false" 'BEGIN {printf "%.2f\n", on / off}' >> "$work/ratios"
            done
            ratio=$(median < "$work/ratios")
            echo "writes $backend ratio_history_on_off $ratio (rounds: $(tr '\n' ' ' < "$work/ratios"))"
            target "writes/s with history and audit, $backend (ratio to off)" "$ratio" ">=" 0.8
        done
        ;;
    rollback)
        for backend in sqlite mariadb; do
            url="$(fresh_db $backend)"
            start "$url" true
            rpc namespaces.create '["big"]' >/dev/null
            awk 'BEGIN {for (i = 0; i < 100000; i++) printf "{\"key\":\"k%06d\",\"value\":{\"rule\":\"allow\",\"n\":%d,\"list\":[\"10.0.0.%d\"]}}\n", i, i, i % 250}' > "$work/big.ndjson"
            SYNCDICT__DATABASE__URL="$url" SYNCDICT__LOG__LEVEL=error "$bin" import "$work/big.ndjson" --namespace big >/dev/null
            before=$(rpc audit.list '{"limit":1}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"][-1]["revision"])')
            "$loadgen" writes --center "http://127.0.0.1:$PORT/RPC" --count 10000 --seconds 600 \
                --namespace big --keys 100000 --credentials "$AUTH" > "$work/w.out"
            after=$(rpc audit.list '{"limit":1}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"][-1]["revision"])')
            rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
            echo 5 > "/proc/$pid/clear_refs" # resets the peak (VmHWM) to the current RSS
            t0=$(date +%s.%N)
            result=$(rpc namespaces.rollback "[\"big\", $before]")
            t1=$(date +%s.%N)
            peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
            stop
            seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
            rise=$(( (peak - rss_before) / 1024 ))
            echo "rollback $backend namespace 100000 records, revision $before -> $after ($((after - before)) writes back): $result"
            echo "rollback $backend seconds $seconds rss_before_mib $((rss_before / 1024)) peak_mib $((peak / 1024)) rise_mib $rise"
            target "rollback of 100,000 records 10,000 writes back, $backend (s)" "$seconds" "<=" 30
            target "rollback peak RSS rise, $backend (MiB; 3x the 6 MB namespace + 64)" "$rise" "<=" 82
        done
        ;;
    *) echo "unknown part $part (writes, rollback)" >&2; exit 2 ;;
    esac
done
targets_status
