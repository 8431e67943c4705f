#!/usr/bin/env bash
# What gray releases cost the pull path, and how fast an abort reaches the
# canaries, on loopback. Two centers with 1,000 records on SQLite, each
# alone on core 0: one with 3 active percentage releases on the pulled
# namespace (10%, 20% and 30%, each on a key of its own), one with none.
# wrk -t1 -c64 on core 1 sends records.changes(current) (an edge's usual
# pull: nothing new) as 40,000 edges, each naming itself and, to the
# center with releases, the releases it holds (found by one pull as each
# edge first, as a syncdict edge keeps its reply's "gray"). With a
# connection per pull (as edges pull: the edges-per-center figure, 6 s /
# the CPU time of a pull) and over kept-alive connections (the cheapest
# request, so the releases' share is at its largest). ROUNDS rounds of
# DURATION each, alternating which center goes first, after a warm-up;
# ratios of the medians. Then ABORT_EDGES edges in a fourth release (100%)
# hold a pull each, the release is aborted, and the time from the abort to
# each edge's reply carrying the main line is measured (p50, p99).
# Prints `target` lines; exits 1 if a target was missed (REPORT_ONLY=1: 0).
#   scripts/gray_bench.sh           # ROUNDS=5 DURATION=10s ABORT_EDGES=2000
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-10s}"
EDGES=40000
ABORT_EDGES="${ABORT_EDGES:-2000}"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin syncdict
bin="$PWD/target/release/syncdict"
work="$(mktemp -d)"
trap stop_all EXIT
ulimit -n "$(ulimit -Hn)"

# center NAME: a center on its own SQLite database with the bench writer
# and 1,000 records, remembering every edge; sets $port.
center() {
    local name="$1"
    port=$(free_port)
    printf 'bench-password\n' | SYNCDICT__DATABASE__URL="sqlite://$work/$name.db" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add bench --write --password-stdin >/dev/null
    (cd "$work" && exec env SYNCDICT__SERVER__PORT="$port" SYNCDICT__SERVER__ROLES=center \
        SYNCDICT__DATABASE__URL="sqlite://$work/$name.db" SYNCDICT__LOG__LEVEL=error \
        SYNCDICT__SERVER__FLEET_MAX_EDGES=50000 \
        taskset -c 0 "$bin") \
        > "$work/$name.log" 2>&1 &
    pids+=($!)
    wait_port "$port"
    load_records "$port"
}
rpc() {
    curl -sf -u bench:bench-password -H 'Content-Type: application/json' "http://127.0.0.1:$1/RPC" -d "$2"
}
release() { # PORT KEY PERCENT: a release of KEY on default to PERCENT; prints its id
    rpc "$1" "{\"jsonrpc\":\"2.0\",\"method\":\"gray.create\",\"params\":[\"default\",{\"upserts\":{\"$2\":\"gray\"}},{\"percent\":$3},\"bench\"],\"id\":1}" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["result"]["id"])'
}
center gray; gray_port=$port; gray_pid=${pids[-1]}
center plain; plain_port=$port; plain_pid=${pids[-1]}
for p in 10 20 30; do release "$gray_port" "gray-$p" "$p" >/dev/null; done

inside=$(python3 scripts/gray_edges.py held "$gray_port" "$EDGES" "$work/gray")
python3 scripts/gray_edges.py held "$plain_port" "$EDGES" "$work/plain" >/dev/null
echo "edges in at least one release: $inside of $EDGES"

# measure SCRIPT PORT PID: one wrk run of SCRIPT.lua (lib.sh's wrk_cpu).
measure() { wrk_cpu "$work/$1.lua" "$2" "$3"; }

declare -A rates cpus
for keep in close keep-alive; do
    DURATION=3s measure "gray-$keep" "$gray_port" "$gray_pid" >/dev/null
    DURATION=3s measure "plain-$keep" "$plain_port" "$plain_pid" >/dev/null
    for round in $(seq 1 "$ROUNDS"); do
        if [ $((round % 2)) = 1 ]; then
            read -r g g_cpu < <(measure "gray-$keep" "$gray_port" "$gray_pid")
            read -r p p_cpu < <(measure "plain-$keep" "$plain_port" "$plain_pid")
        else
            read -r p p_cpu < <(measure "plain-$keep" "$plain_port" "$plain_pid")
            read -r g g_cpu < <(measure "gray-$keep" "$gray_port" "$gray_pid")
        fi
        rates[$keep.gray]+="$g "; rates[$keep.plain]+="$p "
        cpus[$keep.gray]+="$g_cpu "; cpus[$keep.plain]+="$p_cpu "
        echo "$keep, round $round: 3 releases $g pulls/s ($g_cpu us CPU each), none $p pulls/s ($p_cpu us CPU each)"
    done
done
m() { echo "${rates[$1]}" | tr ' ' '\n' | grep . | median; }
c() { echo "${cpus[$1]}" | tr ' ' '\n' | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
edges() { awk -v us="$1" 'BEGIN {printf "%.0f", 6e6 / us}'; }
echo
for keep in close keep-alive; do
    echo "medians over $ROUNDS rounds of $DURATION, $keep: 3 releases $(m $keep.gray) pulls/s, $(c $keep.gray) us CPU a pull; none $(m $keep.plain) pulls/s, $(c $keep.plain) us CPU a pull"
done
echo "edges per core at 6 s, a connection per pull: 3 releases $(edges "$(c close.gray)"), none $(edges "$(c close.plain)")"

# The abort: every canary holds a pull; how soon is each back?
rpc "$gray_port" '{"jsonrpc":"2.0","method":"records.put","params":["canary","main"],"id":1}' >/dev/null
canary=$(release "$gray_port" canary 100)
abort_line=$(python3 scripts/gray_edges.py abort "$gray_port" "$ABORT_EDGES" "$canary" bench:bench-password)
echo "$abort_line"
p99=$(echo "$abort_line" | field p99)

target "CPU a pull with 3 active percentage releases vs none, a connection per pull (x)" "$(ratio "$(c close.plain)" "$(c close.gray)")" ">=" 0.90
target "CPU a pull with 3 active percentage releases vs none, kept-alive (x)" "$(ratio "$(c keep-alive.plain)" "$(c keep-alive.gray)")" ">=" 0.90
target "edges one core holds at 6 s with 3 active percentage releases" "$(edges "$(c close.gray)")" ">=" 40000
target "abort to the last canary back on the main line, $ABORT_EDGES held edges, p99 (ms)" "$p99" "<=" 2000
targets_status
