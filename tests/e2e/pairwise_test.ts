// Pairwise key agreement (lib/e2e/pairwise.ts) and identity keys (lib/e2e/identity.ts): pure.
import assert from "node:assert/strict";
import { deriveRoomKey, newSessionId } from "../../lib/cipher.ts";
import {
  derivePairKeys,
  Ephemeral,
  memberEntryBytes,
  type PairKeys,
  type PairParty,
} from "../../lib/e2e/pairwise.ts";
import {
  fingerprint,
  Identity,
  IdentityError,
  safetyNumber,
  verifySignature,
} from "../../lib/e2e/identity.ts";
import { voiceDigest } from "../../lib/e2e/voice_tag.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const frame = voiceDigest(new Uint8Array([1, 2, 3]));
const tagOf = (k: PairKeys) => hex(k.tagOut.tag(frame));
const tagIn = (k: PairKeys) => hex(k.tagIn.tag(frame));

function party(): { eph: Ephemeral; p: PairParty } {
  const eph = new Ephemeral();
  return {
    eph,
    p: {
      session: newSessionId(),
      identity: Identity.generate().publicKey,
      ephemeral: eph.publicKey,
    },
  };
}

const [key, other] = await Promise.all([
  deriveRoomKey("correct horse", "lobby"),
  deriveRoomKey("wrong horse", "lobby"),
]);

Deno.test("pairwise: both sides derive the same keys, each direction its own", () => {
  const a = party();
  const b = party();
  const ka = derivePairKeys(a.eph.agree(b.p.ephemeral), key.secret, "lobby", a.p, b.p);
  const kb = derivePairKeys(b.eph.agree(a.p.ephemeral), key.secret, "lobby", b.p, a.p);
  assert.equal(hex(ka.shareOut), hex(kb.shareIn));
  assert.equal(hex(ka.shareIn), hex(kb.shareOut));
  assert.equal(tagOf(ka), tagIn(kb));
  assert.equal(tagOf(kb), tagIn(ka));
  assert.notEqual(hex(ka.shareOut), hex(ka.shareIn), "directions differ");
  assert.notEqual(tagOf(ka), tagIn(ka));
});

Deno.test("pairwise: keys are bound to the room key, the room and every party's keys", () => {
  const a = party();
  const b = party();
  const shared = a.eph.agree(b.p.ephemeral);
  const base = hex(derivePairKeys(shared, key.secret, "lobby", a.p, b.p).shareOut);
  const variants = [
    derivePairKeys(shared, other.secret, "lobby", a.p, b.p), // another passphrase
    derivePairKeys(shared, key.secret, "lobby2", a.p, b.p), // another room
    derivePairKeys(shared, key.secret, "lobby", a.p, { ...b.p, session: newSessionId() }),
    derivePairKeys(shared, key.secret, "lobby", a.p, {
      ...b.p,
      identity: Identity.generate().publicKey,
    }),
    derivePairKeys(
      shared,
      key.secret,
      "lobby",
      { ...a.p, ephemeral: new Ephemeral().publicKey },
      b.p,
    ),
  ];
  for (const [i, v] of variants.entries()) assert.notEqual(hex(v.shareOut), base, `variant ${i}`);
  // A third party with its own run key agrees on another secret altogether.
  const c = party();
  assert.notEqual(hex(c.eph.agree(b.p.ephemeral)), hex(shared));
});

Deno.test("pairwise: a peer key of the wrong length is refused with a RangeError", () => {
  const a = new Ephemeral();
  assert.throws(() => a.agree(new Uint8Array(31)), RangeError);
  assert.throws(() => a.agree(new Uint8Array(33)), RangeError);
});

Deno.test("member entry: the signature covers room, nick, session, both keys and the key id", () => {
  const id = Identity.generate();
  const p: PairParty = {
    session: newSessionId(),
    identity: id.publicKey,
    ephemeral: new Ephemeral().publicKey,
  };
  const bytes = memberEntryBytes("lobby", "ann", p, key.keyId);
  const sig = id.sign(bytes);
  assert.ok(verifySignature(id.publicKey, bytes, sig));
  const altered = [
    memberEntryBytes("lobby2", "ann", p, key.keyId),
    memberEntryBytes("lobby", "bob", p, key.keyId),
    memberEntryBytes("lobby", "ann", { ...p, session: newSessionId() }, key.keyId),
    memberEntryBytes("lobby", "ann", { ...p, ephemeral: new Ephemeral().publicKey }, key.keyId),
    memberEntryBytes("lobby", "ann", p, other.keyId),
  ];
  for (const [i, b] of altered.entries()) assert.ok(!verifySignature(id.publicKey, b, sig), `${i}`);
});

Deno.test("identity: signatures verify only under their key; forgeries and junk are false", () => {
  const a = Identity.generate();
  const b = Identity.generate();
  const data = new TextEncoder().encode("hello");
  const sig = a.sign(data);
  assert.equal(sig.length, 64);
  assert.ok(verifySignature(a.publicKey, data, sig));
  assert.ok(!verifySignature(b.publicKey, data, sig), "other key");
  const flipped = sig.slice();
  flipped[10] ^= 1;
  assert.ok(!verifySignature(a.publicKey, data, flipped), "flipped bit");
  assert.ok(!verifySignature(a.publicKey, new TextEncoder().encode("hellO"), sig), "other data");
  assert.ok(!verifySignature(a.publicKey, data, sig.subarray(1)), "short signature");
  assert.ok(!verifySignature(new Uint8Array(31), data, sig), "short key");
  assert.ok(!verifySignature(new Uint8Array(32), data, new Uint8Array(64)), "all-zero key");
});

Deno.test("identity: PEM round trip keeps the key; anything else is an IdentityError", () => {
  const a = Identity.generate();
  const back = Identity.fromPem(a.toPem());
  assert.equal(hex(back.publicKey), hex(a.publicKey));
  assert.throws(() => Identity.fromPem("not a key"), IdentityError);
  assert.throws(() => Identity.fromPem(""), IdentityError);
});

Deno.test("fingerprints: 30 digits, stable, distinct; safety number the same from both sides", () => {
  const a = Identity.generate().publicKey;
  const b = Identity.generate().publicKey;
  assert.match(fingerprint(a), /^(\d{5} ){5}\d{5}$/);
  assert.equal(fingerprint(a), fingerprint(a.slice()));
  assert.notEqual(fingerprint(a), fingerprint(b));
  assert.equal(safetyNumber(a, b), safetyNumber(b, a));
  assert.match(safetyNumber(a, b), /^(\d{5} ){11}\d{5}$/);
});
