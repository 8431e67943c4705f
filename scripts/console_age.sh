#!/usr/bin/env bash
# Rebuilds src/console/assets/age.js: the age-encryption npm package (by
# age's author; BSD-3-Clause, its noble and scure dependencies MIT) bundled
# with esbuild into one script the console serves under its CSP
# (script-src 'self'). It defines window.syncdictAge.seal(recipient, text):
# the armored age file of text sealed to recipient.
#   scripts/console_age.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/src/console/assets/age.js"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund age-encryption@0.3.1 esbuild@0.27 >&2
cat > entry.js <<'JS'
import { Encrypter, armor } from "age-encryption";
window.syncdictAge = {
  async seal(recipient, text) {
    const e = new Encrypter();
    e.addRecipient(recipient);
    return armor.encode(await e.encrypt(text));
  },
};
JS
{
    echo "// age-encryption 0.3.1 (npm; BSD-3-Clause, dependencies MIT: licenses at the end),"
    echo "// bundled by scripts/console_age.sh: window.syncdictAge.seal(recipient, text)."
    ./node_modules/.bin/esbuild entry.js --bundle --format=iife --minify --legal-comments=eof
} > "$out"
echo "wrote $out ($(wc -c < "$out") bytes)" >&2
