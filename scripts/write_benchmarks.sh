#!/usr/bin/env bash
# Writes BENCHMARKS.md (to stdout) from the output of scripts/bench.sh.
set -euo pipefail
out="$1"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
pick() { grep -E "$1" "$out" || echo "(not measured)"; }
# "key value" pairs of a line -> the value of key
field() { grep -E "$1" "$out" | tail -1 | awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}'; }
fresh="p50 $(field '^freshness' p50_ms) ms, p99 $(field '^freshness' p99_ms) ms, max $(field '^freshness' max_ms) ms, $(field '^freshness' failed) not seen"
soak="$(field '^soak seconds' failed) failed; RSS $(field '^soak seconds' rss_kib_after_1min) KiB after 1 min, $(field '^soak seconds' rss_kib_end) KiB at the end ($(field '^soak seconds' rss_growth_pct)%)"
cat <<MD
# syncdict benchmarks

Measured $(date -u +%Y-%m-%d) by \`scripts/bench.sh\` on $(nproc) cores ($cpu),
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), $(rustc --version | cut -d' ' -f1-2).
Everything runs on this one machine over loopback: the load generators
compete with syncdict for the same two cores, so the figures are a floor.
The machine is noisy; ratios and medians are what to compare between runs.
Run \`scripts/bench.sh\` to measure again (it rewrites this file).

## Targets

| what | measured |
|---|---|
| hot reads vs a plain actix-web handler | $(pick 'vs plain handler' | sed 's/  */ /g' | paste -sd';' | sed 's/;/<br>/g') |
| edge RSS vs raw data (100,000 records) | $(pick 'edge RSS vs raw' | sed 's/  */ /g') |
| edges per center, SQLite (p99 < 50 ms, no failure; >= 20,000) | $(pick '^edges_max_sqlite' | awk '{print $2}') |
| edges per center, MariaDB (same) | $(pick '^edges_max_mariadb' | awk '{print $2}') |
| freshness, edge interval 1 s (p99 <= 1,050 ms) | $fresh |
| soak, 10 min mixed load (0 failed, RSS growth <= 10%) | $soak |

## Full output

\`\`\`
$(grep -v '^round ' "$out")
\`\`\`
MD
