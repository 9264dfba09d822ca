#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian/Ubuntu machine that has only
# node/npm and apt: Deno 2.9.6 from the npm package `deno` into .tools/ (binary
# reachable as .tools/bin/deno), then the system audio packages. Idempotent and
# quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DENO_VERSION=2.9.6
if ! [[ -x .tools/bin/deno ]] || ! .tools/bin/deno --version 2>/dev/null | grep -q "deno $DENO_VERSION"; then
  command -v npm >/dev/null 2>&1 || { echo "setup: npm is needed to install Deno (apt-get install npm)" >&2; exit 1; }
  echo "setup: installing Deno $DENO_VERSION into .tools/ ..." >&2
  mkdir -p .tools/bin
  npm install --silent --no-audit --no-fund --prefix .tools "deno@$DENO_VERSION" >&2
  # The package's postinstall may be skipped (install scripts off); its launcher
  # then points at the platform package, so link whichever binary exists.
  for candidate in .tools/node_modules/deno/deno .tools/node_modules/@deno/*/deno .tools/node_modules/@deno/*/bin/deno; do
    if [[ -x "$candidate" ]] && "$candidate" --version >/dev/null 2>&1; then
      ln -sf "$(realpath "$candidate")" .tools/bin/deno
      break
    fi
  done
  .tools/bin/deno --version >/dev/null || { echo "setup: Deno did not install; see npm's output above" >&2; exit 1; }
fi

bash scripts/install_audio.sh
bash scripts/install_nats.sh
# `ps` for the test that checks process listings for the passphrase.
bash scripts/apt_install.sh setup procps
# `tmux` for the tests that drive the terminal UI on a real terminal.
bash scripts/apt_install.sh setup tmux
# Debian's Chromium and Firefox ESR for the browser client's tests (driven by npm puppeteer-core).
bash scripts/apt_install.sh setup chromium firefox-esr
