#!/usr/bin/env bash
# Installs nats-server (Debian/Ubuntu package `nats-server`), which the cluster
# tests and benchmark start on loopback; relays in a cluster connect to one.
# Idempotent: does nothing, and prints nothing, when it is already there.
set -euo pipefail

command -v nats-server >/dev/null 2>&1 && exit 0
[[ -x /usr/sbin/nats-server || -x /usr/bin/nats-server ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_nats: nats-server is missing and this script needs apt-get (Debian/Ubuntu)." >&2
  echo "install_nats: install it from https://nats.io/download/ (any 2.9+ with JetStream)." >&2
  exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install_nats: nats-server is missing; not root and no sudo to install it." >&2
    echo "install_nats: run as root: apt-get install nats-server" >&2
    exit 1
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends nats-server >"$log" 2>&1; then
  # The package lists may be stale on a fresh machine: update once, then retry.
  if ! "${SUDO[@]}" apt-get update >"$log" 2>&1 ||
    ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends nats-server >"$log" 2>&1; then
    cat "$log" >&2
    echo "install_nats: installing nats-server failed (see above)." >&2
    exit 1
  fi
fi
# Debian starts it as a system service; the tests run their own on free ports.
