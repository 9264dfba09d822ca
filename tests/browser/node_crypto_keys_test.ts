// The browser's keys (lib/browser/node_crypto_keys.ts) against the real
// node:crypto: each side verifies and agrees with what the other made, and an
// identity's PEM form is the same.
import assert from "node:assert/strict";
import * as node from "node:crypto";
import * as web from "../../lib/browser/node_crypto_keys.ts";

const enc = new TextEncoder();

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
