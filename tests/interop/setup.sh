#!/usr/bin/env bash
# Installs the original design's center (Django + rpc4django 0.6.3, from
# PyPI) into a virtualenv and prints the path of its python.
#   tests/interop/setup.sh [VENV_DIR]   (default target/interop-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${1:-target/interop-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "Django>=4.2,<5" "rpc4django==0.6.3" >&2
echo "$(cd "$venv" && pwd)/bin/python"
