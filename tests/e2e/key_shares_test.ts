// Numbering, replay checks and early keeping of key shares (lib/e2e/key_shares.ts),
// between two members with real pair keys.
import assert from "node:assert/strict";
import { CipherError, deriveRoomKey, newSessionId, toHex } from "../../lib/cipher.ts";
import { Identity } from "../../lib/e2e/identity.ts";
import { KeyShares } from "../../lib/e2e/key_shares.ts";
import { derivePairKeys, Ephemeral, type PairKeys } from "../../lib/e2e/pairwise.ts";
import type { Peer } from "../../lib/e2e/peer_roster.ts";
import { SendingChain } from "../../lib/e2e/ratchet.ts";

const key = await deriveRoomKey("correct horse", "lobby");

function side(nick: string, id: number) {
  const eph = new Ephemeral();
  const party = {
    session: newSessionId(),
    identity: Identity.generate().publicKey,
    ephemeral: eph.publicKey,
  };
  return { nick, id, eph, party };
}
type Side = ReturnType<typeof side>;

/** `of` as `to` sees it, with their pair keys. */
function peerOf(of: Side, to: Side): { peer: Peer; pair: PairKeys } {
  const pair = derivePairKeys(
    to.eph.agree(of.party.ephemeral),
    key.secret,
    "lobby",
    to.party,
    of.party,
  );
  const member = { nick: of.nick, id: of.id, session: toHex(of.party.session), keyId: "" };
  const peer = {
    member,
    session: of.party.session,
    identity: of.party.identity,
    pair,
    text: [],
    voice: [],
  };
  return { peer, pair };
}

const code = (c: string) => (err: unknown) => err instanceof CipherError && err.code === c;
const body = () => ({
  text: new SendingChain().sharePoint(),
  voice: new SendingChain().sharePoint(),
  request: true,
});

Deno.test("key shares: addressed to the member id, opened by the pair, a replay refused", () => {
  const a = side("alice", 0x0102);
  const b = side("bob", 7);
  const fromA = new KeyShares(a.party.session);
  const atB = new KeyShares(b.party.session);
  const bAtA = peerOf(b, a);
  const aAtB = peerOf(a, b);
  const sent = body();
  const first = fromA.seal(bAtA.peer, bAtA.pair, sent);
  assert.deepEqual([first[0], first[1]], [0, 7], "u16 recipient id first");
  const opened = atB.open(aAtB.peer, aAtB.pair, first.subarray(2));
  assert.deepEqual(opened.text.key, sent.text.key);
  assert.equal(opened.request, true);
  assert.throws(() => atB.open(aAtB.peer, aAtB.pair, first.subarray(2)), code("replayed"));
  const second = fromA.seal(bAtA.peer, bAtA.pair, body());
  second[second.length - 1] ^= 1;
  assert.throws(() => atB.open(aAtB.peer, aAtB.pair, second.subarray(2)), code("forged"));
});

Deno.test("key shares: shares before their sender's entry are kept, handed out once", () => {
  const shares = new KeyShares(newSessionId());
  shares.keepEarly(5, Uint8Array.of(1));
  shares.keepEarly(5, Uint8Array.of(2));
  assert.deepEqual(shares.takeEarly(5), [Uint8Array.of(1), Uint8Array.of(2)]);
  assert.deepEqual(shares.takeEarly(5), []);
  shares.keepEarly(6, Uint8Array.of(3));
  shares.forgetEarly();
  assert.deepEqual(shares.takeEarly(6), []);
});
