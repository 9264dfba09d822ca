// The browser's AES (lib/browser/node_crypto_aes.ts) against the real
// node:crypto: the same bytes out for the same bytes in, and each side opens
// what the other sealed.
import assert from "node:assert/strict";
import * as node from "node:crypto";
import * as web from "../../lib/browser/node_crypto_aes.ts";

const rand = (n: number) => new Uint8Array(node.randomBytes(n));

for (const tagLen of [16, 8]) {
  Deno.test(`AES-256-GCM with ${tagLen}-byte tags: each side opens the other's`, () => {
    const key = rand(32), iv = rand(12), aad = rand(30), plain = rand(77);
    const c = node.createCipheriv("aes-256-gcm", key, iv, { authTagLength: tagLen });
    c.setAAD(aad);
    const body = new Uint8Array(c.update(plain));
    c.final();
    const tag = new Uint8Array(c.getAuthTag());
    const w = web.createCipheriv("aes-256-gcm", key, iv, { authTagLength: tagLen });
    w.setAAD(aad);
    assert.deepEqual(w.update(plain), body);
    w.final();
    assert.deepEqual(w.getAuthTag(), tag);
    const d = web.createDecipheriv("aes-256-gcm", key, iv, { authTagLength: tagLen });
    d.setAAD(aad);
    d.setAuthTag(tag);
    assert.deepEqual(d.update(body), plain);
    d.final();
    for (
      const [what, b, t, a] of [
        ["body", body.map((x, i) => i === 3 ? x ^ 1 : x), tag, aad],
        ["tag", body, tag.map((x, i) => i === 0 ? x ^ 1 : x), aad],
        ["aad", body, tag, aad.map((x, i) => i === 5 ? x ^ 1 : x)],
      ] as const
    ) {
      const bad = web.createDecipheriv("aes-256-gcm", key, iv, { authTagLength: tagLen });
      bad.setAAD(a);
      bad.setAuthTag(t);
      bad.update(b);
      assert.throws(() => bad.final(), `a changed ${what} fails`);
    }
  });
}

Deno.test("AES-256-ECB on whole blocks gives node's bytes", () => {
  const key = rand(32), blocks = rand(48);
  const c = node.createCipheriv("aes-256-ecb", key, null);
  c.setAutoPadding(false);
  const w = web.createCipheriv("aes-256-ecb", key, null);
  w.setAutoPadding(false);
  assert.deepEqual(w.update(blocks), new Uint8Array(c.update(blocks)));
  assert.deepEqual(
    w.update(blocks.subarray(0, 16)),
    new Uint8Array(c.update(blocks.subarray(0, 16))),
  );
});
