#!/usr/bin/env bash
# Installs the IRC servers the text benchmark compares against (Debian/Ubuntu
# packages ngircd and inspircd). Idempotent: silent when both are installed.
# Debian starts a packaged ngircd/InspIRCd service on install, listening on all
# addresses; the benchmark wants nothing but its own loopback instances, so a
# service started by this install is stopped again.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
for pkg in ngircd inspircd; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

bash apt_install.sh bench_install "${missing[@]}"
SUDO=()
[[ $(id -u) -eq 0 ]] || SUDO=(sudo)
for svc in "${missing[@]}"; do
  "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
done
