#!/usr/bin/env bash
# Secret namespaces on an edge, measured in one run on loopback: one
# syncdict (center and edge, SQLite, held pulls) whose edge is granted the
# secret namespace `vault`; `vault` and the plain `plain` each hold KEYS
# (10,000) values of ~100 bytes, vault's sealed with pyrage.
# - Apply: ROUNDS times, all values written again, alternating plain and
#   vault; the time from the write to the edge serving the last key's new
#   value (the center's write, the pull, the apply; vault's apply opens
#   every value). Medians, and their difference per value.
# - Reads: GET /api/cache/{ns}/key-05000 with wrk -t2 -c64, ROUNDS
#   alternating rounds of DURATION; the median vault/plain ratio.
# - Bytes sealing adds to a value (armored age of the envelope).
# Target: vault's reads at >= 0.95x plain's (values are opened once, at
# apply). Prints `target` lines; exits 1 if one is missed (REPORT_ONLY=1: 0).
# SERVER_CORES (default 0) are the cores syncdict runs on: 0,1 lets the
# edge open a large change on both (the load then shares core 1).
#   scripts/secrets_bench.sh          # ROUNDS=5 DURATION=3s KEYS=10000
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-3s}"
KEYS="${KEYS:-10000}"
SERVER_CORES="${SERVER_CORES:-0}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

python="$(tests/interop/setup.sh)"
cargo build --release --quiet --bin syncdict
bin="$PWD/target/release/syncdict"
work="$(mktemp -d)"
trap stop_all EXIT

export SYNCDICT__DATABASE__URL="sqlite://$work/center.db" SYNCDICT__LOG__LEVEL=error
"$bin" migrate >/dev/null
printf 'bench-password\n' | "$bin" user add bench --write --password-stdin >/dev/null
holder=$("$bin" secrets keygen --output "$work/holder.key")
edge=$("$bin" secrets keygen --output "$work/edge.key")
port=$(free_port)
cat > "$work/Settings.toml" <<TOML
[server]
port = $port
# A change set of 10,000 sealed values is about 6 MB.
max_body = "32m"

[client]
upstreams = ["http://127.0.0.1:$port/RPC"]
hold = "30s"
cache_size = "256m"
max_reply = "256m"
identity_file = "$work/edge.key"
TOML
(cd "$work" && exec taskset -c "$SERVER_CORES" "$bin" >/dev/null 2>"$work/syncdict.log") &
pid=$!; pids+=("$pid")
wait_port "$port"
url="http://127.0.0.1:$port/RPC"
export SYNCDICT_PASSWORD=bench-password
recipient=$("$bin" secrets create vault --holder "$holder" --url "$url" --user bench)
"$bin" secrets grant vault "$edge" --identity "$work/holder.key" --url "$url" --user bench >/dev/null
"$bin" call --url "$url" --user bench namespaces.create plain >/dev/null

taskset -c 1 "$python" scripts/secrets_bench.py "$url" "http://127.0.0.1:$port" "$recipient" \
    bench bench-password "$KEYS" "$ROUNDS" | tee "$work/apply.out"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rps() {
    taskset -c 1 wrk -t2 -c64 -d"$DURATION" "$1" > "$work/wrk.out"
    if grep -q "Non-2xx" "$work/wrk.out"; then echo "wrk saw errors:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
    awk '/Requests\/sec/ {printf "%.0f\n", $2}' "$work/wrk.out"
}
curl -sf "http://127.0.0.1:$port/api/cache/vault/key-05000" >/dev/null
ratios=""; plain_all=""; vault_all=""
for _ in $(seq 1 "$ROUNDS"); do
    p=$(rps "http://127.0.0.1:$port/api/cache/plain/key-05000")
    v=$(rps "http://127.0.0.1:$port/api/cache/vault/key-05000")
    plain_all+="$p "; vault_all+="$v "
    ratios+="$(awk -v v="$v" -v p="$p" 'BEGIN {printf "%.3f", v / p}') "
    echo "reads/s plain $p vault $v"
done

apply_plain=$(awk '$2=="plain" {print $3}' "$work/apply.out" | median)
apply_vault=$(awk '$2=="vault" {print $3}' "$work/apply.out" | median)
added=$(awk '$1=="added_bytes" {print $2}' "$work/apply.out")
ratio=$(echo $ratios | tr ' ' '\n' | median)
echo "apply of $KEYS values, write to served (median ms): plain $apply_plain, vault $apply_vault; opening adds $(awk -v a="$apply_vault" -v b="$apply_plain" -v n="$KEYS" 'BEGIN {printf "%.1f", (a - b) * 1000 / n}') us a value"
echo "/api/cache reads/s (median): plain $(echo $plain_all | tr ' ' '\n' | median), vault $(echo $vault_all | tr ' ' '\n' | median)"
echo "bytes sealing adds to a ~100-byte value: $added"
verdict=$(awk -v r="$ratio" 'BEGIN {print (r >= 0.95) ? "met" : "MISSED"}')
echo "target: vault /api/cache reads at >= 0.95x plain: ${ratio}x $verdict"
[ "$verdict" = met ] || [ -n "${REPORT_ONLY:-}" ] || exit 1
