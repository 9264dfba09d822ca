#!/usr/bin/env bash
# Installs the system packages that real audio needs (PortAudio, the ALSA->PulseAudio
# bridge, a PulseAudio daemon and its tools, espeak-ng and sox for test speech).
# Idempotent: does nothing, and prints nothing, when all of them are already there.
set -euo pipefail

PACKAGES=(libportaudio2 libasound2-plugins pulseaudio pulseaudio-utils espeak-ng sox)

missing=()
for pkg in "${PACKAGES[@]}"; do
  # dpkg-query exits 0 for removed-but-configured packages too, so check the status word.
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_audio: missing packages: ${missing[*]}; this script needs apt-get (Debian/Ubuntu)." >&2
  echo "install_audio: install PortAudio, PulseAudio, espeak-ng and sox with your package manager." >&2
  exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install_audio: missing packages: ${missing[*]}; not root and no sudo to install them." >&2
    echo "install_audio: run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "${SUDO[@]}" apt-get update >"$log" 2>&1; then
  cat "$log" >&2
  echo "install_audio: 'apt-get update' failed (see above); check network and apt sources." >&2
  exit 1
fi
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "install_audio: installing ${missing[*]} failed (see above)." >&2
  exit 1
fi
