#!/usr/bin/env bash
# `make test`: static checks (fmt, lint, type check) and every test suite, with a
# private PulseAudio daemon for the real-audio tests. Ends with one line:
# "N passed, N failed" (each static check counts as one).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bash scripts/build_web.sh || exit 1
DENO=.tools/bin/deno
export NO_COLOR=1 DENO_NO_UPDATE_CHECK=1

passed=0
failed=0
check() {
  local name=$1; shift
  if "$@" >/tmp/am-check.$$ 2>&1; then
    passed=$((passed + 1)); echo "ok: $name"
  else
    failed=$((failed + 1)); echo "FAILED: $name"; tail -40 /tmp/am-check.$$
  fi
  rm -f /tmp/am-check.$$
}
check "deno fmt --check" $DENO fmt --check
check "deno lint" $DENO lint
check "deno check" $DENO check server.ts client.ts lib/ audio/ tests/ bench/

# One PulseAudio daemon for the whole suite; audio tests read its env.
pulse_dir=$(mktemp -d)
if eval "$(AM_PULSE_DIR=$pulse_dir bash scripts/pulse_env.sh start)"; then
  trap 'bash scripts/pulse_env.sh stop "$pulse_dir" >/dev/null 2>&1; rm -rf "$pulse_dir"' EXIT
else
  echo "test: PulseAudio did not start; real-audio tests will start their own or fail" >&2
fi

out=$(mktemp)
$DENO test -A --no-check "${@:-tests/}" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$out" | tail -1)
rm -f "$out"
if [[ -n "$summary" ]]; then
  passed=$((passed + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$summary")))
  failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")))
elif [[ $status -ne 0 ]]; then
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $status -eq 0 ]]
