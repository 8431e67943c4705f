#!/usr/bin/env bash
# Writes BENCHMARKS.md (to stdout) from the output of scripts/bench.sh: the
# table is its `target` lines, then the full output.
set -euo pipefail
out="$1"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
cat <<MD
# syncdict benchmarks

Measured $(date -u +%Y-%m-%d) by \`scripts/bench.sh\` on $(nproc) cores ($cpu),
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), $(rustc --version | cut -d' ' -f1-2).
Everything runs on this one machine over loopback: the load generators
compete with syncdict for the same two cores, so the figures are a floor.
The machine is noisy; ratios and medians are what to compare between runs.
Run \`scripts/bench.sh\` to measure again (it rewrites this file; its exit
status says whether every target was met).

## Targets

| what | measured | target | verdict |
|---|---|---|---|
$(grep '^target | ' "$out" | sed 's/^target | /| /; s/$/ |/')

## Attack suite

\`scripts/attack.sh\`: each attack against a release build on loopback while a
normal client keeps reading \`/api/cache/key-0001\` every 20 ms; RSS of the
syncdict process before and at its peak (sampled every 20 ms), its CPU.

$(grep '^| ' "$out" | grep -v -e '^| what' -e '^|---' -e '^| attack |' | { echo "| attack | sent | RSS before -> peak, CPU | answers | normal reads meanwhile |"; echo "|---|---|---|---|---|"; cat; })

## Full output

\`\`\`
$(grep -v -e '^round ' -e '^debconf' "$out")
\`\`\`
MD
