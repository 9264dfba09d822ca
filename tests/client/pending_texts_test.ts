// Texts waiting for their sender's keys (lib/client/pending_texts.ts), with a
// recording event sink and key requester: no network.
import assert from "node:assert/strict";
import {
  KEY_REQUEST_EVERY_MS,
  PENDING_MAX,
  PENDING_MS,
  PendingTexts,
} from "../../lib/client/pending_texts.ts";
import type { ClientEvent } from "../../lib/client/events.ts";

function setup() {
  const events: ClientEvent[] = [];
  const asked: string[] = [];
  const pending = new PendingTexts((e) => events.push(e), (session) => asked.push(session));
  return { events, asked, pending };
}

Deno.test("pending texts: held, asked for, taken out when the keys come", () => {
  const { asked, pending } = setup();
  pending.hold("bob", "b1", Uint8Array.of(1));
  pending.hold("carol", "c1", Uint8Array.of(2));
  pending.hold("bob", "b1", Uint8Array.of(3));
  assert.deepEqual(asked, ["b1", "c1", "b1"]);
  assert.equal(pending.size, 3);
  const bobs = pending.takeFor("b1");
  assert.deepEqual(bobs.map((p) => p.sealed[0]), [1, 3]);
  assert.equal(pending.size, 1);
  pending.putBack(bobs[0]);
  assert.equal(pending.size, 2);
  pending.close();
});

Deno.test("pending texts: too old or too many are reported missing-key, by sender", () => {
  const { events, asked, pending } = setup();
  const t0 = Date.now();
  pending.hold("bob", "b1", Uint8Array.of(1));
  pending.hold("bob", "b1", Uint8Array.of(2));
  pending.expire(t0 + KEY_REQUEST_EVERY_MS);
  assert.equal(events.length, 0, "not yet too old: asked again instead");
  assert.equal(asked.length, 4);
  pending.expire(t0 + PENDING_MS + 1_000);
  assert.equal(pending.size, 0);
  assert.deepEqual(events.map((e) => e.event === "error" && [e.code, e.from]), [
    ["missing-key", "bob"],
  ]);
  assert.match(
    (events[0] as { message: string }).message,
    /^2 texts from bob .* ask bob to rejoin$/,
  );
  for (let i = 0; i <= PENDING_MAX; i++) pending.hold("carol", "c1", Uint8Array.of(i & 0xff));
  assert.equal(pending.size, PENDING_MAX);
  assert.match((events[1] as { message: string }).message, /^a text from carol/);
  pending.close();
});
