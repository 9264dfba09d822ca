#!/usr/bin/env bash
# Installs Debian/Ubuntu packages that are not installed yet; the one place that
# knows about apt-get, sudo and stale package lists.
#   scripts/apt_install.sh WHO PACKAGE...     (WHO prefixes messages)
# Idempotent: does nothing, and prints nothing, when all are already there.
set -euo pipefail
who=$1
shift

missing=()
for pkg in "$@"; do
  # dpkg-query exits 0 for removed-but-configured packages too, so check the status word.
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "$who: missing packages: ${missing[*]}; this script needs apt-get (Debian/Ubuntu)." >&2
  echo "$who: install them with your system's package manager." >&2
  exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "$who: missing packages: ${missing[*]}; not root and no sudo to install them." >&2
    echo "$who: run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

echo "$who: installing ${missing[*]} ..." >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1
}
# A fresh machine's package lists may be missing or stale: update once, then retry.
if ! install; then
  if ! "${SUDO[@]}" apt-get update >"$log" 2>&1 || ! install; then
    cat "$log" >&2
    echo "$who: installing ${missing[*]} failed (see above); check network and apt sources." >&2
    exit 1
  fi
fi
