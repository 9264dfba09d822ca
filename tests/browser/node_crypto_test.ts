// The browser's stand-in for node:crypto (lib/browser/node_crypto.ts) against
// the real node:crypto: the same bytes out for the same bytes in. AES and keys
// are tested in node_crypto_aes_test.ts and node_crypto_keys_test.ts.
import assert from "node:assert/strict";
import * as node from "node:crypto";
import * as web from "../../lib/browser/node_crypto.ts";

const rand = (n: number) => new Uint8Array(node.randomBytes(n));

Deno.test("scrypt, HKDF, HMAC and SHA-512 give node's bytes", async () => {
  const o = { N: 1024, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
  const expect = new Uint8Array(node.scryptSync("pässword", "salt/room", 32, o));
  const got = await new Promise<Uint8Array>((resolve, reject) =>
    web.scrypt("pässword", "salt/room", 32, o, (err, key) => err ? reject(err) : resolve(key))
  );
  assert.deepEqual(got, expect);
  const ikm = rand(32), salt = rand(32), info = rand(40);
  assert.deepEqual(
    new Uint8Array(web.hkdfSync("sha256", ikm, salt, info, 128)),
    new Uint8Array(node.hkdfSync("sha256", ikm, salt, info, 128)),
  );
  assert.deepEqual(
    new Uint8Array(web.hkdfSync("sha256", ikm, new Uint8Array(0), "key-id", 8)),
    new Uint8Array(node.hkdfSync("sha256", ikm, new Uint8Array(0), "key-id", 8)),
  );
  const key = rand(32), msg = rand(100);
  assert.deepEqual(
    web.createHmac("sha256", web.createSecretKey(key)).update(msg).digest(),
    new Uint8Array(node.createHmac("sha256", key).update(msg).digest()),
  );
  assert.deepEqual(
    web.createHash("sha512").update(msg).update(key).digest(),
    new Uint8Array(node.createHash("sha512").update(msg).update(key).digest()),
  );
});
