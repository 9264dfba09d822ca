import assert from "node:assert/strict";
import { CONTROL_TYPES, controlEvent } from "../../lib/client/control_events.ts";
import { encodeJson, FrameType, type Member } from "../../lib/protocol.ts";

function roster() {
  const seen: string[] = [];
  return {
    seen,
    add: (m: Member) => seen.push(`+${m.nick}`),
    remove: (m: Member) => seen.push(`-${m.nick}`),
  };
}

Deno.test("joins and leaves update the member list and become events", () => {
  const r = roster();
  const carol = { nick: "carol", id: 7, session: "00", keyId: "k" };
  assert.deepEqual(controlEvent(FrameType.Joined, encodeJson(carol), "lobby", r), {
    event: "joined",
    nick: "carol",
    room: "lobby",
  });
  assert.deepEqual(controlEvent(FrameType.Left, encodeJson(carol), "lobby", r), {
    event: "left",
    nick: "carol",
    room: "lobby",
  });
  assert.deepEqual(r.seen, ["+carol", "-carol"]);
});

Deno.test("who, talk state, floor refusal and goodbye", () => {
  const r = roster();
  const who = encodeJson({ room: "lobby", members: ["a", "b"] });
  assert.deepEqual(controlEvent(FrameType.WhoReply, who, "lobby", r), {
    event: "who",
    room: "lobby",
    members: ["a", "b"],
  });
  const talk = (on: boolean) => encodeJson({ nick: "a", on });
  assert.equal(controlEvent(FrameType.TalkState, talk(true), "lobby", r).event, "talk-start");
  assert.equal(controlEvent(FrameType.TalkState, talk(false), "lobby", r).event, "talk-end");
  assert.deepEqual(
    controlEvent(FrameType.FloorDenied, encodeJson({ holder: "a" }), "lobby", r),
    { event: "floor-denied", holder: "a", room: "lobby" },
  );
  assert.deepEqual(controlEvent(FrameType.Bye, encodeJson({ reason: "shutdown" }), "x", r), {
    event: "notice",
    message: "the relay says: shutdown",
  });
  assert.deepEqual(r.seen, []);
});

Deno.test("every control type is handled; others are refused", () => {
  for (const type of [FrameType.Text, FrameType.Voice, FrameType.Welcome]) {
    assert.equal(CONTROL_TYPES.has(type), false);
    assert.throws(() => controlEvent(type, new Uint8Array(), "x", roster()), RangeError);
  }
});
