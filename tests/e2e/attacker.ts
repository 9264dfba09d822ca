/**
 * An attacker program for the forward-secrecy tests: given the bytes recorded
 * on one client's connection (relay → client), it tries to open every text
 * and every voice frame with what it is given. With the passphrase and identity files only, it
 * tries the room key as the old per-session sender key and as the pairwise
 * secret; with a member's in-memory key-agreement key it can open that
 * member's key shares, so the test shows it does decrypt then.
 *
 * @module
 */

import { deriveRoomKey, fromHex } from "../../lib/cipher.ts";
import { Opener } from "../../bench/legacy_envelope.ts";
import { FrameDecoder } from "../../lib/framing.ts";
import {
  decodeJson,
  FrameType,
  type Member,
  splitKeyShare,
  splitListenerVoice,
  splitNickStamp,
  type Welcome,
} from "../../lib/protocol.ts";
import { openShare, openText, openVoice, textHeader, voiceAt } from "../../lib/e2e/envelope.ts";
import { derivePairKeys, type Ephemeral, type PairParty } from "../../lib/e2e/pairwise.ts";
import { ReceivingChain } from "../../lib/e2e/ratchet.ts";
import { createHash } from "node:crypto";

function party(m: Member): PairParty {
  return {
    session: fromHex(m.session),
    identity: fromHex(m.identity ?? ""),
    ephemeral: fromHex(m.ephemeral ?? ""),
  };
}

/** What the attacker opened: texts, and voice frames by talker. */
export interface Opened {
  /** Texts opened. */
  texts: string[];
  /** Voice frames opened, per talker's nick. */
  voice: Record<string, number>;
  /** Voice frames seen on the recording, opened or not. */
  voiceSeen: number;
}

/** What of `downstream` the attacker opens; `identityFiles` are PEM texts. */
export async function attack(
  downstream: Uint8Array,
  o: { passphrase: string; room: string; identityFiles: string[]; ephemeral?: Ephemeral },
): Promise<Opened> {
  const key = await deriveRoomKey(o.passphrase, o.room);
  const v1 = new Opener(key);
  const frames = new FrameDecoder(1 << 20).push(downstream);
  const members = new Map<number, Member>();
  const chains = new Map<string, ReceivingChain[]>();
  const voiceChains = new Map<string, ReceivingChain[]>();
  let self: Member | null = null;
  const opened: string[] = [];
  const voice: Record<string, number> = {};
  let voiceSeen = 0;
  // Everything the attacker holds that could stand for a pairwise secret.
  const secrets = [
    key.secret,
    ...o.identityFiles.map((pem) => createHash("sha256").update(pem).digest()),
  ]
    .map((s) => new Uint8Array(s));
  for (const f of frames) {
    if (f.type === FrameType.Welcome) {
      const w = decodeJson<Welcome>(f.payload);
      self = w.self;
      for (const m of w.members) members.set(m.id, m);
    } else if (f.type === FrameType.Joined) {
      const m = decodeJson<Member>(f.payload);
      members.set(m.id, m);
    } else if (f.type === FrameType.KeyShare && self) {
      const { from, body } = splitKeyShare(f.payload);
      const sender = members.get(from);
      if (!sender?.ephemeral) continue;
      const shared = o.ephemeral ? [o.ephemeral.agree(fromHex(sender.ephemeral))] : secrets;
      for (const s of shared) {
        const pair = derivePairKeys(s, key.secret, o.room, party(self), party(sender));
        try {
          const share = openShare(
            pair.shareIn,
            fromHex(sender.session),
            fromHex(self.session),
            body,
          );
          const list = chains.get(sender.session) ?? [];
          list.push(new ReceivingChain(share.body.text, 5000, 5000));
          chains.set(sender.session, list);
          const vlist = voiceChains.get(sender.session) ?? [];
          vlist.push(new ReceivingChain(share.body.voice, 5000, 5000));
          voiceChains.set(sender.session, vlist);
        } catch {
          // Not this secret.
        }
      }
    } else if (f.type === FrameType.Voice) {
      voiceSeen++;
      const { id, sealed } = splitListenerVoice(f.payload);
      const talker = members.get(id);
      if (!talker) continue;
      try {
        v1.openVoice(talker, sealed);
        voice[talker.nick] = (voice[talker.nick] ?? 0) + 1;
        continue;
      } catch {
        // Not the passphrase-derived sender key.
      }
      try {
        const at = voiceAt(sealed);
        for (const c of voiceChains.get(talker.session) ?? []) {
          if (c.epoch !== at.epoch) continue;
          const found = c.find(at.index);
          if (typeof found === "string") continue;
          try {
            openVoice(found.mk, fromHex(talker.session), at, o.room, talker.nick, sealed);
            found.commit();
            voice[talker.nick] = (voice[talker.nick] ?? 0) + 1;
          } catch {
            // Another chain.
          }
        }
      } catch {
        // Malformed.
      }
    } else if (f.type === FrameType.Text) {
      const { nick, sealed } = splitNickStamp(f.payload);
      try {
        opened.push(new TextDecoder().decode(v1.openText(nick, sealed).plain));
        continue;
      } catch {
        // Not the passphrase-derived sender key.
      }
      try {
        const h = textHeader(sealed);
        for (
          const c of chains.get(
            [...h.session].map((b) => b.toString(16).padStart(2, "0")).join(""),
          ) ?? []
        ) {
          const found = c.find(h.index);
          if (typeof found === "string") continue;
          try {
            opened.push(new TextDecoder().decode(openText(found.mk, h, o.room, nick, sealed).body));
            found.commit();
          } catch {
            // Another chain.
          }
        }
      } catch {
        // Malformed.
      }
    }
  }
  return { texts: opened, voice, voiceSeen };
}
