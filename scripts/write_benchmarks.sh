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

## Full output

\`\`\`
$(grep -v -e '^round ' -e '^debconf' "$out")
\`\`\`
MD
