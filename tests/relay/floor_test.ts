import assert from "node:assert/strict";
import { Floor } from "../../lib/relay/floor.ts";

Deno.test("half duplex: one holder; a second talker is told who holds it", () => {
  const f = new Floor("half");
  assert.equal(f.duplex, "half");
  assert.deepEqual(f.talkers, []);
  assert.deepEqual(f.request("alice"), { granted: true, changed: true });
  assert.deepEqual(f.request("bob"), { granted: false, holder: "alice" });
  assert.equal(f.mayTalk("alice"), true);
  assert.equal(f.mayTalk("bob"), false);
  assert.deepEqual(f.talkers, ["alice"]);
});

Deno.test("asking again while holding the floor is granted without a change", () => {
  const f = new Floor("half");
  f.request("alice");
  assert.deepEqual(f.request("alice"), { granted: true, changed: false });
  assert.deepEqual(f.talkers, ["alice"]);
});

Deno.test("release frees the floor for the next member", () => {
  const f = new Floor("half");
  f.request("alice");
  assert.equal(f.release("bob"), false, "bob was not talking");
  assert.equal(f.release("alice"), true);
  assert.equal(f.release("alice"), false, "only once");
  assert.equal(f.mayTalk("alice"), false);
  assert.deepEqual(f.request("bob"), { granted: true, changed: true });
  assert.deepEqual(f.request("alice"), { granted: false, holder: "bob" });
});

Deno.test("full duplex: everyone may talk at once", () => {
  const f = new Floor("full");
  for (const nick of ["alice", "bob", "carol"]) {
    assert.deepEqual(f.request(nick), { granted: true, changed: true });
  }
  assert.deepEqual(f.talkers.sort(), ["alice", "bob", "carol"]);
  assert.ok(f.mayTalk("bob"));
  f.release("bob");
  assert.equal(f.mayTalk("bob"), false);
  assert.deepEqual(f.talkers.sort(), ["alice", "carol"]);
});
