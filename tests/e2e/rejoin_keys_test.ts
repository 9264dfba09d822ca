// After a relay restart every member starts a new chain and hands it out again
// under the ids the new relay gives. These tests replay such restarts on real
// inboxes and keys (tests/e2e/room_model.ts stands in for the relay's routing)
// and check that every receiver ends up with every sender's new chain, or says
// so: a text never vanishes without an event.
import assert from "node:assert/strict";
import { KEY_REQUEST_EVERY_MS, PENDING_MAX, PENDING_MS } from "../../lib/client/inbox.ts";
import { type ModelMember, ModelRoom } from "./room_model.ts";

async function threeMembers() {
  const room = await ModelRoom.create();
  const [ann, ben, cat] = [await room.add("ann"), await room.add("ben"), await room.add("cat")];
  for (const m of [ann, ben, cat]) room.join(m);
  room.pump();
  return { room, ann, ben, cat };
}

/** Restarts the relay and lets the members rejoin in `order`, shares flowing in between. */
function restart(room: ModelRoom, order: ModelMember[]) {
  room.restart();
  for (const m of order) {
    room.join(m, true);
    room.pump();
  }
}

Deno.test("relay restart: ids handed out in another order still bring every sender's new chain", async () => {
  const { room, ann, ben, cat } = await threeMembers();
  room.say(ben, "before", 1);
  assert.deepEqual(room.texts(cat), ["ben: before"]);
  // Old ids ann=1, ben=2, cat=3; new ones ben=1, ann=2, cat=3. At cat, ann's
  // new id is ben's old one and ben's new id ann's old one: dropping a
  // member's old id must not drop the other's new one.
  restart(room, [ben, ann, cat]);
  room.say(ben, "after", 2);
  room.say(ann, "after", 1);
  assert.deepEqual(room.texts(cat), ["ben: before", "ben: after", "ann: after"]);
  assert.deepEqual(room.texts(ann), ["ben: before", "ben: after"]);
  for (const m of [ann, ben, cat]) assert.deepEqual(room.errors(m), [], `${m.nick}: no errors`);
  assert.equal(cat.inbox.pendingTexts, 0);
  room.close();
});

Deno.test("relay restart: every rejoin order delivers every text, with no error", async () => {
  const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  for (const order of orders) {
    const { room, ann, ben, cat } = await threeMembers();
    const all = [ann, ben, cat];
    restart(room, order.map((i) => all[i]));
    all.forEach((m, i) => room.say(m, `from ${m.nick}`, i + 1));
    for (const m of all) {
      const want = all.filter((x) => x !== m).map((x) => `${x.nick}: from ${x.nick}`);
      assert.deepEqual(room.texts(m), want, `${m.nick}, rejoin order ${order}`);
      assert.deepEqual(room.errors(m), []);
    }
    room.close();
  }
});

Deno.test("a key share lost on the way: the receiver holds the text, asks again, then shows it", async () => {
  const { room, ben, cat } = await threeMembers();
  let lost = 0;
  room.drop = (from, to) => from === ben && to === cat && lost++ === 0;
  restart(room, [cat, ben, room.members[0]]);
  assert.equal(lost, 1, "ben's first share to cat was lost");
  room.drop = () => false;
  const catShares = cat.sharesSent;
  room.say(ben, "held", 1);
  assert.deepEqual(room.texts(cat), [], "no key yet: the text waits");
  assert.equal(cat.inbox.pendingTexts, 1);
  assert.equal(cat.sharesSent, catShares + 1, "cat asked ben for its keys");
  room.say(ben, "held too", 2);
  assert.equal(cat.sharesSent, catShares + 1, "at most one request a second");
  room.pump();
  assert.deepEqual(room.texts(cat), ["ben: held", "ben: held too"], "ben answered; both shown");
  assert.equal(cat.inbox.pendingTexts, 0);
  assert.deepEqual(room.errors(cat), []);
  assert.deepEqual(room.errors(ben), []);
  room.close();
});

Deno.test("keys that never come: the waiting texts are reported missing-key, asked for meanwhile", async () => {
  const { room, ben, cat } = await threeMembers();
  room.drop = (from, to) => from === ben && to === cat;
  restart(room, [ben, cat, room.members[0]]);
  room.say(ben, "one", 1);
  room.say(ben, "two", 2);
  const asked = cat.sharesSent;
  const t0 = Date.now();
  cat.inbox.expirePending(t0 + KEY_REQUEST_EVERY_MS);
  assert.equal(cat.sharesSent, asked + 1, "asked again while the texts wait");
  room.pump();
  assert.deepEqual(room.errors(cat), [], "not reported before the deadline");
  cat.inbox.expirePending(t0 + PENDING_MS + 1);
  const errors = room.errors(cat);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0].code, "missing-key");
  assert.equal(errors[0].from, "ben");
  assert.match(errors[0].message, /2 texts from ben could not be read/);
  assert.equal(cat.inbox.pendingTexts, 0);
  assert.deepEqual(room.texts(cat), []);
  room.close();
});

Deno.test("waiting texts are bounded: the oldest beyond the bound is reported, not dropped quietly", async () => {
  const { room, ben, cat } = await threeMembers();
  room.drop = (from, to) => from === ben && to === cat;
  restart(room, [ben, cat, room.members[0]]);
  for (let n = 1; n <= PENDING_MAX + 1; n++) room.say(ben, `t${n}`, n);
  assert.equal(cat.inbox.pendingTexts, PENDING_MAX);
  const errors = room.errors(cat);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, "missing-key");
  assert.match(errors[0].message, /a text from ben could not be read: more than 512 texts wait/);
  room.close();
});
