#!/usr/bin/env bash
# All the benchmarks, on loopback, bounded in time (about 77 minutes):
#   reads: scripts/read_bench.sh (hot reads vs a plain handler, edge RSS);
#   scale: scripts/scale_bench.sh (edges per center on SQLite and MariaDB,
#     freshness, a 10-minute soak);
#   attack: scripts/attack.sh (the attack suite, a few minutes);
#   history: scripts/history_bench.sh (writes with history vs without on
#     three backends, a rollback of 100,000 records);
#   auth: scripts/auth_bench.sh (token edges vs anonymous, HTTPS edges and
#     handshake CPU, Basic logins vs anonymous, signed vs unsigned, RSS of
#     a 10-minute authenticated soak);
#   held: scripts/held_bench.sh (held edges: write-to-edge time with 1,000
#     and 10,000 on one center, across two centers on PostgreSQL and MariaDB);
#   fleet: scripts/fleet_bench.sh (pulls per second with the fleet view on
#     vs off, 10,000 named edges);
#   webhooks: scripts/webhook_bench.sh (writes with one webhook vs none,
#     publish-to-delivery time);
#   gray: scripts/gray_bench.sh (CPU a pull with 3 active releases vs none,
#     40,000 named edges; abort to the last canary back);
#   local: scripts/local_bench.sh (the local read store: reads a second
#     from Rust, Python and Node against their HTTP reads and nginx's
#     lua_shared_dict, write-to-reader time, size on disk).
#   secrets: scripts/secrets_bench.sh (a secret namespace's reads and apply
#     against a plain one's, bytes sealing adds).
# Prints every figure and, when all parts ran, rewrites BENCHMARKS.md with
# them, the date and the machine.
#
#   scripts/bench.sh [--report-only] [reads] [scale] [attack] [history] [auth] [held] [fleet] [webhooks] [gray] [local] [secrets]
#
# Exit status: 0 when every target was met, 1 when one was missed (0 with
# --report-only), 2 on bad usage; a part that cannot run fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
parts=()
export REPORT_ONLY=0
for arg in "$@"; do
    case $arg in
        --report-only) REPORT_ONLY=1 ;;
        reads | scale | attack | history | auth | held | fleet | webhooks | gray | local | secrets) parts+=("$arg") ;;
        *) echo "usage: scripts/bench.sh [--report-only] [reads] [scale] [attack] [history] [auth] [held] [fleet] [webhooks] [gray] [local] [secrets]" >&2; exit 2 ;;
    esac
done
[ ${#parts[@]} -gt 0 ] || parts=(reads scale attack history auth held fleet webhooks gray local secrets)

mkdir -p target
out=target/bench-output.txt
: > "$out"
missed=0
for part in "${parts[@]}"; do
    # Each part reports its targets; a miss (exit 1) is counted, not fatal,
    # so the other part still runs. Anything else is a failure.
    set +e
    case $part in
        reads) scripts/read_bench.sh 2>&1 | tee -a "$out" ;;
        scale) scripts/scale_bench.sh 2>&1 | tee -a "$out" ;;
        attack) scripts/attack.sh 2>&1 | tee -a "$out" ;;
        history) scripts/history_bench.sh 2>&1 | tee -a "$out" ;;
        auth) scripts/auth_bench.sh 2>&1 | tee -a "$out" ;;
        held) scripts/held_bench.sh 2>&1 | tee -a "$out" ;;
        fleet) scripts/fleet_bench.sh 2>&1 | tee -a "$out" ;;
        webhooks) scripts/webhook_bench.sh 2>&1 | tee -a "$out" ;;
        gray) scripts/gray_bench.sh 2>&1 | tee -a "$out" ;;
        local) scripts/local_bench.sh 2>&1 | tee -a "$out" ;;
        secrets) scripts/secrets_bench.sh 2>&1 | tee -a "$out" ;;
    esac
    status=${PIPESTATUS[0]}
    set -e
    case $status in
        0) ;;
        1) missed=1 ;;
        *) echo "the $part benchmarks failed (exit $status)" >&2; exit "$status" ;;
    esac
done
if [ ${#parts[@]} -eq 5 ]; then
    scripts/write_benchmarks.sh "$out" > BENCHMARKS.md
    echo "BENCHMARKS.md rewritten"
fi
if [ "$missed" = 1 ] && [ "$REPORT_ONLY" != 1 ]; then
    echo "some targets were missed (see the target lines above)" >&2
    exit 1
fi
