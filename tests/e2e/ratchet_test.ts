// Sender-key hash ratchets (lib/e2e/ratchet.ts): pure state, no I/O.
import assert from "node:assert/strict";
import {
  CHAIN_KEY_BYTES,
  ReceivingChain,
  SendingChain,
  SHARE_POINT_MS,
} from "../../lib/e2e/ratchet.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function open(chain: ReceivingChain, index: number): Uint8Array {
  const found = chain.find(index);
  assert.ok(typeof found !== "string", `key for ${index}: ${String(found)}`);
  found.commit();
  return found.mk;
}

Deno.test("ratchet: the receiver derives the sender's keys in order, each distinct", () => {
  const s = new SendingChain();
  const r = new ReceivingChain(s.sharePoint(), 100, 10);
  const seen = new Set<string>();
  for (let i = 1; i <= 20; i++) {
    const { index, mk, epoch } = s.next();
    assert.equal(index, i);
    assert.equal(epoch, 0);
    assert.equal(mk.length, CHAIN_KEY_BYTES);
    assert.equal(hex(open(r, index)), hex(mk));
    seen.add(hex(mk));
  }
  assert.equal(seen.size, 20, "no key repeats");
});

Deno.test("ratchet: forward only: a used key is erased, a replay is refused", () => {
  const s = new SendingChain();
  const r = new ReceivingChain(s.sharePoint(), 100, 10);
  const first = s.next();
  open(r, first.index);
  assert.equal(r.find(first.index), "consumed", "the same number again");
  // A later state opens nothing before it: the chain only goes forward.
  s.next();
  const later = new ReceivingChain(s.sharePoint(Date.now() + SHARE_POINT_MS + 1), 100, 10);
  assert.equal(later.find(first.index), "before-start");
  assert.equal(later.find(2), "before-start");
  assert.ok(typeof later.find(3) !== "string");
});

Deno.test("ratchet: nothing changes until commit (a forged message cannot advance the chain)", () => {
  const s = new SendingChain();
  const r = new ReceivingChain(s.sharePoint(), 100, 10);
  const a = s.next();
  const b = s.next();
  const peek = r.find(b.index);
  assert.ok(typeof peek !== "string");
  // Not committed: message 1 still opens, and 2 again too.
  assert.equal(hex(open(r, a.index)), hex(a.mk));
  assert.equal(hex(open(r, b.index)), hex(b.mk));
});

Deno.test("ratchet: skipped keys are kept (bounded) for late messages; jumps too far are refused", () => {
  const s = new SendingChain();
  const r = new ReceivingChain(s.sharePoint(), 50, 3);
  const msgs = Array.from({ length: 10 }, () => s.next());
  open(r, 10); // skips 1..9: only the 3 newest skipped keys are kept
  assert.equal(hex(open(r, 9)), hex(msgs[8].mk));
  assert.equal(hex(open(r, 7)), hex(msgs[6].mk));
  assert.equal(r.find(6), "consumed", "beyond keepSkipped: erased");
  assert.equal(r.find(9), "consumed", "a late key, once used, is erased too");
  assert.equal(r.find(10 + 1 + 50 + 1), "too-far");
  assert.ok(typeof r.find(10 + 1 + 50) !== "string", "exactly maxSkip ahead is fine");
});

Deno.test("ratchet: rotation starts an unrelated chain under the next epoch; numbers go on", () => {
  const s = new SendingChain();
  const old = new ReceivingChain(s.sharePoint(), 100, 10);
  s.next();
  s.rotate();
  assert.equal(s.epoch, 1);
  const point = s.sharePoint();
  assert.deepEqual([point.epoch, point.index], [1, 2]);
  const m = s.next();
  assert.deepEqual([m.epoch, m.index], [1, 2]);
  // The old chain's key for number 2 is not the new one: a member who left keeps only the old.
  const oldKey = old.find(2);
  assert.ok(typeof oldKey !== "string");
  assert.notEqual(hex(oldKey.mk), hex(m.mk));
  const fresh = new ReceivingChain(point, 100, 10);
  assert.equal(hex(open(fresh, 2)), hex(m.mk));
});

Deno.test("ratchet: the share point stays put for the history span, then moves up", () => {
  const t0 = 1_000_000;
  const s = new SendingChain(1, t0);
  for (let i = 0; i < 5; i++) s.next();
  assert.equal(s.sharePoint(t0 + SHARE_POINT_MS).index, 1, "within the span: from the start");
  assert.equal(s.sharePoint(t0 + SHARE_POINT_MS + 1).index, 6, "after it: from now on");
  // The point handed out does not alias the live chain key.
  const p = s.sharePoint(t0 + SHARE_POINT_MS + 1);
  const r = new ReceivingChain(p, 10, 10);
  const m = s.next();
  assert.equal(hex(open(r, m.index)), hex(m.mk));
});
