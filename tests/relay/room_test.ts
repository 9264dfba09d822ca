/**
 * A room's voice fan-out (lib/relay/room.ts) through stand-in members: a room
 * knows nothing of sockets and reaches each member through its `Delivery`, so
 * these record what each was given. Sliced (Deno's sockets), the first 128
 * members get a frame in this turn and the rest in later turns; unsliced (the
 * epoll backend) every member gets it before `fanOutVoice` returns.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Delivery, Room } from "../../lib/relay/room.ts";
import { nextTurn, SLICE } from "../../lib/relay/slices.ts";
import { encodeTaggedVoice } from "../../lib/voice_payload.ts";

/** A member that records the frames the room hands it. */
function member(id: number, got: Map<number, Uint8Array[]>): Delivery {
  got.set(id, []);
  return {
    member: { id, nick: `m${id}` } as Delivery["member"],
    deliver(frame) {
      got.get(id)!.push(frame);
      return true;
    },
  };
}

function roomOf(n: number, sliced: boolean) {
  const room = new Room("r", "full", sliced);
  const got = new Map<number, Uint8Array[]>();
  for (let id = 1; id <= n; id++) room.add(member(id, got));
  return { room, got };
}

const sealed = new Uint8Array(40).fill(9);
const tagged = encodeTaggedVoice([[2, new Uint8Array([1, 2, 3, 4])]], sealed);

Deno.test("room voice, unsliced: every member but the talker has its frame at once", () => {
  const n = 3 * SLICE + 7;
  const { room, got } = roomOf(n, false);
  room.fanOutVoice(1, tagged);
  assert.equal(got.get(1)!.length, 0, "the talker gets nothing back");
  for (let id = 2; id <= n; id++) assert.equal(got.get(id)!.length, 1, `member ${id}`);
  // The tagged member's frame carries its tag, the others' zeros.
  const tagAt = 7; // after the 5-byte frame header and the talker's 2-byte id
  assert.deepEqual([...got.get(2)![0].subarray(tagAt, tagAt + 4)], [1, 2, 3, 4]);
  assert.deepEqual([...got.get(3)![0].subarray(tagAt, tagAt + 4)], [0, 0, 0, 0]);
});

Deno.test("room voice, sliced: 128 members in this turn, the rest in later turns", async () => {
  const n = 3 * SLICE + 7;
  const { room, got } = roomOf(n, true);
  room.fanOutVoice(1, tagged);
  const now = [...got.values()].filter((f) => f.length > 0).length;
  assert.equal(now, SLICE - 1, "the first slice, less the talker");
  // One slice a turn: three more turns bring the other 263.
  for (let turn = 0; turn < 3; turn++) await new Promise<void>(nextTurn);
  for (let id = 2; id <= n; id++) assert.equal(got.get(id)!.length, 1, `member ${id}`);
});
