import assert from "node:assert/strict";
import { ScreenModel } from "../../lib/terminal/screen_model.ts";
import { paint } from "../../lib/terminal/style.ts";

const text = (m: ScreenModel, width = 80, height = 10) => {
  const f = m.frame(width, height, 0);
  return { rows: f.rows.map((r) => paint(r, false)), status: paint(f.status, false).trimEnd() };
};

function joined(): ScreenModel {
  const m = new ScreenModel("alice", "lobby", "r:1");
  m.event({
    event: "ready",
    nick: "alice",
    room: "lobby",
    members: ["alice", "bob"],
    duplex: "half",
  }, 0);
  return m;
}

Deno.test("screen model: own text pending, then plain once acknowledged", () => {
  const m = joined();
  m.event({ event: "sent", n: 1, nick: "alice", room: "lobby", text: "hi", ts: 0 }, 0);
  assert.match(text(m).rows.at(-1)!, /<alice> hi \(sending…\)$/);
  assert.match(text(m).status, /1 sending/);
  m.event({ event: "acked", n: 1 }, 0);
  assert.match(text(m).rows.at(-1)!, /<alice> hi$/);
  assert.doesNotMatch(text(m).status, /sending/);
});

Deno.test("screen model: refused and undelivered texts stay, marked", () => {
  const m = joined();
  m.event({ event: "sent", n: 1, nick: "alice", room: "lobby", text: "a", ts: 0 }, 0);
  m.event({ event: "sent", n: 2, nick: "alice", room: "lobby", text: "b", ts: 0 }, 0);
  m.event({ event: "refused", n: 1, reason: "rate limit" }, 0);
  m.event({ event: "undelivered", n: 2, text: "b" }, 0);
  const rows = text(m).rows;
  assert.match(rows.at(-2)!, /<alice> a \(refused: rate limit; sending again\)$/);
  assert.match(rows.at(-1)!, /<alice> b \(not delivered\)$/);
});

Deno.test("screen model: a mention rings, own words do not", () => {
  const m = joined();
  assert.equal(
    m.event({ event: "text", from: "bob", room: "lobby", text: "alice?", ts: 0 }, 0),
    true,
  );
  assert.equal(
    m.event({ event: "text", from: "bob", room: "lobby", text: "hello", ts: 0 }, 0),
    false,
  );
  assert.equal(
    m.event({ event: "text", from: "alice", room: "lobby", text: "alice", ts: 0 }, 0),
    false,
  );
});

Deno.test("screen model: members, talkers and connection on the status line", () => {
  const m = joined();
  assert.match(text(m).status, /r:1 connected │ \[lobby\] 2 here$/);
  m.event({ event: "joined", nick: "carol", room: "lobby" }, 0);
  m.event({ event: "talk-start", nick: "carol", room: "lobby" }, 0);
  assert.match(text(m).status, /3 here │ carol talking/);
  m.event({ event: "left", nick: "carol", room: "lobby" }, 0);
  assert.match(text(m).status, /2 here$/);
  m.event({ event: "reconnecting", inMs: 3000, attempt: 1 }, 0);
  assert.match(text(m).status, /reconnecting in 3 s/);
  m.setTalk("▮▯", 0);
  assert.match(text(m).status, /● ▮▯ 0:00/);
  assert.deepEqual(m.members.sort(), ["alice", "bob"]);
});

Deno.test("screen model: PageUp scrolls back, PageDown returns, /clear empties", () => {
  const m = joined();
  for (let i = 0; i < 30; i++) m.info(`line ${i}`, 0);
  assert.match(text(m).rows.at(-1)!, /line 29$/);
  m.scroll(1, 10);
  assert.match(text(m).rows.at(-1)!, /line 20$/);
  assert.match(text(m).status, /↑ 9 rows/);
  m.scroll(100, 10);
  assert.match(text(m).rows[0], /joined \[lobby\]/, "clamped at the oldest row");
  m.scroll(-100, 10);
  assert.match(text(m).rows.at(-1)!, /line 29$/);
  m.clear();
  assert.ok(text(m).rows.every((r) => r === ""));
});
