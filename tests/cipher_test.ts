// The room key (lib/cipher.ts): scrypt over passphrase and room, its public
// key id, and what a wrong passphrase leads to in the end-to-end code.
import assert from "node:assert/strict";
import {
  CipherError,
  deriveRoomKey,
  fromHex,
  KEY_ID_BYTES,
  newSessionId,
  SESSION_BYTES,
  toHex,
} from "../lib/cipher.ts";
import { GroupSession } from "../lib/e2e/group.ts";
import { Identity } from "../lib/e2e/identity.ts";
import type { Member } from "../lib/protocol.ts";

const PASS = "correct horse battery staple";
// Derived once: scrypt takes about 100 ms a key.
const lobby = await deriveRoomKey(PASS, "lobby");
const lobbyAgain = await deriveRoomKey(PASS, "lobby");
const otherRoom = await deriveRoomKey(PASS, "other");
const wrongPass = await deriveRoomKey("correct horse battery stapler", "lobby");

Deno.test("deriveRoomKey: deterministic, 32-byte secret and 8-byte key id", () => {
  assert.equal(lobby.room, "lobby");
  assert.equal(lobby.secret.length, 32);
  assert.equal(lobby.keyId.length, KEY_ID_BYTES);
  assert.deepEqual(lobbyAgain.secret, lobby.secret);
  assert.deepEqual(lobbyAgain.keyId, lobby.keyId);
});

Deno.test("deriveRoomKey: differs per room and per passphrase", () => {
  assert.notDeepEqual(otherRoom.secret, lobby.secret);
  assert.notDeepEqual(otherRoom.keyId, lobby.keyId);
  assert.notDeepEqual(wrongPass.secret, lobby.secret);
  assert.notDeepEqual(wrongPass.keyId, lobby.keyId);
  assert.notDeepEqual(lobby.keyId, lobby.secret.subarray(0, KEY_ID_BYTES), "the id is not the key");
});

Deno.test("deriveRoomKey: passphrase is NFKC-normalised", async () => {
  const ligature = await deriveRoomKey("\uFB01le cabinet", "lobby"); // "ﬁle cabinet"
  const plain = await deriveRoomKey("file cabinet", "lobby");
  assert.deepEqual(ligature.secret, plain.secret);
  assert.deepEqual(ligature.keyId, plain.keyId);
  const decomposed = await deriveRoomKey("A\u030Angstr\u00F6m", "lobby");
  const composed = await deriveRoomKey("\u00C5ngstro\u0308m", "lobby");
  assert.deepEqual(decomposed.secret, composed.secret);
});

Deno.test("hex helpers round trip", () => {
  const s = newSessionId();
  assert.equal(s.length, SESSION_BYTES);
  assert.equal(toHex(Uint8Array.of(0, 1, 0xab, 0xff)), "0001abff");
  assert.deepEqual(fromHex(toHex(s)), s);
  assert.notDeepEqual(newSessionId(), s);
});

Deno.test("wrong passphrase: another key id; its shares and texts are bad-passphrase, never garbage", () => {
  const ann = new GroupSession(lobby, "ann", Identity.generate(), newSessionId());
  const mallory = new GroupSession(wrongPass, "mallory", Identity.generate(), newSessionId());
  const entry = (g: GroupSession, id: number): Member => ({
    nick: g.nick,
    id,
    session: toHex(g.session),
    keyId: g.keyId,
    ...g.helloFields(),
  });
  assert.notEqual(mallory.keyId, ann.keyId);
  const a = ann.admit(entry(mallory, 2));
  assert.ok(a.kind === "ok" && a.peer.pair === null, "no pair keys with another passphrase");
  assert.equal(ann.shareFor(a.peer), null, "nothing of ann's is handed to mallory");
  const m = mallory.admit(entry(ann, 1));
  assert.ok(m.kind === "ok");
  const isBad = (e: unknown) => e instanceof CipherError && e.code === "bad-passphrase";
  assert.throws(() => ann.takeShare(2, new Uint8Array(100)), isBad);
  assert.throws(() => ann.openText("mallory", mallory.sealText(new Uint8Array([1]))), isBad);
  // Mallory, claiming ann's key id, derives other pair keys: her share does not open.
  const liar = new GroupSession(wrongPass, "liar", Identity.generate(), newSessionId());
  const forgedEntry = { ...entry(liar, 3), keyId: ann.keyId };
  const l = ann.admit(forgedEntry);
  assert.equal(l.kind, "unsigned", "the key id is signed: changing it breaks the entry");
});
