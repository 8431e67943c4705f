#!/usr/bin/env bash
# The README's "Run it" on a fresh clone: `git clone` of HEAD into a scratch
# directory, `cargo run --release` there with the committed Settings.toml,
# then the status page (/) and the console's sign-in page answer 200 on
# 127.0.0.1:8080. Exits non-zero, saying why, otherwise. The build cache of
# this checkout is reused (CARGO_TARGET_DIR), so only syncdict is rebuilt.
# (The README's `cargo test` is run literally by .ci/run in its own clone.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
trap stop_all EXIT

if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    echo "first contact: 127.0.0.1:8080, the README's address, is taken by another program" >&2
    exit 1
fi
work=$(mktemp -d)
git clone -q . "$work/syncdict"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
(cd "$work/syncdict" && exec cargo run --release -q) >"$work/log" 2>&1 &
pids+=($!)
for _ in $(seq 1 1200); do # the release build may take minutes
    if curl -s -o /dev/null http://127.0.0.1:8080/; then break; fi
    if ! kill -0 "${pids[0]}" 2>/dev/null; then
        echo "first contact: cargo run --release exited:" >&2
        tail -20 "$work/log" >&2
        exit 1
    fi
    sleep 0.5
done
for path in / /console/login; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:8080$path")
    if [ "$code" != 200 ]; then
        echo "first contact: GET $path answered $code" >&2
        tail -20 "$work/log" >&2
        exit 1
    fi
done
if ! curl -sf http://127.0.0.1:8080/ | grep -q 'console'; then
    echo "first contact: the status page does not link to the console" >&2
    exit 1
fi
echo "first contact: cargo run --release on a fresh clone serves / and /console/login"
