#!/usr/bin/env bash
# The attack suite, on loopback, bounded in time (a few minutes): a release
# build of syncdict (center + edge, SQLite, 1,000 records of ~1 KB) is
# attacked by examples/attack (batch and multicall amplification, many
# `since` values, concurrent password guessing from one and from many
# addresses, a lockout attempt on one user while its owner signs in, slow
# bodies, huge bodies with credentials) while a normal
# client keeps reading; then an edge alone is pulled against a hostile
# upstream (huge reply, endless reply, absurd revisions, redirect).
# For each: what was sent, RSS before and at the peak, CPU, the answers,
# the normal client's reads. Targets: peak RSS at most 3x the serialized
# dataset + 64 MiB above the RSS before; no failed normal read; the edge
# keeps its data. Prints `target` lines and a Markdown table (also written
# to target/attack-table.md); exits 1 if a target was missed
# (REPORT_ONLY=1: 0 all the same).
#   scripts/attack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
cargo build --release --quiet --bin syncdict --example attack
bin="$PWD/target/release/syncdict"
attack="$PWD/target/release/examples/attack"
work="$(mktemp -d)"
trap stop_all EXIT
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
status_has() { curl -sf "http://127.0.0.1:$1/api/status" | grep -q "$2"; }

port=$(free_port)
printf 'bench-password\n' | SYNCDICT__DATABASE__URL="sqlite://$work/center.db" SYNCDICT__LOG__LEVEL=error \
    "$bin" user add bench --write --password-stdin >/dev/null
printf 'reader-password\n' | SYNCDICT__DATABASE__URL="sqlite://$work/center.db" SYNCDICT__LOG__LEVEL=error \
    "$bin" user add reader --password-stdin >/dev/null
(cd "$work" && SYNCDICT__SERVER__PORT=$port SYNCDICT__DATABASE__URL="sqlite://$work/center.db" \
    SYNCDICT__CLIENT__INTERVAL=1s SYNCDICT__CLIENT__SNAPSHOT_PATH="$work/edge.snapshot" \
    SYNCDICT__LOG__LEVEL=error exec "$bin") &
pid=$!; pids+=($pid)
wait_port "$port"
load_records "$port" "$(head -c 900 /dev/zero | tr '\0' 'x')"
wait_until "the edge holds 1,000 records" status_has "$port" '"entries":1000,'
dataset=$(curl -sf -H 'Content-Type: application/json' "http://127.0.0.1:$port/RPC" \
    -d '{"jsonrpc":"2.0","method":"records.list","id":1}' | wc -c)
bound_kib=$(( (3 * dataset + 64 * 1048576) / 1024 ))
echo "serialized dataset (records.list): $dataset bytes; RSS bound: +$bound_kib KiB"

rows=()
record() { # LINE: one `attack` line; checks its targets, keeps a table row
    local line="$1" name before peak failed
    echo "$line"
    name=$(awk '{print $2}' <<<"$line")
    before=$(grep -o 'rss_before_kib [0-9]*' <<<"$line" | awk '{print $2}')
    peak=$(grep -o 'rss_peak_kib [0-9]*' <<<"$line" | awk '{print $2}')
    failed=$(grep -o 'failed [0-9]*' <<<"$line" | tail -1 | awk '{print $2}')
    target "$name: RSS rise (KiB)" "$((peak - before))" "<=" "$bound_kib"
    target "$name: failed normal reads" "$failed" "<=" 0
    rows+=("| $(sed -e 's/^attack //' -e 's/rss_before_kib \([0-9]*\) rss_peak_kib \([0-9]*\) cpu_ms \([0-9]*\)/\1 -> \2 KiB, \3 ms CPU/' <<<"$line") |")
}

url="http://127.0.0.1:$port/RPC"
record "$("$attack" batch --center "$url" --pid "$pid")"
record "$("$attack" multicall --center "$url" --pid "$pid")"
record "$("$attack" since --center "$url" --pid "$pid")"
record "$("$attack" guess --center "$url" --pid "$pid")"
record "$("$attack" guess --center "$url" --pid "$pid" --many-addresses | sed 's/^attack guess/attack guess-many/')"
record "$("$attack" slow --center "$url" --pid "$pid")"
# The lockout attack: 200 addresses fail logins for bench for 20 s; bench
# signs in from new addresses (Basic and console) and reader from an
# attacking one, each within the trickle (login.trickle, 5 s).
line="$("$attack" lockout --center "$url" --pid "$pid" --owner bench:bench-password --other reader:reader-password)"
record "$line"
for who in owner_basic owner_console other_user; do
    ok=$(grep -o "$who ok [a-z]*" <<<"$line" | awk '{print $3}')
    ms=$(grep -o "$who ok [a-z]* tries [0-9]* ms [0-9]*" <<<"$line" | awk '{print $7}')
    target "lockout: $who signed in (1 = yes)" "$([ "$ok" = true ] && echo 1 || echo 0)" ">=" 1
    target "lockout: $who time to sign in (ms)" "$ms" "<=" 5000
done
record "$("$attack" huge --center "$url" --pid "$pid")"

# An edge alone, serving the snapshot the first edge saved, pulling every
# second from a hostile upstream.
kill "$pid"; wait "$pid" 2>/dev/null || true
for mode in huge endless revision redirect; do
    up=$(free_port)
    "$attack" upstream --port "$up" --mode "$mode" & upid=$!; pids+=($upid)
    wait_port "$up"
    eport=$(free_port)
    cp "$work/edge.snapshot" "$work/hostile.snapshot"
    (cd "$work" && SYNCDICT__SERVER__ROLES=edge SYNCDICT__SERVER__PORT=$eport \
        SYNCDICT__CLIENT__UPSTREAMS="http://127.0.0.1:$up/RPC" SYNCDICT__CLIENT__INTERVAL=1s \
        SYNCDICT__CLIENT__MAX_BACKOFF=1s SYNCDICT__CLIENT__UPSTREAM_COOLDOWN=1s \
        SYNCDICT__CLIENT__SNAPSHOT_PATH="$work/hostile.snapshot" SYNCDICT__LOG__LEVEL=error \
        exec "$bin" 2>"$work/edge-$mode.log") &
    epid=$!; pids+=($epid)
    wait_port "$eport"
    before=$(rss_kib "$epid"); peak=$before
    cpu0=$(awk '{print $14 + $15}' "/proc/$epid/stat")
    ok=0; bad=0
    for _ in $(seq 1 50); do # 5 s: about five pulls
        now=$(rss_kib "$epid"); [ "$now" -gt "$peak" ] && peak=$now
        if curl -sf "http://127.0.0.1:$eport/api/cache/key-0001" >/dev/null; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
        sleep 0.1
    done
    cpu=$(( ($(awk '{print $14 + $15}' "/proc/$epid/stat") - cpu0) * 10 ))
    pulls=$(curl -sf "http://127.0.0.1:$eport/metrics" | grep '^syncdict_edge_pulls_total' | awk '{gsub(/.*outcome="/,"",$1); gsub(/"}/,"",$1); printf "%s=%s ", $1, $2}')
    entries=$(curl -sf "http://127.0.0.1:$eport/api/status" | grep -o '"entries":[0-9]*' | cut -d: -f2)
    record "attack upstream-$mode | an edge pulling every second from an upstream answering $mode | rss_before_kib $before rss_peak_kib $peak cpu_ms $cpu | answers pulls ${pulls% } | normal ok $ok failed $bad p99_ms -"
    target "upstream-$mode: entries kept" "$entries" ">=" 1000
    kill "$epid" "$upid"; wait "$epid" "$upid" 2>/dev/null || true
done

{
    echo "| attack | sent | RSS before -> peak, CPU | answers | normal reads meanwhile |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} | tee target/attack-table.md
targets_status
