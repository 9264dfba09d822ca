// The browser's stand-in for node:crypto (lib/browser/node_crypto.ts) against
// the real node:crypto: the same bytes out for the same bytes in, and each
// side opens, verifies and agrees with what the other made.
import assert from "node:assert/strict";
import * as node from "node:crypto";
import * as web from "../../lib/browser/node_crypto.ts";

const enc = new TextEncoder();
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

Deno.test("Ed25519 and X25519 keys interoperate with node's", () => {
  const mine = web.generateKeyPairSync("ed25519");
  const theirs = node.generateKeyPairSync("ed25519");
  const msg = enc.encode("member entry");
  const sig = web.sign(null, msg, mine.privateKey);
  const myJwk = web.createPublicKey(mine.privateKey).export({ format: "jwk" });
  const nodePub = node.createPublicKey({ key: myJwk, format: "jwk" });
  assert.ok(node.verify(null, msg, nodePub, sig));
  const theirSig = new Uint8Array(node.sign(null, msg, theirs.privateKey));
  const theirJwk = theirs.publicKey.export({ format: "jwk" }) as {
    kty: string;
    crv: string;
    x: string;
  };
  const pub = web.createPublicKey({ key: theirJwk, format: "jwk" });
  assert.ok(web.verify(null, msg, pub, theirSig));
  assert.ok(!web.verify(null, enc.encode("other"), pub, theirSig));
  assert.ok(!web.verify(null, msg, pub, new Uint8Array(64)));

  const a = web.generateKeyPairSync("x25519");
  const b = node.generateKeyPairSync("x25519");
  const aJwk = a.publicKey.export({ format: "jwk" });
  const bJwk = b.publicKey.export({ format: "jwk" }) as { kty: string; crv: string; x: string };
  const fromWeb = web.diffieHellman({
    privateKey: a.privateKey,
    publicKey: web.createPublicKey({ key: bJwk, format: "jwk" }),
  });
  const fromNode = new Uint8Array(node.diffieHellman({
    privateKey: b.privateKey,
    publicKey: node.createPublicKey({ key: aJwk, format: "jwk" }),
  }));
  assert.deepEqual(fromWeb, fromNode);
  const zero = web.createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: "A".repeat(43) },
    format: "jwk",
  });
  assert.throws(() => web.diffieHellman({ privateKey: a.privateKey, publicKey: zero }));
});

Deno.test("an identity's PKCS#8 PEM form is node's, both ways", () => {
  const theirs = node.generateKeyPairSync("ed25519");
  const pem = String(theirs.privateKey.export({ format: "pem", type: "pkcs8" }));
  const key = web.createPrivateKey(pem);
  assert.equal(key.asymmetricKeyType, "ed25519");
  assert.equal(key.export({ format: "pem", type: "pkcs8" }), pem);
  // Ed25519 is deterministic: the same key signs the same bytes alike on both sides.
  const msg = enc.encode("text envelope");
  assert.deepEqual(
    web.sign(null, msg, key),
    new Uint8Array(node.sign(null, msg, theirs.privateKey)),
  );
  const mine = web.generateKeyPairSync("ed25519").privateKey;
  const back = node.createPrivateKey(mine.export({ format: "pem", type: "pkcs8" }));
  assert.deepEqual(new Uint8Array(node.sign(null, msg, back)), web.sign(null, msg, mine));
  const x = String(
    node.generateKeyPairSync("x25519").privateKey.export({
      format: "pem",
      type: "pkcs8",
    }),
  );
  assert.throws(() => web.createPrivateKey(x), /not an Ed25519/);
  assert.throws(() => web.createPrivateKey("junk"), TypeError);
});
