#!/usr/bin/env bash
# Held pulls, loopback only, bounded in time (loadgen held: each edge keeps
# one connection and asks records.changes(since, null, WAIT) again as soon
# as a reply is in; one write a second; write-to-edge time):
#   - one center (SQLite): 1,000 held edges (target p99 <= 100 ms), then
#     10,000 (p50 <= 250 ms, p99 <= 1 s), and the center's RSS and CPU with
#     10,000 held and nothing written;
#   - two centers on one PostgreSQL and on one MariaDB database (edges held
#     on one, writes through the other, found by its revision check every
#     server.hold_poll_interval, 250 ms): 1,000 edges, target p99 <= the
#     poll interval + 100 ms;
#   - outputs: an edge holding its pulls with an [[output]] whose template
#     renders the revision and whose command stamps the time it ran;
#     OUTPUT_WRITES writes 150 ms apart: change-to-command p50/p99;
#   - memory: loadgen held-memory, N connections each holding one pull:
#     center RSS per held pull (target <= 4 KiB) at 10,000 and at the most
#     this host's open-files limit allows (50,000 where it can), and whether
#     the RSS is back within 10% of before within 30 s after they end, with
#     the fleet view on (it keeps each new edge) and off; "before" is after
#     a warm-up round of 100 held pulls (the binary's pages that serve them
#     paged in), the cold figure and the anonymous RSS are printed beside.
# Prints `target` lines; exits 1 if a target was missed (REPORT_ONLY=1: 0
# all the same). Alone: scripts/held_bench.sh [one|two|outputs|memory]...
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PARTS="${*:-one two outputs memory}"
OUTPUT_WRITES="${OUTPUT_WRITES:-1000}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-60}"
WAIT="${WAIT:-30}"
MYSQL_SERVER="${SYNCDICT_BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
POSTGRES_SERVER="${SYNCDICT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
AUTH="bench:bench-password"

cargo build --release --quiet --features mysql,postgres --bin syncdict --example loadgen
bin="$PWD/target/release/syncdict"
loadgen="$PWD/target/release/examples/loadgen"
work="$(mktemp -d)"
trap 'stop_all' EXIT

# center URL: a center on URL (the bench writer added first), its port in
# $port and pid in $pid. A whole run's write is one login (remembered).
center() {
    port=$(free_port)
    printf 'bench-password\n' | SYNCDICT__DATABASE__URL="$1" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add bench --write --password-stdin >/dev/null 2>&1 || true
    (cd "$work" && exec env SYNCDICT__SERVER__PORT=$port SYNCDICT__SERVER__ROLES=center \
        SYNCDICT__DATABASE__URL="$1" SYNCDICT__LOG__LEVEL=error \
        SYNCDICT__SERVER__REMEMBER_LOGINS=1h "$bin") &
    pid=$!
    pids+=("$pid")
    wait_port "$port"
}

# stop_centers: stops the centers started so far.
stop_centers() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    pids=()
}

# held EDGES [--write-center URL]: a loadgen held run against $port/$pid.
held() {
    local edges="$1"; shift
    "$loadgen" held --center "http://127.0.0.1:$port/RPC" --edges "$edges" \
        --seconds "$SECONDS_PER_RUN" --wait "$WAIT" --pid "$pid" --credentials "$AUTH" "$@" \
        | tee "$work/held-$edges.out"
}

for part in $PARTS; do
    case $part in
    one)
        center "sqlite://$work/one.db"
        echo "== one center, 1,000 held edges, one write a second, ${SECONDS_PER_RUN}s"
        held 1000
        target "held edges 1,000: write-to-edge p99 (ms)" \
            "$(grep '^held edges' "$work/held-1000.out" | field p99_ms)" "<=" 100
        echo "== one center, 10,000 held edges"
        held 10000
        line=$(grep '^held edges' "$work/held-10000.out")
        target "held edges 10,000: write-to-edge p50 (ms)" "$(echo "$line" | field p50_ms)" "<=" 250
        target "held edges 10,000: write-to-edge p99 (ms)" "$(echo "$line" | field p99_ms)" "<=" 1000
        target "held edges 10,000: edges that missed a write" "$(echo "$line" | field failed)" "<=" 0
        grep '^held_idle' "$work/held-10000.out"
        stop_centers
        ;;
    two)
        mariadb -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS syncdict_held; CREATE DATABASE syncdict_held"
        psql -q -U postgres -h 127.0.0.1 -c "DROP DATABASE IF EXISTS syncdict_held" -c "CREATE DATABASE syncdict_held"
        for url in "$MYSQL_SERVER/syncdict_held" "$POSTGRES_SERVER/syncdict_held"; do
            backend=${url%%:*}
            center "$url"
            writer_port=$port
            center "$url"
            echo "== two centers on $backend: 1,000 edges held on one, writes through the other"
            held 1000 --write-center "http://127.0.0.1:$writer_port/RPC"
            target "held edges 1,000 across two centers, $backend: write-to-edge p99 (ms)" \
                "$(grep '^held edges' "$work/held-1000.out" | field p99_ms)" "<=" 350
            stop_centers
        done
        ;;
    outputs)
        center "sqlite://$work/outputs.db"
        center_port=$port
        printf '{{ revision }}\n' > "$work/stamp.j2"
        cat > "$work/edge.toml" <<EOF
[server]
roles = ["edge"]
port = $(free_port)
[client]
upstreams = ["http://127.0.0.1:$center_port/RPC"]
hold = "30s"
snapshot_path = ""
[log]
level = "error"
[[output]]
path = "$work/stamp.txt"
format = "template"
template = "$work/stamp.j2"
command = 'echo "\$(cat {path}) \$(date +%s%N)" >> $work/stamps.log'
EOF
        (cd "$work" && exec "$bin" --config edge.toml) &
        pids+=("$!")
        # The first render needs data: one write, then the edge's output.
        curl -sf -u "$AUTH" -H 'Content-Type: application/json' "http://127.0.0.1:$center_port/RPC" \
            -d '{"jsonrpc":"2.0","method":"records.put","params":["stamp",-1],"id":1}' >/dev/null
        wait_until "the edge's first output" test -s "$work/stamps.log"
        echo "== outputs: $OUTPUT_WRITES changes 150 ms apart, change on the center to the command having run"
        "$loadgen" outputs --center "http://127.0.0.1:$center_port/RPC" --stamps "$work/stamps.log" \
            --writes "$OUTPUT_WRITES" --credentials "$AUTH" | tee "$work/outputs.out"
        line=$(grep '^outputs writes' "$work/outputs.out")
        target "outputs: changes with no command run after them" "$(echo "$line" | field failed)" "<=" 0
        stop_centers
        ;;
    memory)
        # Each held pull is a connection, in the center and in loadgen:
        # both need that many open files, and only root with
        # CAP_SYS_RESOURCE may raise the hard limit.
        most=$(( $(ulimit -Hn) - 1000 ))
        ulimit -n "$(ulimit -Hn)"
        sizes="10000"
        if [ "$most" -ge 50000 ]; then sizes="$sizes 50000"; else
            sizes="$sizes $most"
            echo "50,000 held pulls not measured: the hard open-files limit here is $(ulimit -Hn)"
        fi
        for fleet in on off; do
            for n in $sizes; do
                [ "$fleet" = off ] && [ "$n" != 10000 ] && continue
                window=24h; [ "$fleet" = off ] && window=0s
                SYNCDICT__SERVER__MAX_HOLD=10m SYNCDICT__SERVER__MAX_HELD=$((n + 100)) \
                    SYNCDICT__SERVER__MAX_CONNECTIONS=$((n + 500)) SYNCDICT__SERVER__FLEET_WINDOW=$window \
                    center "sqlite://$work/memory-$n-$fleet.db"
                echo "== $n connections each holding a pull, fleet view $fleet"
                "$loadgen" held-memory --center "http://127.0.0.1:$port/RPC" --edges "$n" --pid "$pid" \
                    --credentials "$AUTH" | tee "$work/memory.out"
                line=$(grep '^held_memory' "$work/memory.out")
                target "held pulls $n, fleet view $fleet: center RSS per held pull (bytes)" \
                    "$(echo "$line" | field bytes_per_held)" "<=" 4096
                echo "RSS cold $(echo "$line" | field rss_kib_cold) KiB, after a warm-up of 100 held $(echo "$line" | field rss_kib_before) KiB;" \
                    "anonymous RSS $(echo "$line" | field anon_kib_before) KiB before, $(echo "$line" | field anon_kib_after) KiB after"
                back=$(echo "$line" | field back_within_10pct_s)
                [ "$back" = -1 ] && back=never
                target "held pulls $n, fleet view $fleet: seconds until RSS within 10% of before" "$back" "<=" 30
                stop_centers
            done
        done
        ;;
    *) echo "unknown part $part (one two outputs memory)" >&2; exit 2 ;;

    esac
done
targets_status
