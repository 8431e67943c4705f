#!/usr/bin/env bash
# Installs the interoperation peers into a virtualenv and prints the path of
# its python:
#   - Django + rpc4django 0.6.3 (the original design's center), from PyPI;
#   - standardwebhooks (PyPI), an independent verifier of webhook signatures;
#   - pyrage (PyPI), age in Python, for secret namespaces;
#   - jsonschema (PyPI), the OpenRPC meta-schema (npm, @open-rpc/meta-schema)
#     and the JSON Schema meta-schema it refers to (@json-schema-tools/meta-schema),
#     written to VENV_DIR/openrpc-meta-schema.json and VENV_DIR/json-schema-meta-schema.json.
#   - playwright-core (npm), to drive Debian's chromium, in VENV_DIR/node_modules;
#   - the local read store's readers' bindings: lmdb (PyPI, py-lmdb) and lmdb
#     (npm, lmdb-js), which clients/python and clients/node are written on;
#     lmdb-js rebuilt from its source on LMDB 0.9 (LMDB_DATA_V1=true), the
#     lock file format the edge and py-lmdb share.
#   tests/interop/setup.sh [VENV_DIR]   (default target/interop-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${1:-target/interop-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "Django>=4.2,<5" "rpc4django==0.6.3" "jsonschema>=4" "standardwebhooks==1.*" "lmdb>=1.4" "pyrage==1.*" >&2
venv="$(cd "$venv" && pwd)"
if [ ! -s "$venv/openrpc-meta-schema.json" ] || [ ! -s "$venv/json-schema-meta-schema.json" ]; then
    tmp="$(mktemp -d)"
    (cd "$tmp" && mkdir a b \
        && (cd a && npm pack --silent @open-rpc/meta-schema@1 >/dev/null && tar xzf ./*.tgz) \
        && (cd b && npm pack --silent @json-schema-tools/meta-schema@1 >/dev/null && tar xzf ./*.tgz))
    node -e 'process.stdout.write(JSON.stringify(require(process.argv[1]).openrpcDocument))' \
        "$tmp/a/package/index.js" > "$venv/openrpc-meta-schema.json"
    cp "$tmp/b/package/schema.json" "$venv/json-schema-meta-schema.json"
    rm -rf "$tmp"
fi
if [ ! -d "$venv/node_modules/playwright-core" ] || [ ! -d "$venv/node_modules/lmdb" ]; then
    npm install --silent --no-audit --no-fund --prefix "$venv" playwright-core@1.64.1 lmdb@3 >&2
fi
if [ ! -f "$venv/node_modules/lmdb/build/Release/lmdb.node" ]; then
    (cd "$venv" && LMDB_DATA_V1=true npm_config_build_from_source=true npm_config_nodedir=/usr npm rebuild --silent lmdb >&2)
fi
echo "$venv/bin/python"
