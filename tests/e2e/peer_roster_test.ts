// The members one member knows (lib/e2e/peer_roster.ts): pure.
import assert from "node:assert/strict";
import { type Peer, PeerRoster } from "../../lib/e2e/peer_roster.ts";
import type { Member } from "../../lib/protocol.ts";

const member = (nick: string, id: number, session: string): Member => ({
  nick,
  id,
  session,
  keyId: "00".repeat(8),
});
const peer = (m: Member): Peer => ({
  member: m,
  session: new Uint8Array(16),
  identity: new Uint8Array(32),
  pair: null,
  text: [],
  voice: [],
});

Deno.test("peer roster: members by session, id and nick", () => {
  const r = new PeerRoster();
  const alice = peer(member("alice", 1, "aa"));
  const bob = peer(member("bob", 2, "bb"));
  r.add(alice);
  r.add(bob);
  assert.equal(r.bySession("bb"), bob);
  assert.equal(r.byId(1), alice);
  assert.equal(r.byNick("bob"), bob);
  assert.equal(r.byNick("carol"), undefined);
  assert.deepEqual(r.all(), [alice, bob]);
});

Deno.test("peer roster: an id is dropped only while it still names its own member", () => {
  const r = new PeerRoster();
  const alice = peer(member("alice", 1, "aa"));
  const bob = peer(member("bob", 2, "bb"));
  r.add(alice);
  r.add(bob);
  // A restarted relay gave alice bob's old id, and bob a new one.
  r.rebind(alice, member("alice", 2, "aa"));
  r.rebind(bob, member("bob", 3, "bb"));
  assert.equal(r.byId(2), alice, "bob's rebind left alice's new id alone");
  assert.equal(r.byId(1), undefined);
  assert.equal(r.remove(member("bob", 2, "bb")), false, "not bob with that id");
  assert.equal(r.remove(member("bob", 3, "bb")), true);
  assert.equal(r.bySession("bb"), undefined);
  r.forgetIds();
  assert.equal(r.byId(2), undefined);
  assert.equal(r.bySession("aa"), alice, "still known by session");
});
