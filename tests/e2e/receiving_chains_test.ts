// A sender's receiving chains (lib/e2e/receiving_chains.ts): pure.
import assert from "node:assert/strict";
import { CipherError } from "../../lib/cipher.ts";
import { addChain, findKey, TEXT_SKIP } from "../../lib/e2e/receiving_chains.ts";
import type { ChainState, FoundKey, ReceivingChain } from "../../lib/e2e/ratchet.ts";

const state = (epoch: number, index = 1): ChainState => ({
  epoch,
  index,
  key: new Uint8Array(32).fill(epoch + 1),
});
const code = (c: string) => (err: unknown) => err instanceof CipherError && err.code === c;

Deno.test("receiving chains: one per epoch, the current and the one before", () => {
  const chains: ReceivingChain[] = [];
  addChain(chains, state(0), TEXT_SKIP);
  addChain(chains, state(0, 9), TEXT_SKIP);
  assert.deepEqual(chains.map((c) => [c.epoch, c.start]), [[0, 1]], "an epoch already kept");
  addChain(chains, state(1), TEXT_SKIP);
  addChain(chains, state(2), TEXT_SKIP);
  assert.deepEqual(chains.map((c) => c.epoch), [1, 2], "the oldest goes beyond two");
});

Deno.test("receiving chains: a key is found once; no chain, before start, replay and too far are told apart", () => {
  const chains: ReceivingChain[] = [];
  addChain(chains, state(3, 10), { maxSkip: 5, keep: 4 });
  assert.equal(findKey(chains, { epoch: 4, index: 10 }, "bob"), "no-key");
  assert.equal(findKey(chains, { epoch: 3, index: 9 }, "bob"), "unreadable");
  const found = findKey(chains, { epoch: 3, index: 12 }, "bob") as FoundKey;
  assert.equal(found.mk.length, 32);
  found.commit();
  assert.throws(() => findKey(chains, { epoch: 3, index: 12 }, "bob"), code("replayed"));
  assert.throws(() => findKey(chains, { epoch: 3, index: 40 }, "bob"), code("tampered"));
  const skipped = findKey(chains, { epoch: 3, index: 11 }, "bob") as FoundKey;
  assert.equal(skipped.mk.length, 32, "a skipped message's key is kept");
});
