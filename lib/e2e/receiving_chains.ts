/**
 * The receiving chains a member keeps of another's sender chains (ratchet.ts), one
 * list for texts and one for voice: the current chain and the one before it, since
 * frames sealed under the old chain may still be in flight when a new one is
 * shared. Finding a message's key tells a replay, a message out of range and one
 * from before the chain's start apart.
 *
 * @module
 */

import { CipherError } from "../cipher.ts";
import type { MessageAt } from "./envelope.ts";
import { type ChainState, type FoundKey, ReceivingChain } from "./ratchet.ts";

/** Chains kept per sender and kind: the current one and the one before (frames in flight). */
const CHAINS_KEPT = 2;
/** How far a text chain may skip ahead, and how many skipped keys it keeps. */
export const TEXT_SKIP = { maxSkip: 2000, keep: 500 };
/** How far a voice chain may skip ahead, and how many skipped keys it keeps. */
export const VOICE_SKIP = { maxSkip: 1000, keep: 64 };

/** Adds a chain shared as `state`, unless one of its epoch is kept; drops the oldest beyond two. */
export function addChain(
  chains: ReceivingChain[],
  state: ChainState,
  o: { maxSkip: number; keep: number },
): void {
  if (chains.some((c) => c.epoch === state.epoch)) return;
  chains.push(new ReceivingChain(state, o.maxSkip, o.keep));
  while (chains.length > CHAINS_KEPT) chains.shift();
}

/**
 * The key of the message at `at` from `nick`: "no-key" when no chain of its epoch is
 * kept, "unreadable" when it predates the chain's start. Throws `replayed` for a
 * used key and `tampered` for one out of range.
 */
export function findKey(
  chains: ReceivingChain[],
  at: MessageAt,
  nick: string,
): FoundKey | "no-key" | "unreadable" {
  const chain = chains.find((c) => c.epoch === at.epoch);
  if (!chain) return "no-key";
  const found = chain.find(at.index);
  if (found === "consumed") {
    throw new CipherError("replayed", `a message from ${nick} was replayed`);
  }
  if (found === "too-far") {
    throw new CipherError("tampered", `a message from ${nick} is out of range`);
  }
  if (found === "before-start") return "unreadable";
  return found;
}
