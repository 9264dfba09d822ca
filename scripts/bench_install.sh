#!/usr/bin/env bash
# Installs the IRC servers the text benchmark compares against (Debian/Ubuntu
# packages ngircd and inspircd). Idempotent: silent when both are installed.
# Debian starts a packaged ngircd/InspIRCd service on install, listening on all
# addresses; the benchmark wants nothing but its own loopback instances, so a
# service started by this install is stopped again.
set -euo pipefail

PACKAGES=(ngircd inspircd)
missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "bench_install: missing ${missing[*]}; this script needs apt-get (Debian/Ubuntu)." >&2
  exit 1
fi
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "bench_install: run as root: apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "bench_install: installing ${missing[*]} ..." >&2
if ! "${SUDO[@]}" apt-get update >"$log" 2>&1 ||
  ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "bench_install: installing ${missing[*]} failed (see above)." >&2
  exit 1
fi
for svc in "${missing[@]}"; do
  "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
done
