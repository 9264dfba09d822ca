// A worker's view of the relay's rooms, driven by hub messages: real Rooms and
// RoomLinks, with plain objects standing in for connections (no sockets needed).
import assert from "node:assert/strict";
import { idRangeOf } from "../../lib/cluster/id_range.ts";
import type { Member } from "../../lib/protocol.ts";
import { Room } from "../../lib/relay/room.ts";
import { HubChannel } from "../../lib/workers/hub_channel.ts";
import type { ToHub } from "../../lib/workers/messages.ts";
import { WorkerLink } from "../../lib/workers/worker_link.ts";

const member = (nick: string, worker: number, session: string): Member => ({
  nick,
  id: idRangeOf(worker)[0],
  session,
  keyId: "00112233445566ff",
});

/** A local connection as the room and the link see it. */
function local(m: Member) {
  const failed: string[] = [];
  return {
    member: m,
    closed: false,
    failed,
    deliver: () => true,
    fail: (code: string) => void failed.push(code),
  };
}

function setup() {
  const sent: ToHub[] = [];
  const link = new WorkerLink(0, new HubChannel((msg) => sent.push(msg)), () => {});
  const room = new Room("r", "half");
  return { sent, link, room };
}

Deno.test("other workers' members are mirrored into a room when it opens, and follow the hub", () => {
  const { link, room } = setup();
  const bob = member("bob", 1, "s-bob");
  link.handle({ t: "present", room: "r", nick: "bob", entry: { relay: "worker-1", member: bob } });
  link.handle({ t: "floor", room: "r", nick: "bob" });
  link.openRoom(room);
  assert.deepEqual(room.idRange, idRangeOf(0));
  assert.deepEqual(room.members(), [bob]);
  assert.deepEqual(room.floor.talkers, ["bob"], "the holder on another worker, for the welcome");
  link.handle({ t: "present", room: "r", nick: "bob", entry: null });
  assert.deepEqual(room.members(), []);
});

Deno.test("a session back through this worker takes over its entry: no ghost when it leaves", () => {
  const { sent, link, room } = setup();
  const away = member("bob", 1, "s-bob");
  link.handle({ t: "present", room: "r", nick: "bob", entry: { relay: "worker-1", member: away } });
  link.openRoom(room);
  // What Relay.join does for the same session: the old entry goes, the new one comes in.
  room.get("bob")!.close!("replaced");
  const here = local(member("bob", 0, "s-bob"));
  room.add(here);
  link.memberJoined(room, here);
  assert.deepEqual(sent.at(-1), { t: "join", room: "r", member: here.member });
  room.remove(here);
  link.memberLeft(room, here.member);
  assert.deepEqual(room.members(), [], "bob is gone, not mirrored back from the old entry");
});

Deno.test("a member that lost a nick race is turned away with nick-taken", () => {
  const { link, room } = setup();
  link.openRoom(room);
  const carol = local(member("carol", 0, "mine"));
  room.add(carol);
  link.memberJoined(room, carol);
  link.handle({ t: "refused", room: "r", member: member("carol", 0, "mine") });
  assert.deepEqual(carol.failed, ["nick-taken"]);
});
