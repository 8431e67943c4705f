#!/usr/bin/env bash
# The fleet view's cost on the pull path, on loopback: two centers with
# 1,000 records on SQLite, the fleet view on (the default) and off
# (server.fleet_window = "0s"); wrk -t2 -c64 sends records.changes(current)
# (an edge's usual pull: nothing new) as 10,000 edges, each request naming
# one of them in Syncdict-Edge (with a User-Agent and Syncdict-Edge-Digest,
# as syncdict edges send), for DURATION, alternating on and off for ROUNDS
# rounds. Edges per center = pulls per second x client.interval (6 s); the
# ratio on/off is of the medians. The fleet-on center also flushes its
# 10,000 edges to the database every server.fleet_flush_interval meanwhile.
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
# writer and 1,000 records; prints its port.
center() {
    local name="$1" port; shift
    port=$(free_port)
    printf 'bench-password\n' | SYNCDICT__DATABASE__URL="sqlite://$work/$name.db" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add bench --write --password-stdin >/dev/null
    (cd "$work" && exec env SYNCDICT__SERVER__PORT="$port" SYNCDICT__SERVER__ROLES=center \
        SYNCDICT__DATABASE__URL="sqlite://$work/$name.db" SYNCDICT__LOG__LEVEL=error "$@" "$bin") &
    pids+=($!)
    wait_port "$port"
    load_records "$port"
    echo "$port"
}
on_port=$(center on)
off_port=$(center off SYNCDICT__SERVER__FLEET_WINDOW=0s)

cat > "$work/pull.lua" <<LUA
-- Each request is one of $EDGES edges pulling what changed since the
-- current revision (1,000: the records loaded).
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
    }
    return wrk.format("POST", nil, headers, body)
end
LUA

# measure PORT: prints the requests per second of one wrk run; any non-2xx
# answer fails the run.
measure() {
    wrk -t2 -c64 -d"$DURATION" -s "$work/pull.lua" "http://127.0.0.1:$1/RPC" > "$work/wrk.out"
    if grep -q "Non-2xx" "$work/wrk.out"; then echo "wrk saw errors:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
    awk '/Requests\/sec/ {printf "%.0f\n", $2}' "$work/wrk.out"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

on=() off=()
for round in $(seq 1 "$ROUNDS"); do
    on+=("$(measure "$on_port")")
    off+=("$(measure "$off_port")")
    echo "round $round: fleet on ${on[-1]} pulls/s, off ${off[-1]} pulls/s"
done
m_on=$(printf '%s\n' "${on[@]}" | median)
m_off=$(printf '%s\n' "${off[@]}" | median)

# The fleet view saw them all, and bounded them.
admin_list() {
    printf 'admin-password\n' | SYNCDICT__DATABASE__URL="sqlite://$work/on.db" SYNCDICT__LOG__LEVEL=error \
        "$bin" user add admin --admin --password-stdin >/dev/null 2>&1 || true
    curl -sf -u admin:admin-password -H 'Content-Type: application/json' "http://127.0.0.1:$on_port/RPC" \
        -d '{"jsonrpc":"2.0","method":"fleet.list","params":{"limit":1},"id":1}'
}
seen=$(admin_list | python3 -c 'import json, sys; print(json.load(sys.stdin)["result"]["count"])')
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/${pids[0]}/status")
echo
echo "medians over $ROUNDS rounds of $DURATION: fleet on $m_on pulls/s ($((m_on * 6)) edges at 6 s), off $m_off pulls/s ($((m_off * 6)) edges)"
echo "edges in the fleet view: $seen; RSS of the fleet-on center: $((rss_kib / 1024)) MiB"
target "edges per center, fleet view on vs off (x)" "$(awk -v a="$m_on" -v b="$m_off" 'BEGIN {printf "%.3f", a / b}')" ">=" 0.95
target "edges the fleet view lists after $EDGES pulled" "$seen" ">=" "$EDGES"
targets_status
