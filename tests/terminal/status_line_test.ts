import assert from "node:assert/strict";
import { formatDuration, type Status, statusSpans } from "../../lib/terminal/status_line.ts";
import { paint } from "../../lib/terminal/style.ts";

const base: Status = {
  relay: "relay.example:9001",
  connection: { state: "connected" },
  room: "lobby",
  members: 3,
  talkers: [],
  talk: null,
  scrolled: 0,
  pending: 0,
};
const text = (s: Partial<Status>, now = 0, width = 120) =>
  paint(statusSpans({ ...base, ...s }, now, width), false).trimEnd();

Deno.test("status line: relay, connection, room and member count", () => {
  assert.equal(text({}), " relay.example:9001 connected │ [lobby] 3 here");
});

Deno.test("status line: reconnect countdown in whole seconds", () => {
  assert.match(
    text({ connection: { state: "reconnecting", at: 4200 } }, 1000),
    /reconnecting in 4 s/,
  );
  assert.match(
    text({ connection: { state: "reconnecting", at: 900 } }, 1000),
    /reconnecting in 0 s/,
  );
});

Deno.test("status line: talkers, own level meter and talk time, pending, scrolled", () => {
  const s = text({
    talkers: ["bob"],
    talk: { level: "▮▮▯▯", since: 0 },
    pending: 2,
    scrolled: 12,
  }, 65_000);
  assert.equal(
    s,
    " relay.example:9001 connected │ [lobby] 3 here │ bob talking │ ● ▮▮▯▯ 1:05 │ 2 sending │ ↑ 12 rows (PageDown)",
  );
});

Deno.test("status line: exactly the width, reversed, never wrapping", () => {
  for (const width of [10, 40, 200]) {
    const spans = statusSpans({ ...base, talkers: ["a", "b", "c"] }, 0, width);
    assert.equal([...paint(spans, false)].length, width);
    assert.ok(spans.every((x) => x.style?.reverse));
  }
});

Deno.test("status line: a hostile room name is shown safely", () => {
  assert.ok(!text({ room: "r\x1b[2J" }).includes("\x1b"));
});

Deno.test("formatDuration: m:ss", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(59_999), "0:59");
  assert.equal(formatDuration(600_000), "10:00");
});
