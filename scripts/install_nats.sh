#!/usr/bin/env bash
# Installs nats-server (Debian/Ubuntu package `nats-server`), which the cluster
# tests and benchmark start on loopback; relays in a cluster connect to one.
# Idempotent: does nothing, and prints nothing, when it is already there.
set -euo pipefail
command -v nats-server >/dev/null 2>&1 && exit 0
[[ -x /usr/sbin/nats-server || -x /usr/bin/nats-server ]] && exit 0
# Debian also starts it as a system service; the tests run their own on free ports.
exec bash "$(dirname "$0")/apt_install.sh" install_nats nats-server
