// Sealed texts, voice frames and key shares (lib/e2e/envelope.ts) and one
// member's view of them (lib/e2e/group.ts): pure, over bytes.
import assert from "node:assert/strict";
import { CipherError, deriveRoomKey, newSessionId, toHex } from "../../lib/cipher.ts";
import {
  openShare,
  openText,
  openVoice,
  sealShare,
  sealText,
  sealVoice,
  SHARE_BYTES,
  textHeader,
  voiceAt,
} from "../../lib/e2e/envelope.ts";
import { GroupSession } from "../../lib/e2e/group.ts";
import { Identity } from "../../lib/e2e/identity.ts";
import {
  type Member,
  splitListenerVoice,
  splitTaggedVoice,
  voiceForListener,
} from "../../lib/protocol.ts";
import { randomBytes } from "node:crypto";

const enc = new TextEncoder();
const key = await deriveRoomKey("correct horse", "lobby");
const mk = new Uint8Array(randomBytes(32));
const session = newSessionId();
const at = { epoch: 3, index: 41 };

/** A small seeded generator, so a failing hostile input can be replayed. */
function prng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
}

function assertOnlyCipherErrors(what: string, f: () => unknown) {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof CipherError, `${what}: ${err}`);
    assert.ok(["tampered", "forged", "replayed", "bad-passphrase"].includes(err.code));
  }
}

Deno.test("envelope: a text opens with its key, room and nick; any change is tampered", () => {
  const id = Identity.generate();
  const sealed = sealText(mk, session, at, "lobby", "ann", enc.encode("hi"), (d) => id.sign(d));
  const h = textHeader(sealed);
  assert.deepEqual([h.epoch, h.index, toHex(h.session)], [3, 41, toHex(session)]);
  const opened = openText(mk, h, "lobby", "ann", sealed);
  assert.equal(new TextDecoder().decode(opened.body), "hi");
  const tampered = (f: () => unknown) =>
    assert.throws(f, (e) => (e as CipherError).code === "tampered");
  tampered(() => openText(mk, h, "lobby", "bob", sealed)); // nick bound
  tampered(() => openText(mk, h, "other", "ann", sealed)); // room bound
  tampered(() => openText(new Uint8Array(32), h, "lobby", "ann", sealed));
  for (const i of [0, 1, 5, 20, 30, sealed.length - 1]) {
    const bad = sealed.slice();
    bad[i] ^= 0x40;
    assertOnlyCipherErrors(`flip ${i}`, () => {
      openText(mk, textHeader(bad), "lobby", "ann", bad);
      assert.fail("a flipped bit opened");
    });
  }
});

Deno.test("envelope: voice frames are bound to their session, room and nick", () => {
  const packet = new Uint8Array([9, 8, 7, 6]);
  const sealed = sealVoice(mk, session, at, "lobby", "ann", packet);
  assert.deepEqual(voiceAt(sealed), at);
  assert.deepEqual(openVoice(mk, session, at, "lobby", "ann", sealed), packet);
  assert.throws(() => openVoice(mk, newSessionId(), at, "lobby", "ann", sealed), CipherError);
  assert.throws(() => openVoice(mk, session, at, "lobby", "bob", sealed), CipherError);
});

Deno.test("envelope: key shares carry both chains and the request flag, bound to both sessions", () => {
  const to = newSessionId();
  const chain = (e: number) => ({ epoch: e, index: 7 * e, key: new Uint8Array(randomBytes(32)) });
  const body = { text: chain(1), voice: chain(2), request: true };
  const sealed = sealShare(mk, 5, session, to, body);
  assert.equal(sealed.length, SHARE_BYTES);
  const opened = openShare(mk, session, to, sealed);
  assert.equal(opened.seq, 5);
  assert.deepEqual(opened.body, body);
  assert.equal(
    openShare(mk, session, to, sealShare(mk, 6, session, to, { ...body, request: false }))
      .body.request,
    false,
  );
  assert.throws(() => openShare(mk, to, session, sealed), CipherError, "direction bound");
  assert.throws(
    () => openShare(mk, session, newSessionId(), sealed),
    CipherError,
    "recipient bound",
  );
  const seqChanged = sealed.slice();
  seqChanged[3] ^= 1;
  assert.throws(() => openShare(mk, session, to, seqChanged), CipherError, "seq authenticated");
});

Deno.test("envelope: hostile bytes never throw anything but the named errors", () => {
  const rand = prng(12345);
  const id = Identity.generate();
  const good = sealText(mk, session, at, "lobby", "ann", enc.encode("x"), (d) => id.sign(d));
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(rand() * 200);
    const b = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256));
    // Half the inputs start like a real text, to get past the first checks.
    if (i % 2 && len > 2) b.set(good.subarray(0, Math.min(len, 24)));
    assertOnlyCipherErrors(
      "textHeader/openText",
      () => openText(mk, textHeader(b), "lobby", "ann", b),
    );
    assertOnlyCipherErrors(
      "voiceAt/openVoice",
      () => openVoice(mk, session, voiceAt(b), "l", "a", b),
    );
    assertOnlyCipherErrors("openShare", () => openShare(mk, session, session, b));
  }
});

Deno.test("group: hostile texts and voice from the relay give named errors or no-key, never others", () => {
  const ann = new GroupSession(key, "ann", Identity.generate(), newSessionId());
  const bob = new GroupSession(key, "bob", Identity.generate(), newSessionId());
  const entry = (g: GroupSession, id: number): Member => ({
    nick: g.nick,
    id,
    session: toHex(g.session),
    keyId: g.keyId,
    ...g.helloFields(),
  });
  const a = ann.admit(entry(bob, 2));
  const b = bob.admit(entry(ann, 1));
  assert.ok(a.kind === "ok" && b.kind === "ok");
  ann.takeShare(2, bob.shareFor(b.peer)!.subarray(2));
  const good = bob.sealText(enc.encode("x"));
  const rand = prng(99);
  for (let i = 0; i < 2000; i++) {
    const b2 = good.slice(0, Math.floor(rand() * (good.length + 20)));
    for (let k = 0; k < 3; k++) if (b2.length) b2[Math.floor(rand() * b2.length)] ^= 1 << (i % 8);
    assertOnlyCipherErrors("openText", () => ann.openText("bob", b2));
    assertOnlyCipherErrors("openVoice", () => ann.openVoice(2, b2.subarray(0, 4), b2.subarray(4)));
    assertOnlyCipherErrors("takeShare", () => ann.takeShare(2, b2));
  }
});

Deno.test("group: texts are signed by the sender; a member holding the sender key cannot forge", () => {
  const [ann, bob, eve] = ["ann", "bob", "eve"].map((n) =>
    new GroupSession(key, n, Identity.generate(), newSessionId())
  );
  const entry = (g: GroupSession, id: number): Member => ({
    nick: g.nick,
    id,
    session: toHex(g.session),
    keyId: g.keyId,
    ...g.helloFields(),
  });
  const all = [ann, bob, eve];
  for (const [i, g] of all.entries()) {
    for (const [j, h] of all.entries()) if (i !== j) g.admit(entry(h, j + 1));
  }
  for (const [i, g] of all.entries()) {
    for (const h of all) {
      if (h !== g) h.takeShare(i + 1, g.shareFor(g.peerByNick(h.nick)!)!.subarray(2));
    }
  }
  const sealed = bob.sealText(enc.encode("pay eve"));
  const ok = ann.openText("bob", sealed);
  assert.equal(ok.kind, "ok");
  assert.throws(() => ann.openText("bob", sealed), (e) => (e as CipherError).code === "replayed");
  // The relay re-stamps bob's text as eve's: forged.
  const next = bob.sealText(enc.encode("again"));
  assert.throws(() => ann.openText("eve", next), (e) => (e as CipherError).code === "forged");
  // Eve holds bob's sender key (she got his share) and seals under it as bob, signing with her key.
  const eveView = eve.peerByNick("bob")!;
  const chain = eveView.text[0];
  const found = chain.find(3);
  assert.ok(typeof found !== "string");
  const forged = sealText(
    found.mk,
    bob.session,
    { epoch: chain.epoch, index: 3 },
    "lobby",
    "bob",
    enc.encode("I owe eve"),
    (d) => eve.identity.sign(d),
  );
  assert.throws(() => ann.openText("bob", forged), (e) => (e as CipherError).code === "forged");
  // ...and the forgery did not use up bob's real message 3.
  assert.equal(ann.openText("bob", bob.sealText(enc.encode("three"))).kind, "ok");
  // Voice: the relay hands each listener its own tag; another listener's tag does not pass.
  const asRelayed = (tagged: Uint8Array, listener: number, tagOf = listener) => {
    const frame = voiceForListener(2, tagged, splitTaggedVoice(tagged), tagOf);
    const own = splitListenerVoice(
      voiceForListener(2, tagged, splitTaggedVoice(tagged), listener).subarray(5),
    );
    return { ...own, tag: splitListenerVoice(frame.subarray(5)).tag };
  };
  const v1 = asRelayed(bob.sealVoice(new Uint8Array([1, 2, 3])), 1);
  assert.deepEqual(ann.openVoice(v1.id, v1.tag, v1.sealed)?.plain, new Uint8Array([1, 2, 3]));
  const v2 = asRelayed(bob.sealVoice(new Uint8Array([4])), 1, 3);
  assert.throws(
    () => ann.openVoice(v2.id, v2.tag, v2.sealed),
    (e) => (e as CipherError).code === "forged",
    "eve's tag on a frame given to ann",
  );
});
