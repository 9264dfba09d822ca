/**
 * One member's end-to-end state in a room, after Signal's Sender Keys: each
 * member seals what it sends under its own sender chains (one for texts, one
 * for voice; see ratchet.ts) and hands the chain states to every other member
 * over a pairwise channel (see pairwise.ts). Texts are signed with the
 * sender's identity key; voice frames carry, for each listener, a short tag
 * under the pair's key. So a member who holds everyone's sender keys can read
 * everything but pass as nobody else. When a member leaves, every member
 * starts fresh random chains and shares them only with those who remain.
 *
 * Pure state over bytes: the caller sends what it returns and reports events.
 *
 * @module
 */

import { CipherError, fromHex, type RoomKey, toHex } from "../cipher.ts";
import { encodeTaggedVoice, type Member } from "../protocol.ts";
import { openText, openVoice, sealText, sealVoice, textHeader, voiceAt } from "./envelope.ts";
import { type Identity, verifySignature } from "./identity.ts";
import { derivePairKeys, Ephemeral, memberEntryBytes, type PairKeys } from "./pairwise.ts";
import { SendingChain } from "./ratchet.ts";
import { type Peer, PeerRoster } from "./peer_roster.ts";
import { addChain, findKey, TEXT_SKIP, VOICE_SKIP } from "./receiving_chains.ts";
import { KeyShares } from "./key_shares.ts";
import { voiceDigest } from "./voice_tag.ts";

export type { Peer } from "./peer_roster.ts";

/** What became of a member entry the relay announced. */
export type Admission =
  | { kind: "self" }
  | { kind: "unsigned" }
  | { kind: "ok"; peer: Peer; fresh: boolean };

/** An opened text, or why it waits. */
export type TextResult =
  | { kind: "ok"; body: Uint8Array; peer: Peer }
  | { kind: "no-key"; session: string }
  | { kind: "unreadable" };

/** Most listener tags on one voice frame (the wire format's count byte). */
export const MAX_VOICE_TAGS = 255;

/** The end-to-end state of one member in one room. */
export class GroupSession {
  /** Room name. */
  readonly room: string;
  /** Own nick. */
  readonly nick: string;
  /** Own session id. */
  readonly session: Uint8Array;
  /** Own identity. */
  readonly identity: Identity;
  /** This run's key-agreement key pair (memory only). */
  readonly ephemeral = new Ephemeral();
  readonly #roomKey: RoomKey;
  readonly #text = new SendingChain();
  readonly #voice = new SendingChain();
  readonly #peers = new PeerRoster();
  readonly #shares: KeyShares;

  /** State for `nick` in the room of `roomKey`. */
  constructor(roomKey: RoomKey, nick: string, identity: Identity, session: Uint8Array) {
    this.room = roomKey.room;
    this.#roomKey = roomKey;
    this.nick = nick;
    this.identity = identity;
    this.session = session;
    this.#shares = new KeyShares(session);
  }

  /** Hex key id of the room key. */
  get keyId(): string {
    return toHex(this.#roomKey.keyId);
  }

  /** The identity, key-agreement key and signature this member's hello carries, hex. */
  helloFields(): { identity: string; ephemeral: string; sig: string } {
    const self = {
      session: this.session,
      identity: this.identity.publicKey,
      ephemeral: this.ephemeral.publicKey,
    };
    const sig = this.identity.sign(
      memberEntryBytes(this.room, this.nick, self, this.#roomKey.keyId),
    );
    return {
      identity: toHex(self.identity),
      ephemeral: toHex(self.ephemeral),
      sig: toHex(sig),
    };
  }

  /** Known members with keys, by nick. */
  peerByNick(nick: string): Peer | undefined {
    return this.#peers.byNick(nick);
  }

  /** Every known member. */
  peers(): Peer[] {
    return this.#peers.all();
  }

  /** Takes a member entry: checks its signature and sets up the pair's keys. */
  admit(m: Member): Admission {
    if (m.session === toHex(this.session)) return { kind: "self" };
    if (!m.identity || !m.ephemeral || !m.sig) return { kind: "unsigned" };
    const party = {
      session: fromHex(m.session),
      identity: fromHex(m.identity),
      ephemeral: fromHex(m.ephemeral),
    };
    const signed = memberEntryBytes(this.room, m.nick, party, fromHex(m.keyId));
    if (!verifySignature(party.identity, signed, fromHex(m.sig))) return { kind: "unsigned" };
    const known = this.#peers.bySession(m.session);
    if (known && known.member.identity === m.identity && known.member.ephemeral === m.ephemeral) {
      // The same run of that client, back after a lost connection: keep its chains.
      // Its old id may belong to another member by now: drop it only if still its own.
      this.#peers.rebind(known, m);
      return { kind: "ok", peer: known, fresh: false };
    }
    if (known) this.remove(known.member);
    let pair: PairKeys | null = null;
    if (m.keyId === this.keyId) {
      try {
        const shared = this.ephemeral.agree(party.ephemeral);
        const me = {
          session: this.session,
          identity: this.identity.publicKey,
          ephemeral: this.ephemeral.publicKey,
        };
        pair = derivePairKeys(shared, this.#roomKey.secret, this.room, me, party);
      } catch {
        return { kind: "unsigned" };
      }
    }
    const peer: Peer = {
      member: m,
      session: party.session,
      identity: party.identity,
      pair,
      text: [],
      voice: [],
    };
    this.#peers.add(peer);
    return { kind: "ok", peer, fresh: true };
  }

  /**
   * Forgets every member id and the shares kept by id: ids are the relay's,
   * given per connection, and a restarted relay hands them out afresh (old
   * ids then name other members). The next welcome brings them back.
   */
  forgetIds(): void {
    this.#peers.forgetIds();
    this.#shares.forgetEarly();
  }

  /** Shares that arrived before `peer`'s entry, to be taken now. */
  takeEarlyShares(peer: Peer): Uint8Array[] {
    return this.#shares.takeEarly(peer.member.id);
  }

  /** Forgets a member (its keys are dropped); returns whether it was known. */
  remove(m: Member): boolean {
    return this.#peers.remove(m);
  }

  /** Starts fresh sender chains (someone left and must not read what follows). */
  rotate(): void {
    this.#text.rotate();
    this.#voice.rotate();
  }

  /**
   * A key share for `peer` (`u16 to` + sealed), or null when it has no pair
   * keys. With `request`, it also asks `peer` to send its own keys again (a
   * text came under a chain of `peer`'s this member has no key for).
   */
  shareFor(peer: Peer, request = false): Uint8Array | null {
    if (!peer.pair) return null;
    return this.#shares.seal(peer, peer.pair, {
      text: this.#text.sharePoint(),
      voice: this.#voice.sharePoint(),
      request,
    });
  }

  /**
   * Takes a key share relayed from member `fromId`. Returns the peer whose
   * chains it brought and whether it asks for this member's keys again, null
   * when the sender is not known yet (kept for later), or throws:
   * `bad-passphrase`, `forged` (it does not open), `replayed`.
   */
  takeShare(fromId: number, body: Uint8Array): { peer: Peer; request: boolean } | null {
    const peer = this.#peers.byId(fromId);
    if (!peer) {
      this.#shares.keepEarly(fromId, body);
      return null;
    }
    if (!peer.pair) {
      throw new CipherError("bad-passphrase", `${peer.member.nick} uses a different passphrase`);
    }
    const share = this.#shares.open(peer, peer.pair, body);
    addChain(peer.text, share.text, TEXT_SKIP);
    addChain(peer.voice, share.voice, VOICE_SKIP);
    return { peer, request: share.request };
  }

  /** Seals a text body: signed, under the next text key. */
  sealText(body: Uint8Array): Uint8Array {
    const { mk, ...at } = this.#text.next();
    return sealText(
      mk,
      this.session,
      at,
      this.room,
      this.nick,
      body,
      (d) => this.identity.sign(d),
    );
  }

  /** The known member whose session is `hex`, if any. */
  peerBySession(hex: string): Peer | undefined {
    return this.#peers.bySession(hex);
  }

  /** Opens a text relayed with `nick` stamped on it; throws `tampered`, `forged`, `replayed`. */
  openText(nick: string, sealed: Uint8Array): TextResult {
    const h = textHeader(sealed);
    const sessionHex = toHex(h.session);
    const peer = this.#peers.bySession(sessionHex);
    if (!peer) return { kind: "no-key", session: sessionHex };
    if (peer.member.nick !== nick) {
      throw new CipherError("forged", `a text from ${peer.member.nick}'s session came as ${nick}`);
    }
    if (!peer.pair) {
      throw new CipherError("bad-passphrase", `${nick}'s messages use a different passphrase`);
    }
    const found = findKey(peer.text, h, nick);
    if (found === "no-key") return { kind: "no-key", session: sessionHex };
    if (found === "unreadable") return { kind: "unreadable" };
    const opened = openText(found.mk, h, this.room, nick, sealed);
    if (!verifySignature(peer.identity, opened.signed, opened.sig)) {
      throw new CipherError("forged", `a text said to be from ${nick} is not signed by ${nick}`);
    }
    found.commit();
    return { kind: "ok", body: opened.body, peer };
  }

  /** Seals a voice packet and tags it for every member with pair keys. */
  sealVoice(packet: Uint8Array): Uint8Array {
    const { mk, ...at } = this.#voice.next();
    const sealed = sealVoice(mk, this.session, at, this.room, this.nick, packet);
    const tags: [number, Uint8Array][] = [];
    const digest = voiceDigest(sealed);
    for (const p of this.#peers.all()) {
      if (p.pair && tags.length < MAX_VOICE_TAGS) {
        tags.push([p.member.id, p.pair.tagOut.tag(digest)]);
      }
    }
    return encodeTaggedVoice(tags, sealed);
  }

  /**
   * Opens a voice frame from member `fromId` with this listener's `tag`; null
   * when there is no key for it (yet). Throws `tampered`, `forged`, `replayed`.
   */
  openVoice(
    fromId: number,
    tag: Uint8Array,
    sealed: Uint8Array,
  ): { plain: Uint8Array; index: number; peer: Peer } | null {
    const peer = this.#peers.byId(fromId);
    if (!peer) return null;
    const nick = peer.member.nick;
    if (!peer.pair) {
      throw new CipherError("bad-passphrase", `${nick}'s voice uses a different passphrase`);
    }
    const at = voiceAt(sealed);
    const found = findKey(peer.voice, at, nick);
    if (typeof found === "string") return null;
    const plain = openVoice(found.mk, peer.session, at, this.room, nick, sealed);
    if (!peer.pair.tagIn.valid(voiceDigest(sealed), tag)) {
      throw new CipherError("forged", `a voice frame said to be from ${nick} is not`);
    }
    found.commit();
    return { plain, index: at.index, peer };
  }
}
