#!/usr/bin/env bash
# Regenerates docs/screenshots/: runs the console's browser test (Chromium
# through playwright-core, tests/interop/setup.sh installs it), which
# and the gray releases' test, which leave screenshots of the main screens at 375 and 1440 px in
# target/screenshots/, and copies the SQLite run's into docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
export SYNCDICT_NODE_PATH="${SYNCDICT_NODE_PATH:-$PWD/target/interop-venv/node_modules}"
rm -rf target/screenshots/sqlite
cargo test --all-features --test api -- --exact console_browser::sqlite::the_console_in_a_browser gray_browser::sqlite::gray_releases_in_a_browser
mkdir -p docs/screenshots
cp target/screenshots/sqlite/*.png docs/screenshots/
ls -1 docs/screenshots
