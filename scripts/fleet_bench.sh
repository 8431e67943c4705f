#!/usr/bin/env bash
# The fleet view's cost on the pull path, on loopback: two centers with
# 1,000 records on SQLite, the fleet view on (the default) and off
# (server.fleet_window = "0s"), each alone on core 0; wrk -t1 -c64 on core
# 1 sends records.changes(current) (an edge's usual pull: nothing new) as
# 10,000 edges, each request naming one of them in Syncdict-Edge (with a
# User-Agent and Syncdict-Edge-Digest, as syncdict edges send). Twice:
# with a connection per pull, as edges pull (the edges-per-center figure:
# pulls per second x client.interval, 6 s), and over kept-alive
# connections (the cheapest request there is, so the view's share of it
# is at its largest). For DURATION, on and off in each of ROUNDS rounds
# after a warm-up; ratios of the medians. The fleet-on center writes its
# edges to the database every server.fleet_flush_interval meanwhile.
# ON_ENV / OFF_ENV: settings of each center (OFF_ENV=SYNCDICT__LOG__LEVEL=error
# runs the view on in both, to see the noise).
# Prints `target` lines; exits 1 if a target was missed (REPORT_ONLY=1: 0
# all the same).
#   scripts/fleet_bench.sh          # ROUNDS=5 DURATION=10s by default
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-10s}"
EDGES=10000

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin syncdict
bin="$PWD/target/release/syncdict"
work="$(mktemp -d)"
trap stop_all EXIT

# center NAME ENV...: a center on its own SQLite database with the bench
# writer, an administrator and 1,000 records, its log in $work/NAME.log; sets $port.
center() {
    local name="$1"; shift
    port=$(free_port)
    printf 'bench-password\n' | SYNCDICT__DATABASE__URL="sqlite://$work/$name.db" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add bench --write --password-stdin >/dev/null
    printf 'admin-password\n' | SYNCDICT__DATABASE__URL="sqlite://$work/$name.db" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add admin --admin --password-stdin >/dev/null
    (cd "$work" && exec env SYNCDICT__SERVER__PORT="$port" SYNCDICT__SERVER__ROLES=center \
        SYNCDICT__DATABASE__URL="sqlite://$work/$name.db" SYNCDICT__LOG__LEVEL=error "$@" \
        taskset -c 0 "$bin") \
        > "$work/$name.log" 2>&1 &
    pids+=($!)
    wait_port "$port"
    load_records "$port"
}
center on ${ON_ENV:-}; on_port=$port; on_pid=${pids[-1]}
center off ${OFF_ENV:-SYNCDICT__SERVER__FLEET_WINDOW=0s}; off_port=$port; off_pid=${pids[-1]}

# pull.lua KEEP: each request is one of $EDGES edges pulling what changed
# since the current revision (1,000: the records loaded); with KEEP=close,
# a connection per pull, as syncdict edges pull.
lua() {
    cat <<LUA
local n = 0
local body = '{"jsonrpc":"2.0","method":"records.changes","params":[1000],"id":1}'
function setup(thread) thread:set("offset", math.random(0, $EDGES - 1)) end
function request()
    n = n + 1
    local headers = {
        ["Content-Type"] = "application/json",
        ["User-Agent"] = "syncdict/0.1.0",
        ["Syncdict-Edge"] = "edge-" .. ((n + offset) % $EDGES),
        ["Syncdict-Edge-Digest"] = "unchecked",
        ["Connection"] = "$1",
    }
    return wrk.format("POST", nil, headers, body)
end
LUA
}
lua close > "$work/close.lua"
lua keep-alive > "$work/keep-alive.lua"

# cpu PID: CPU time the process has used, in clock ticks (user + system).
# measure MODE PORT PID: one wrk run of MODE.lua (lib.sh's wrk_cpu).
measure() { wrk_cpu "$work/$1.lua" "$2" "$3"; }

# A warm-up run of each first; then the order alternates by round, so
# neither side always runs first (the first of a pair measures a few per
# cent lower on this machine, whichever it is).
declare -A rates cpus
for mode in close keep-alive; do
    DURATION=3s measure $mode "$on_port" "$on_pid" >/dev/null
    DURATION=3s measure $mode "$off_port" "$off_pid" >/dev/null
    for round in $(seq 1 "$ROUNDS"); do
        if [ $((round % 2)) = 1 ]; then
            read -r on on_cpu < <(measure $mode "$on_port" "$on_pid")
            read -r off off_cpu < <(measure $mode "$off_port" "$off_pid")
        else
            read -r off off_cpu < <(measure $mode "$off_port" "$off_pid")
            read -r on on_cpu < <(measure $mode "$on_port" "$on_pid")
        fi
        rates[$mode.on]+="$on "; rates[$mode.off]+="$off "
        cpus[$mode.on]+="$on_cpu "; cpus[$mode.off]+="$off_cpu "
        echo "$mode, round $round: fleet on $on pulls/s ($on_cpu us CPU each), off $off pulls/s ($off_cpu us CPU each)"
    done
done
m() { echo "${rates[$1]}" | tr ' ' '\n' | grep . | median; }
c() { echo "${cpus[$1]}" | tr ' ' '\n' | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

# The fleet view saw them all, and bounded them.
admin_list() {
    curl -sf -u admin:admin-password -H 'Content-Type: application/json' "http://127.0.0.1:$on_port/RPC" \
        -d '{"jsonrpc":"2.0","method":"fleet.list","params":{"limit":1},"id":1}'
}
seen=$(admin_list | python3 -c 'import json, sys; print(json.load(sys.stdin)["result"]["count"])')
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$on_pid/status")
echo
for mode in close keep-alive; do
    echo "medians over $ROUNDS rounds of $DURATION, $mode: fleet on $(m $mode.on) pulls/s, $(c $mode.on) us CPU a pull; off $(m $mode.off) pulls/s, $(c $mode.off) us CPU a pull"
done
# Edges one core serves, pulling every 6 s: 6 s / the CPU time of a pull.
edges() { awk -v us="$1" 'BEGIN {printf "%.0f", 6e6 / us}'; }
echo "edges per core at 6 s, a connection per pull: fleet on $(edges "$(c close.on)"), off $(edges "$(c close.off)")"
echo "edges in the fleet view: $seen; RSS of the fleet-on center: $((rss_kib / 1024)) MiB"
target "edges per center (CPU a pull, a connection per pull as edges pull), fleet view on vs off (x)" "$(ratio "$(c close.off)" "$(c close.on)")" ">=" 0.95
target "pulls per second (a connection per pull), fleet view on vs off (x)" "$(ratio "$(m close.on)" "$(m close.off)")" ">=" 0.90
target "keep-alive pulls (the cheapest request), CPU a pull, fleet view on vs off (x)" "$(ratio "$(c keep-alive.off)" "$(c keep-alive.on)")" ">=" 0.90
target "edges the fleet view lists after $EDGES pulled" "$seen" ">=" "$EDGES"
targets_status
