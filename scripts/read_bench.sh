#!/usr/bin/env bash
# Read benchmarks, on loopback, bounded in time: syncdict's hot reads
# against a plain actix-web handler returning the same bytes, asked the same
# request (the same path; its answer carries the same headers as syncdict's,
# so only the date differs) (req/s, p99 and
# ratios; medians over ROUNDS rounds of wrk -t2 -c64 for DURATION each):
# records.list (1,000 records), records.changes(current), an edge's
# GET /api/cache/{key}; then the RSS of an edge holding 100,000 records of
# ~100 bytes. Prints `target` lines; exits 1 if a target was missed
# (REPORT_ONLY=1: 0 all the same).
#   scripts/read_bench.sh          # ROUNDS=3 DURATION=5s by default
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5s}"
RECORDS=1000
SD_PORT=$(free_port)

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin syncdict --example plain_server
bin="$PWD/target/release/syncdict"
plain_server="$PWD/target/release/examples/plain_server"

work="$(mktemp -d)"
trap stop_all EXIT

# rpc_saved NAME REQUEST: the answer's body in $work/NAME.json and its
# headers in $work/NAME.headers, for the plain handler to send too.
rpc_saved() { curl -sf -D "$work/$1.headers" -u bench:bench-password -H 'Content-Type: application/json' "http://127.0.0.1:$SD_PORT/RPC" -d "$2" > "$work/$1.json"; }
status_has() { curl -sf "http://127.0.0.1:$1/api/status" | grep -q "$2"; }

# A writer for loading the data (reads stay anonymous, as edges read).
printf 'bench-password\n' | SYNCDICT__DATABASE__URL="sqlite://$work/bench.db" SYNCDICT__LOG__LEVEL=error \
    "$bin" user add bench --write --password-stdin >/dev/null

# Center and edge in one process (the default roles), pulling from itself every second.
(cd "$work" && SYNCDICT__SERVER__PORT=$SD_PORT SYNCDICT__DATABASE__URL="sqlite://$work/bench.db" \
    SYNCDICT__CLIENT__INTERVAL=1s SYNCDICT__CLIENT__SNAPSHOT_PATH="$work/edge.snapshot" \
    SYNCDICT__LOG__LEVEL=error exec "$bin") &
pids+=($!)
wait_port "$SD_PORT"

# 1,000 records of ~100 bytes.
load_records "$SD_PORT"

LIST_REQ='{"jsonrpc":"2.0","method":"records.list","id":1}'
CHANGES_REQ="{\"jsonrpc\":\"2.0\",\"method\":\"records.changes\",\"params\":[$RECORDS],\"id\":1}"
rpc_saved list "$LIST_REQ"
rpc_saved changes "$CHANGES_REQ"
grep -q '"upserts":\[\]' "$work/changes.json" || { echo "unexpected changes reply: $(cat "$work/changes.json")" >&2; exit 1; }
echo "records.list reply: $(wc -c < "$work/list.json") bytes; records.changes($RECORDS) reply: $(wc -c < "$work/changes.json") bytes"

wait_until "the edge holds $RECORDS records" status_has "$SD_PORT" "\"entries\":$RECORDS,"
curl -sf -D "$work/cache.headers" "http://127.0.0.1:$SD_PORT/api/cache/key-0500" > "$work/cache.json"
echo "GET /api/cache/key-0500 reply: $(wc -c < "$work/cache.json") bytes, headers:" $(tr -d '\r' < "$work/cache.headers" | grep -vi '^date:')

# measure BODY URL: wrk POSTs BODY to URL (GET if BODY is empty); prints
# "req_per_sec p99_ms"; any non-2xx answer fails the run.
measure() {
    if [ -n "$1" ]; then
        printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/json"\n' "$1" > "$work/post.lua"
    else
        printf '' > "$work/post.lua"
    fi
    wrk -t2 -c64 -d"$DURATION" --latency -s "$work/post.lua" "$2" > "$work/wrk.out"
    if grep -q "Non-2xx" "$work/wrk.out"; then echo "wrk saw errors:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
    awk '/Requests\/sec/ {rps=$2}
         $1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
         END {printf "%.0f %.2f\n", rps, p99}' "$work/wrk.out"
}

# plain REQUEST PATH BODY_FILE [HEADERS_FILE]: the plain handler started on
# a port of its own, answering BODY_FILE (and HEADERS_FILE's headers),
# measured as `measure` does at PATH, then stopped.
plain() {
    local port pid
    port=$(free_port)
    "$plain_server" "$port" "$3" ${4:+"$4"} & pid=$!
    wait_port "$port"
    local rc=0
    (measure "$1" "http://127.0.0.1:$port$2") || rc=$?
    kill $pid; wait $pid 2>/dev/null || true
    return $rc
}

declare -A rps p99
for round in $(seq 1 "$ROUNDS"); do
    for kind in list changes cache; do
        case $kind in
            list) req="$LIST_REQ"; path=/RPC ;;
            changes) req="$CHANGES_REQ"; path=/RPC ;;
            cache) req=""; path=/api/cache/key-0500 ;;
        esac
        read -r r p < <(measure "$req" "http://127.0.0.1:$SD_PORT$path")
        rps[$kind.syncdict]+="$r "; p99[$kind.syncdict]+="$p "
        read -r r p < <(plain "$req" "$path" "$work/$kind.json" "$work/$kind.headers")
        rps[$kind.plain]+="$r "; p99[$kind.plain]+="$p "
        echo "round $round: $kind syncdict $(echo ${rps[$kind.syncdict]} | awk '{print $NF}') plain $r"
    done
    # For reference, not a target: the plain handler answering the body
    # alone at "/" (as this script measured before 2026-12-05).
    read -r r p < <(plain "" / "$work/cache.json")
    rps[cache.bare]+="$r "; p99[cache.bare]+="$p "
    echo "round $round: cache, plain handler with the body alone at / $r"
done

printf '\n%-34s %12s %10s\n' "medians over $ROUNDS rounds" "req/s" "p99 ms"
for kind in list changes cache; do
    whos="syncdict plain"
    [ $kind = cache ] && whos+=" bare"
    for who in $whos; do
        m_r=$(echo "${rps[$kind.$who]}" | tr ' ' '\n' | grep . | median)
        m_p=$(echo "${p99[$kind.$who]}" | tr ' ' '\n' | grep . | median)
        printf '%-34s %12s %10s\n' "$kind / $who" "$m_r" "$m_p"
        declare "${kind}_${who}_rps=$m_r"
    done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo
# The read path's targets (BENCHMARKS.md, "Targets").
target "records.list (1,000 records) vs plain handler, same bytes (x)" "$(ratio "$list_syncdict_rps" "$list_plain_rps")" ">=" 0.8
target "records.changes(current) vs plain handler, same bytes (x)" "$(ratio "$changes_syncdict_rps" "$changes_plain_rps")" ">=" 0.8
target "GET /api/cache/{key} vs plain handler, same bytes (x)" "$(ratio "$cache_syncdict_rps" "$cache_plain_rps")" ">=" 0.95
echo "GET /api/cache/{key} vs the plain handler with the body alone at / (x, not a target): $(ratio "$cache_syncdict_rps" "$cache_bare_rps")"

# RSS of an edge holding 100,000 records of ~100 bytes, pulled in method mode
# from a plain server that returns them as one JSON-RPC reply.
python3 - "$work/rows.json" > "$work/raw_bytes" <<'PY'
import json, sys
rows = [{"name": "key-%06d" % i, "value": "rule:deny;ip=10.%d.%d.%d;note=%s" % (i // 65536, i // 256 % 256, i % 256, "x" * 52)}
        for i in range(100000)]
json.dump({"jsonrpc": "2.0", "result": rows, "id": 1}, open(sys.argv[1], "w"))
print(sum(len(r["name"]) + len(json.dumps(r["value"])) for r in rows))
PY
upstream_port=$(free_port)
"$plain_server" "$upstream_port" "$work/rows.json" & pids+=($!)
wait_port "$upstream_port"
edge_port=$(free_port)
(cd "$work" && SYNCDICT__SERVER__ROLES=edge SYNCDICT__SERVER__PORT=$edge_port \
    SYNCDICT__CLIENT__UPSTREAMS="http://127.0.0.1:$upstream_port/RPC" SYNCDICT__CLIENT__MODE=method \
    SYNCDICT__CLIENT__VALUE_FIELD=value SYNCDICT__CLIENT__CACHE_SIZE=64m \
    SYNCDICT__CLIENT__MAX_REPLY=256m SYNCDICT__CLIENT__INTERVAL=1s \
    SYNCDICT__CLIENT__SNAPSHOT_PATH="$work/rss.snapshot" SYNCDICT__LOG__LEVEL=error \
    exec "$bin") & edge_pid=$!; pids+=($edge_pid)
wait_port "$edge_port"
wait_until "the edge holds 100,000 records" status_has "$edge_port" '"entries":100000,'
sleep 3 # a few more pulls of the same 12 MB reply
raw=$(cat "$work/raw_bytes")
# Sampled every 0.5 s for 5 s, through several pulls: one sample lands
# anywhere in a pull's cycle (its 12 MB reply read and parsed, or not).
samples=""
for _ in $(seq 1 10); do
    samples+="$(awk '/VmRSS/ {print $2}' "/proc/$edge_pid/status") "
    sleep 0.5
done
rss_kib=$(echo "$samples" | tr ' ' '\n' | grep . | median)
echo
echo "edge RSS with 100,000 records: median $((rss_kib / 1024)) MiB of 10 samples (KiB: $samples); raw data (keys + values) $((raw / 1048576)) MiB"
target "edge RSS vs raw data, 100,000 records, median (x)" "$(ratio $((rss_kib * 1024)) "$raw")" "<=" 3
targets_status
