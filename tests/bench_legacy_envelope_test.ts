// The bench-only per-session envelope (bench/legacy_envelope.ts) the relay's
// text load generators seal and verify with: it must still refuse what it
// claims to, or a bench's "verified" count would mean nothing.
import assert from "node:assert/strict";
import {
  CipherError,
  type CipherErrorCode,
  deriveRoomKey,
  KEY_ID_BYTES,
  newSessionId,
  type RoomKey,
  SESSION_BYTES,
  toHex,
} from "../lib/cipher.ts";
import {
  Opener,
  Sealer,
  TEXT_HEADER_BYTES,
  TEXT_TAG_BYTES,
  VOICE_HEADER_BYTES,
  VOICE_TAG_BYTES,
  type VoiceSender,
} from "../bench/legacy_envelope.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const PASS = "correct horse battery staple";
// Derived once: scrypt takes about 100 ms a key.
const lobby = await deriveRoomKey(PASS, "lobby");
const otherRoom = await deriveRoomKey(PASS, "other");
const wrongPass = await deriveRoomKey("correct horse battery stapler", "lobby");

const KEY_ID_AT = 2;
const SESSION_AT = KEY_ID_AT + KEY_ID_BYTES;
const COUNTER_AT = SESSION_AT + SESSION_BYTES;

function rejects(fn: () => unknown, codes: CipherErrorCode[], label: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CipherError, `${label}: CipherError, got ${err}`);
    assert.ok(codes.includes(err.code), `${label}: code ${err.code} not in ${codes}`);
    return true;
  }, label);
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >>> 3] ^= 1 << (bit & 7);
  return copy;
}

function voiceSender(nick: string, sealer: Sealer, key: RoomKey = lobby): VoiceSender {
  return { nick, session: toHex(sealer.session), keyId: toHex(key.keyId) };
}

Deno.test("text round trip, with header and sizes as documented", () => {
  const sealer = new Sealer(lobby, "alice");
  const opener = new Opener(lobby);
  for (const msg of ["hello", "", "Zoë says 名前 🎉", "x".repeat(3000)]) {
    const plain = enc.encode(msg);
    const sealed = sealer.sealText(plain);
    assert.equal(sealed.length, TEXT_HEADER_BYTES + plain.length + TEXT_TAG_BYTES);
    assert.deepEqual(sealed.subarray(KEY_ID_AT, SESSION_AT), lobby.keyId);
    assert.deepEqual(sealed.subarray(SESSION_AT, COUNTER_AT), sealer.session);
    const opened = opener.openText("alice", sealed);
    assert.equal(dec.decode(opened.plain), msg);
    assert.equal(opened.session, toHex(sealer.session));
  }
  // The plaintext does not appear in clear.
  const secret = enc.encode("top secret words");
  const sealed = sealer.sealText(secret);
  assert.ok(!toHex(sealed).includes(toHex(secret)));
  assert.equal(opener.keyId, toHex(lobby.keyId));
});

Deno.test("wrong passphrase is reported as bad-passphrase, not garbage", () => {
  const sealed = new Sealer(wrongPass, "mallory").sealText(enc.encode("hi"));
  rejects(() => new Opener(lobby).openText("mallory", sealed), ["bad-passphrase"], "wrong pass");
});

Deno.test("every single-bit flip of a sealed text is rejected, never accepted", () => {
  const sealer = new Sealer(lobby, "alice");
  const opener = new Opener(lobby);
  const sealed = sealer.sealText(enc.encode("meet at noon"));
  const bits = sealed.length * 8;
  for (let bit = 0; bit < bits; bit++) {
    const byte = bit >>> 3;
    const inKeyId = byte >= KEY_ID_AT && byte < SESSION_AT;
    rejects(
      () => opener.openText("alice", flipBit(sealed, bit)),
      inKeyId ? ["bad-passphrase"] : ["tampered"],
      `bit ${bit} (byte ${byte})`,
    );
  }
  // The failed attempts did not poison the replay window: the original still opens.
  assert.equal(dec.decode(opener.openText("alice", sealed).plain), "meet at noon");
});

Deno.test("truncated or extended sealed text is rejected", () => {
  const sealed = new Sealer(lobby, "alice").sealText(enc.encode("abc"));
  const opener = new Opener(lobby);
  for (let n = 0; n < sealed.length; n++) {
    rejects(() => opener.openText("alice", sealed.subarray(0, n)), ["tampered"], `first ${n}`);
  }
  const longer = new Uint8Array(sealed.length + 1);
  longer.set(sealed);
  rejects(() => opener.openText("alice", longer), ["tampered"], "one byte appended");
});

Deno.test("a replayed text is refused the second time", () => {
  const sealer = new Sealer(lobby, "alice");
  const opener = new Opener(lobby);
  const first = sealer.sealText(enc.encode("one"));
  const second = sealer.sealText(enc.encode("two"));
  opener.openText("alice", first);
  rejects(() => opener.openText("alice", first), ["replayed"], "replay of first");
  // Out of order inside the window is fine; its replay is not.
  const third = sealer.sealText(enc.encode("three"));
  opener.openText("alice", third);
  assert.equal(dec.decode(opener.openText("alice", second).plain), "two");
  rejects(() => opener.openText("alice", second), ["replayed"], "replay of second");
  // Another opener (another receiver) keeps its own window.
  assert.equal(dec.decode(new Opener(lobby).openText("alice", first).plain), "one");
});

Deno.test("a text far older than the replay window is refused", () => {
  const sealer = new Sealer(lobby, "alice");
  const opener = new Opener(lobby);
  const old = sealer.sealText(enc.encode("old"));
  let last = old;
  for (let i = 0; i < 5000; i++) last = sealer.sealText(enc.encode("x"));
  opener.openText("alice", last);
  rejects(() => opener.openText("alice", old), ["replayed"], "old counter");
});

Deno.test("re-attribution to another nick is detected", () => {
  const sealed = new Sealer(lobby, "alice").sealText(enc.encode("I owe bob 5"));
  rejects(() => new Opener(lobby).openText("bob", sealed), ["tampered"], "as bob");
  rejects(() => new Opener(lobby).openText("alice ", sealed), ["tampered"], "as 'alice '");
  rejects(() => new Opener(lobby).openText("Alice", sealed), ["tampered"], "as Alice");
});

Deno.test("re-routing into another room with the same passphrase is rejected", () => {
  const sealed = new Sealer(lobby, "alice").sealText(enc.encode("lobby only"));
  rejects(
    () => new Opener(otherRoom).openText("alice", sealed),
    ["bad-passphrase", "tampered"],
    "other room",
  );
  // Even with a forged room key carrying the lobby's key id, the room is bound in.
  const forged: RoomKey = { room: "other", secret: lobby.secret, keyId: lobby.keyId };
  rejects(() => new Opener(forged).openText("alice", sealed), ["tampered"], "forged room");
});

Deno.test("a voice payload is not accepted as a text", () => {
  const sealer = new Sealer(lobby, "alice");
  const voice = sealer.sealVoice(new Uint8Array(60));
  rejects(() => new Opener(lobby).openText("alice", voice), ["tampered"], "voice as text");
});

Deno.test("voice round trip; sealed size is 4 + payload + 8", () => {
  const sealer = new Sealer(lobby, "alice");
  const opener = new Opener(lobby);
  for (const size of [0, 1, 60, 120, 1275]) {
    const plain = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
    const sealed = sealer.sealVoice(plain);
    assert.equal(sealed.length, VOICE_HEADER_BYTES + size + VOICE_TAG_BYTES);
    assert.equal(sealed.length, 4 + size + 8);
    const opened = opener.openVoice(voiceSender("alice", sealer), sealed);
    assert.deepEqual(opened.plain, plain);
    assert.equal(opened.session, toHex(sealer.session));
  }
});

Deno.test("voice: every bit flip, replay and wrong sender are rejected", () => {
  const sealer = new Sealer(lobby, "alice");
  const opener = new Opener(lobby);
  const alice = voiceSender("alice", sealer);
  const sealed = sealer.sealVoice(Uint8Array.from({ length: 40 }, (_, i) => i));
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    rejects(() => opener.openVoice(alice, flipBit(sealed, bit)), ["tampered"], `voice bit ${bit}`);
  }
  rejects(() => opener.openVoice(alice, sealed.subarray(0, 11)), ["tampered"], "too short");
  // Wrong nick, wrong session, wrong key id.
  rejects(() => opener.openVoice({ ...alice, nick: "bob" }, sealed), ["tampered"], "as bob");
  rejects(
    () => opener.openVoice({ ...alice, session: toHex(newSessionId()) }, sealed),
    ["tampered"],
    "other session",
  );
  rejects(
    () => opener.openVoice({ ...alice, keyId: toHex(wrongPass.keyId) }, sealed),
    ["bad-passphrase"],
    "other key id",
  );
  // Genuine once, then a replay.
  assert.deepEqual(opener.openVoice(alice, sealed).plain.length, 40);
  rejects(() => opener.openVoice(alice, sealed), ["replayed"], "voice replay");
  // Voice from another room's key under the same passphrase.
  const elsewhere = new Sealer(otherRoom, "alice", sealer.session).sealVoice(new Uint8Array(10));
  rejects(() => opener.openVoice(alice, elsewhere), ["tampered"], "voice from other room");
});

Deno.test("text and voice replay windows are separate streams", () => {
  const sealer = new Sealer(lobby, "alice");
  const opener = new Opener(lobby);
  // Both kinds start at counter 1 under their own nonce space.
  opener.openText("alice", sealer.sealText(enc.encode("t")));
  const v = opener.openVoice(voiceSender("alice", sealer), sealer.sealVoice(new Uint8Array(5)));
  assert.equal(v.counter, 1);
});

Deno.test("counters strictly increase: 1000 texts never reuse a nonce", () => {
  const sealer = new Sealer(lobby, "alice");
  const counters: bigint[] = [];
  for (let i = 0; i < 1000; i++) {
    const sealed = sealer.sealText(enc.encode("same text"));
    counters.push(new DataView(sealed.buffer, sealed.byteOffset).getBigUint64(COUNTER_AT));
  }
  assert.equal(new Set(counters).size, 1000);
  for (let i = 1; i < counters.length; i++) {
    assert.ok(counters[i] > counters[i - 1], `counter ${i} increases`);
  }
  assert.equal(counters[0], 1n);
  // Same plaintext, distinct ciphertexts.
  const a = sealer.sealText(enc.encode("same"));
  const b = sealer.sealText(enc.encode("same"));
  assert.notDeepEqual(a.subarray(TEXT_HEADER_BYTES), b.subarray(TEXT_HEADER_BYTES));

  const voiceCounters: number[] = [];
  for (let i = 0; i < 1000; i++) {
    voiceCounters.push(new DataView(sealer.sealVoice(new Uint8Array(3)).buffer).getUint32(0));
  }
  assert.deepEqual(voiceCounters, Array.from({ length: 1000 }, (_, i) => i + 1));
});

Deno.test("two senders with distinct sessions are opened and tracked independently", () => {
  const opener = new Opener(lobby);
  const a = new Sealer(lobby, "alice");
  const b = new Sealer(lobby, "bob");
  const fromA = a.sealText(enc.encode("from a"));
  const fromB = b.sealText(enc.encode("from b"));
  // Same counter (1) from two sessions is not a replay.
  assert.equal(opener.openText("alice", fromA).counter, 1);
  assert.equal(opener.openText("bob", fromB).counter, 1);
  // A session id swapped into bob's header does not open.
  const swapped = fromB.slice();
  swapped.set(a.session, SESSION_AT);
  rejects(() => opener.openText("bob", swapped), ["tampered"], "swapped session");
});
