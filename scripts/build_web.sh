#!/usr/bin/env bash
# Builds the browser client's script, web/app.js, from lib/browser/main.ts and
# the shared client, end-to-end, voice and audio modules it imports (node:crypto
# and node:path mapped to lib/browser/ by lib/browser/import_map.json), and puts
# the Opus wasm next to it. Run by `make test`, `make dev` and `make dist`; the
# relay serves web/ as files.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO=${DENO:-.tools/bin/deno}
[[ -x $DENO ]] || DENO=deno
rm -f web/app.js web/opus.wasm
# The page's Opus is the terminal client's: opusscript's libopus wasm (version
# pinned in deno.json) from the npm cache, and its glue, made free of string
# evaluation for the page's Content-Security-Policy by scripts/opus_glue.ts.
$DENO cache --quiet audio/opus_codec.ts
npm_cache=$($DENO info --json | sed -n 's/.*"npmCache": "\(.*\)".*/\1/p')
version=$(sed -n 's/.*"npm:opusscript@\([0-9.]*\)".*/\1/p' deno.json)
opus="$npm_cache/registry.npmjs.org/opusscript/$version/build"
[[ -s $opus/opusscript_native_wasm.wasm ]] || { echo "build_web: $opus is missing" >&2; exit 1; }
mkdir -p dist/web-build
$DENO run --quiet --allow-read --allow-write scripts/opus_glue.ts \
  "$opus/opusscript_native_wasm.js" dist/web-build/opusscript_native_wasm.js
$DENO bundle --quiet --platform browser --import-map lib/browser/import_map.json \
  --minify -o web/app.js lib/browser/main.ts 2>&1 | grep -v "experimental" >&2 || true
[[ -s web/app.js ]] || { echo "build_web: web/app.js was not built" >&2; exit 1; }
cp "$opus/opusscript_native_wasm.wasm" web/opus.wasm
