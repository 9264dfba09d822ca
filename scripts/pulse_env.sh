#!/usr/bin/env bash
# A private PulseAudio daemon with two virtual devices for tests and demos, as measured
# on the build machines: null sinks "mic" and "spk" (48 kHz mono s16le, so the path is
# bit-exact), a "void" sink, and a permanent low-latency loopback on each monitor (an
# idle null sink renders ~2 s ahead, which would swallow the start of a capture).
#
#   eval "$(scripts/pulse_env.sh start)"   # prints export lines for the daemon
#   scripts/pulse_env.sh stop [DIR]        # DIR defaults to $PULSE_RUNTIME_PATH
#
# The runtime dir is $AM_PULSE_DIR if set (created if needed), else a new mktemp dir.
# Clients capture from source "mic.monitor" and play to sink "spk".
set -euo pipefail

die() {
  echo "pulse_env: $*" >&2
  exit 1
}

# True while pid $1 runs; a zombie counts as gone (a container's init may reap late).
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# Pids of pulseaudio daemons serving runtime dir $1: the one in its pid file and any
# whose command line names its socket (a pid file may be stale or overwritten).
daemon_pids() {
  local dir=$1 pid cmd
  if [[ -f "$dir/pid" ]]; then
    pid=$(tr -dc '0-9' <"$dir/pid" || true)
    [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == pulseaudio ]] && echo "$pid"
  fi
  for cmdfile in /proc/[0-9]*/cmdline; do
    pid=${cmdfile#/proc/}
    pid=${pid%/cmdline}
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == pulseaudio ]] || continue
    cmd=$(tr '\0' ' ' <"$cmdfile" 2>/dev/null || true)
    [[ "$cmd" == *"socket=$dir/native "* ]] && echo "$pid"
  done
  return 0
}

# Stops every daemon serving runtime dir $1 (TERM, then KILL after 2 s).
kill_daemon() {
  local dir=$1 pid
  for pid in $(daemon_pids "$dir" | sort -u); do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 40); do
      alive "$pid" || break
      sleep 0.05
    done
    alive "$pid" && kill -9 "$pid" 2>/dev/null
  done
  rm -f "$dir/pid"
}

# On a fresh daemon the first capture from a monitor waits ~2 s while the null sink's
# initial render-ahead drains; later captures get data in ~20 ms. Take that hit here, once.
warm_up() {
  local server=$1 dev
  for dev in mic.monitor spk.monitor; do
    (PULSE_SERVER=$server timeout 5 parec --device="$dev" --rate=48000 --channels=1 \
      --format=s16le --latency-msec=10 2>/dev/null | head -c 960 >/dev/null) &
  done
  wait
}

start() {
  command -v pulseaudio >/dev/null 2>&1 && command -v pactl >/dev/null 2>&1 ||
    die "pulseaudio/pactl not found; run scripts/install_audio.sh first."
  local run
  if [[ -n "${AM_PULSE_DIR:-}" ]]; then
    run=$AM_PULSE_DIR
    mkdir -p "$run"
  else
    run=$(mktemp -d "${TMPDIR:-/tmp}/am-pulse.XXXXXX")
  fi
  run=$(cd "$run" && pwd)
  chmod 700 "$run"
  # A previous daemon may have left a pid file, a socket or even a live process here.
  kill_daemon "$run"
  rm -f "$run/native" "$run/pulse.log"
  mkdir -p "$run/state"
  chmod 700 "$run/state"

  # PULSE_STATE_PATH keeps the daemon out of $HOME; no D-Bus, no autospawn, no default.pa.
  if ! PULSE_RUNTIME_PATH=$run PULSE_STATE_PATH=$run/state \
    pulseaudio -D -n --exit-idle-time=-1 --disallow-exit --use-pid-file=yes \
    --log-target="file:$run/pulse.log" \
    --load="module-native-protocol-unix socket=$run/native auth-anonymous=1" \
    --load="module-null-sink sink_name=mic rate=48000 channels=1 format=s16le" \
    --load="module-null-sink sink_name=spk rate=48000 channels=1 format=s16le" \
    --load="module-null-sink sink_name=void rate=48000 channels=1" \
    --load="module-loopback source=mic.monitor sink=void latency_msec=10" \
    --load="module-loopback source=spk.monitor sink=void latency_msec=10" \
    </dev/null >/dev/null 2>&1; then
    tail -n 20 "$run/pulse.log" >&2 2>/dev/null || true
    die "pulseaudio failed to start in $run (log above)."
  fi
  for _ in $(seq 100); do
    if PULSE_SERVER=unix:$run/native pactl info >/dev/null 2>&1; then
      warm_up "unix:$run/native"
      printf 'export PULSE_RUNTIME_PATH=%q PULSE_SERVER=%q\n' "$run" "unix:$run/native"
      return 0
    fi
    sleep 0.05
  done
  tail -n 20 "$run/pulse.log" >&2 2>/dev/null || true
  kill_daemon "$run"
  die "pulseaudio in $run did not answer 'pactl info' within 5 s (log above)."
}

stop() {
  local run=${1:-${PULSE_RUNTIME_PATH:-${AM_PULSE_DIR:-}}}
  [[ -n "$run" ]] || die "stop: give the runtime dir or set PULSE_RUNTIME_PATH."
  [[ -d "$run" ]] || return 0
  kill_daemon "$run"
  rm -f "$run/native"
}

case "${1:-}" in
start) start ;;
stop) stop "${2:-}" ;;
*) die "usage: $0 start | stop [DIR]" ;;
esac
