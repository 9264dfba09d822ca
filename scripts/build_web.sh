#!/usr/bin/env bash
# Builds the browser client's script, web/app.js, from lib/browser/main.ts and
# the shared client and end-to-end modules it imports (node:crypto and
# node:path mapped to lib/browser/ by lib/browser/import_map.json). Run by
# `make test`, `make dev` and `make dist`; the relay serves web/ as files.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO=${DENO:-.tools/bin/deno}
[[ -x $DENO ]] || DENO=deno
rm -f web/app.js
$DENO bundle --quiet --platform browser --import-map lib/browser/import_map.json \
  --minify -o web/app.js lib/browser/main.ts 2>&1 | grep -v "experimental" >&2 || true
[[ -s web/app.js ]] || { echo "build_web: web/app.js was not built" >&2; exit 1; }
