// The hub's decisions as data: messages of workers in, messages to workers out.
import assert from "node:assert/strict";
import { encodeFrame, encodeFrameParts } from "../../lib/framing.ts";
import { idRangeOf } from "../../lib/cluster/id_range.ts";
import { FrameType, type Member } from "../../lib/protocol.ts";
import { Hub } from "../../lib/workers/hub.ts";
import type { Outbound } from "../../lib/workers/messages.ts";

const member = (nick: string, worker: number, session = `s-${nick}`): Member => ({
  nick,
  id: idRangeOf(worker)[0] + nick.length,
  session,
  keyId: "00112233445566ff",
});
const to = (out: Outbound[]) => out.map((o) => o.to).sort();
const limits = { maxClients: 100, maxPerIp: 100 };

Deno.test("a join is announced to every other worker; a nick held elsewhere is refused", () => {
  const hub = new Hub(3, limits);
  const alice = member("alice", 0);
  const out = hub.handle(0, { t: "join", room: "r", member: alice });
  assert.deepEqual(to(out), [1, 2]);
  assert.deepEqual(out[0].msg, {
    t: "present",
    room: "r",
    nick: "alice",
    entry: { relay: "worker-0", member: alice },
  });
  const rival = member("alice", 1, "other session");
  assert.deepEqual(hub.handle(1, { t: "join", room: "r", member: rival }), [
    { to: 1, msg: { t: "refused", room: "r", member: rival } },
  ]);
  // The refused member's leave changes nothing; the holder's own does.
  assert.deepEqual(hub.handle(1, { t: "leave", room: "r", member: rival }), []);
  assert.deepEqual(hub.workersOf("r"), [0]);
  const gone = hub.handle(0, { t: "leave", room: "r", member: alice });
  assert.deepEqual(to(gone), [1, 2]);
  assert.equal(gone[0].msg.t === "present" && gone[0].msg.entry, null);
  assert.deepEqual(hub.workersOf("r"), []);
});

Deno.test("the same session joining through another worker takes its nick over", () => {
  const hub = new Hub(2, limits);
  const old = member("bob", 0, "s1");
  hub.handle(0, { t: "join", room: "r", member: old });
  const moved = member("bob", 1, "s1");
  const out = hub.handle(1, { t: "join", room: "r", member: moved });
  assert.deepEqual(out, [{
    to: 0,
    msg: { t: "present", room: "r", nick: "bob", entry: { relay: "worker-1", member: moved } },
  }]);
  // The old connection closing on worker 0 does not remove the new one.
  assert.deepEqual(hub.handle(0, { t: "leave", room: "r", member: old }), []);
  assert.deepEqual(hub.workersOf("r"), [1]);
});

Deno.test("one floor holder across workers; freed by release or by leaving", () => {
  const hub = new Hub(2, limits);
  const a = member("a", 0);
  const b = member("b", 1);
  hub.handle(0, { t: "join", room: "r", member: a });
  hub.handle(1, { t: "join", room: "r", member: b });
  assert.deepEqual(hub.handle(0, { t: "claim", seq: 1, room: "r", nick: "a" }), [
    { to: 0, msg: { t: "claim", seq: 1, holder: null } },
    { to: 1, msg: { t: "floor", room: "r", nick: "a" } },
  ]);
  assert.deepEqual(hub.handle(1, { t: "claim", seq: 7, room: "r", nick: "b" }), [
    { to: 1, msg: { t: "claim", seq: 7, holder: "a" } },
  ]);
  // Only the holder's worker can release it.
  assert.deepEqual(hub.handle(1, { t: "release", room: "r", nick: "a" }), []);
  assert.deepEqual(hub.handle(0, { t: "release", room: "r", nick: "a" }), [
    { to: 1, msg: { t: "floor", room: "r", nick: null } },
  ]);
  const claim = (w: number, nick: string) => {
    const [first] = hub.handle(w, { t: "claim", seq: 8, room: "r", nick });
    return first.msg.t === "claim" ? first.msg.holder : "?";
  };
  assert.equal(claim(1, "b"), null, "b gets it");
  assert.equal(claim(1, "b"), null, "and asking again while holding it is granted");
  const out = hub.handle(1, { t: "leave", room: "r", member: b });
  assert.ok(out.some((o) => o.to === 0 && o.msg.t === "floor" && o.msg.nick === null));
  assert.equal(claim(0, "a"), null, "free again once its holder left");
});

Deno.test("room frames go to the other workers with members; key shares to the recipient's", () => {
  const hub = new Hub(3, limits);
  const a = member("a", 0);
  const b = member("b", 1);
  hub.handle(0, { t: "join", room: "r", member: a });
  hub.handle(1, { t: "join", room: "r", member: b });
  hub.handle(2, { t: "join", room: "elsewhere", member: member("c", 2) });
  const text = encodeFrame(FrameType.Text, new Uint8Array([1, 2, 3]));
  const frames = (rooms: string[], frames: Uint8Array[]) => ({
    t: "frames" as const,
    rooms,
    frames,
  });
  assert.deepEqual(hub.handle(0, frames(["r"], [text])), [{ to: 1, msg: frames(["r"], [text]) }]);
  assert.deepEqual(hub.handle(0, frames(["nobody"], [text])), []);
  // A batch is split by destination, each worker's part in order, one message each.
  const other = encodeFrame(FrameType.Text, new Uint8Array([4]));
  hub.handle(1, { t: "join", room: "elsewhere", member: member("d", 1) });
  assert.deepEqual(hub.handle(0, frames(["r", "elsewhere", "r"], [text, other, other])), [
    { to: 1, msg: frames(["r", "elsewhere", "r"], [text, other, other]) },
    { to: 2, msg: frames(["elsewhere"], [other]) },
  ]);
  assert.deepEqual(hub.handle(1, frames(["r", "elsewhere"], [text, other])), [
    { to: 0, msg: frames(["r"], [text]) },
    { to: 2, msg: frames(["elsewhere"], [other]) },
  ]);
  const share = (from: Member, dest: Member) =>
    encodeFrameParts(
      FrameType.KeyShare,
      new Uint8Array([from.id >> 8, from.id & 0xff, dest.id >> 8, dest.id & 0xff]),
      new Uint8Array([9]),
    );
  assert.deepEqual(to(hub.handle(0, frames(["r"], [share(a, b)]))), [1]);
  // To a member of its own worker, nothing crosses.
  assert.deepEqual(hub.handle(0, frames(["r"], [share(b, a)])), []);
});

Deno.test("history: every other worker with the room is asked; the longest answer wins", () => {
  const hub = new Hub(3, limits);
  for (const w of [0, 1, 2]) hub.handle(w, { t: "join", room: "r", member: member(`m${w}`, w) });
  const asks = hub.handle(0, { t: "history", seq: 4, room: "r", nick: "m0" });
  assert.deepEqual(to(asks), [1, 2]);
  const ask = asks[0].msg.t === "history-ask" ? asks[0].msg.ask : -1;
  const one = [new Uint8Array([1])];
  const two = [new Uint8Array([2]), new Uint8Array([3])];
  assert.deepEqual(hub.handle(2, { t: "history-answer", ask, frames: two }), []);
  assert.deepEqual(hub.handle(1, { t: "history-answer", ask, frames: one }), [
    { to: 0, msg: { t: "history", seq: 4, frames: two } },
  ]);
  // Nobody else in the room: an empty answer at once.
  assert.deepEqual(hub.handle(1, { t: "history", seq: 5, room: "none", nick: "x" }), [
    { to: 1, msg: { t: "history", seq: 5, frames: [] } },
  ]);
});

Deno.test("connection limits count every worker's connections together", () => {
  const hub = new Hub(2, { maxClients: 3, maxPerIp: 2 });
  const gate = (w: number, ip: string) => {
    const [out] = hub.handle(w, { t: "gate", seq: 1, ip });
    return out.msg.t === "gate" ? out.msg.refusal?.code ?? null : "?";
  };
  assert.equal(gate(0, "10.0.0.1"), null);
  assert.equal(gate(1, "10.0.0.1"), null);
  assert.equal(gate(0, "10.0.0.1"), "too-many-connections", "2 per address, not 2 per worker");
  assert.equal(gate(1, "10.0.0.2"), "server-full", "3 in all (the refused one still counts)");
  hub.handle(0, { t: "ungate", ip: "10.0.0.1" });
  hub.handle(1, { t: "ungate", ip: "10.0.0.2" });
  assert.equal(hub.connections, 2);
  assert.equal(gate(1, "10.0.0.3"), null);
});
