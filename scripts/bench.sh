#!/usr/bin/env bash
# `make bench` / `deno task bench`: installs what the benchmarks need (Deno, ngircd,
# InspIRCd), runs every benchmark on loopback with the generator on core 1 and each
# server on core 0, and writes BENCHMARKS.md at the repository root. Bounded: each
# benchmark has a time limit; about 25 minutes in all on a 2-core machine, of them
# up to 15 for the text fan-out ladders (BENCH_QUICK=1: one room size, fewer
# voice steps, about 11 minutes).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bash scripts/bench_install.sh || exit 1
DENO=.tools/bin/deno
export NO_COLOR=1 DENO_NO_UPDATE_CHECK=1

# 10,000 connections need 10,000 descriptors in the generator and the server each.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ $(ulimit -n) -lt 12000 ]]; then
  echo "bench: ulimit -n is $(ulimit -n); the memory benchmark needs 12000 or more" >&2
fi

results=$(mktemp -d /tmp/am-bench.XXXXXX)
echo "bench: results in $results" >&2
pin_gen=(taskset -c 1)
[[ $(nproc) -ge 2 ]] || pin_gen=()

step() { # name, time limit in s, command...
  local name=$1 limit=$2
  shift 2
  echo "== $name" >&2
  if ! timeout --signal=TERM --kill-after=10 "$limit" "$@"; then
    echo "bench: $name did not finish (time limit ${limit} s or error); its figures are missing" >&2
  fi
}

if [[ "${BENCH_QUICK:-}" == 1 ]]; then
  clients=500 steps=250,1000 mem_clients=10000 repeats=3
else
  clients=500,2000 steps=250,500,1000,1500,2000 mem_clients=10000 repeats=3
fi

step startup 60 $DENO run -A bench/startup.ts --out "$results/startup.json"
step "voice bandwidth" 60 $DENO run -A bench/voice_bandwidth.ts --out "$results/voice_bandwidth.json"
step "voice fan-out" 180 "${pin_gen[@]}" $DENO run -A bench/voice_fanout.ts \
  --out "$results/voice_fanout.json" --steps "$steps"
step memory 240 "${pin_gen[@]}" $DENO run -A bench/memory.ts \
  --out "$results/memory.json" --clients "$mem_clients"
# Each server climbs its ladder to its knee (at most 11 runs at 500 clients, 8 at 2000,
# a fresh server and a fresh join each; ngircd takes ~30 s to join 2000): ~15 min at most.
step "text fan-out" 1200 "${pin_gen[@]}" $DENO run -A bench/fanout.ts \
  --out "$results/fanout.json" --clients "$clients" --repeats "$repeats"

# Mouth-to-ear latency needs the client's PortAudio voice pipeline (--mic/--speaker).
if $DENO run -A client.ts --help 2>/dev/null | grep -q -- "--mic" && [[ -f bench/voice_latency.ts ]]; then
  step "voice latency" 180 bash -c "eval \"\$(bash scripts/pulse_env.sh start)\" && \
    $DENO run -A bench/voice_latency.ts --out '$results/voice_latency.md'; \
    status=\$?; bash scripts/pulse_env.sh stop >/dev/null 2>&1; exit \$status"
else
  cat >"$results/voice_latency.md" <<'MD'
## Voice mouth-to-ear latency: not measured yet

The measurement (tone bursts played into a PulseAudio null sink, captured by client A
through PortAudio, relayed, played by client B through PortAudio into a second null sink,
recorded, onsets detected; at least 50 talk spurts, p50/p99, and the same path without the
relay) needs the client's voice pipeline: `am-client --mic/--speaker` with PortAudio
devices. When this report was written, `client.ts --help` did not list `--mic`, so there
was nothing to drive. For reference, a raw PortAudio microphone→speaker loop through a
Deno jitter buffer measured 47–50 ms (56.5 ms with an Opus round trip) on this kind of
machine, before any relay.
MD
fi

step "voice CPU" 90 bash -c "{ printf '## Voice CPU per talker and listener\n\n\`deno run -A bench/voice_cpu.ts\`\n\n\`\`\`\n'; \
  $DENO run -A bench/voice_cpu.ts --seconds 20; printf '\`\`\`\n'; } >'$results/voice_cpu.md'"
# Browser voice: Chromium captures through its own PulseAudio daemon (the bench starts one).
step "browser voice" 240 bash -c "$DENO run -A bench/browser_voice.ts >'$results/browser_voice.md'"
step cluster 240 bash -c "{ printf '## Relays clustered over NATS\n\n\`deno run -A bench/cluster.ts\` (relays, nats-server and the driver share both cores)\n\n'; \
  $DENO run -A bench/cluster.ts; printf '\nHow the design grows to many machines, and where it stops: docs/CLUSTER.md.\n'; } >'$results/cluster.md'"

step "tls cost" 400 "${pin_gen[@]}" $DENO run -A bench/tls_cost.ts --out "$results/tls_cost.md"
step "page join" 240 $DENO run -A bench/page_join.ts --out "$results/page_join.md"

$DENO run -A bench/report.ts "$results" >BENCHMARKS.md && $DENO fmt -q BENCHMARKS.md &&
  echo "bench: wrote BENCHMARKS.md" >&2
