#!/usr/bin/env bash
# `make dev`: a relay on port 9001, an echo bot in room "lobby", and an
# interactive client joined to it. The demo passphrase is in .tools/dev-passphrase.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build_web.sh
DENO=.tools/bin/deno
PORT=${AM_PORT:-9001}
pass=.tools/dev-passphrase
[[ -f $pass ]] || echo "correct horse battery staple" >"$pass"
chmod 600 "$pass"

# The relay keeps its certificate in .tools/dev-relay; the clients pin it up front
# (--pin through AM_PIN), so nothing asks and the user's known_relays is not touched.
SERVER=($DENO run --allow-net --allow-env --allow-read --allow-write --allow-ffi --v8-flags=--max-semi-space-size=4 --unstable-net
  server.ts --data-dir .tools/dev-relay)
AM_PIN=$("${SERVER[@]}" --fingerprint)
export AM_PIN
"${SERVER[@]}" --port "$PORT" 2>.tools/dev-relay.log &
relay=$!
bots=()
cleanup() { kill "${bots[@]}" "$relay" 2>/dev/null || true; }
trap cleanup EXIT HUP INT TERM
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break
  sleep 0.1
done
# The bot reads nothing: `sleep infinity` keeps its stdin open.
sleep infinity | $DENO run --allow-net --allow-env --allow-read --allow-write --allow-ffi client.ts \
  "localhost:$PORT" --nick echo --room lobby --passphrase-file "$pass" --echo-bot \
  >.tools/dev-bot.log 2>&1 &
bots+=($!)
echo "relay on port $PORT (log: .tools/dev-relay.log), echo bot in [lobby]; passphrase in $pass" >&2
echo "browser: https://localhost:${AM_WEB_PORT:-9080}/?room=lobby (the relay's own certificate)" >&2
$DENO run --allow-net --allow-env --allow-read --allow-write --allow-ffi client.ts \
  "localhost:$PORT" --nick "${USER:-me}" --room lobby --passphrase-file "$pass" "$@"
