#!/usr/bin/env bash
# `make dist` / `deno task compile`: standalone am-server and am-client for each
# release target into dist/, each with only the permissions it needs.
#   scripts/compile.sh            all targets
#   scripts/compile.sh native     this machine's target only
set -euo pipefail
cd "$(dirname "$0")/.."
DENO=${DENO:-.tools/bin/deno}
[[ -x $DENO ]] || DENO=deno
ALL=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc)
if [[ ${1:-all} == native ]]; then
  TARGETS=("$($DENO eval 'console.log(Deno.build.target)')")
else
  TARGETS=("${ALL[@]}")
fi
# A 4 MiB young generation: V8's default lets it grow to 16 MiB and more after a burst of
# joins, which doubled the relay's memory per idle connection (bench/memory.ts).
# --unstable-net: plain TCP workers (--workers N --no-tls) share the port with Deno.listen's reusePort.
# --allow-ffi: `--io epoll` does the TCP port's socket I/O through libc (lib/relay/epoll/).
SERVER_PERMS=(--allow-net --allow-env --allow-read --allow-write --allow-ffi --v8-flags=--max-semi-space-size=4 --unstable-net)
CLIENT_PERMS=(--allow-net --allow-env --allow-read --allow-write --allow-ffi)
mkdir -p dist
# The browser client's files are served by am-server from inside its binary.
bash scripts/build_web.sh
for t in "${TARGETS[@]}"; do
  ext=""; [[ $t == *windows* ]] && ext=".exe"
  echo "compile: $t" >&2
  $DENO compile --quiet --target "$t" "${SERVER_PERMS[@]}" --include web --include lib/workers/worker_main.ts -o "dist/am-server-$t$ext" server.ts
  $DENO compile --quiet --target "$t" "${CLIENT_PERMS[@]}" -o "dist/am-client-$t$ext" client.ts
done
ls -l dist >&2
