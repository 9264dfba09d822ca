// The known_relays file and fingerprints as pure data: what is pinned, what is
// skipped, and how a user may write a fingerprint.
import assert from "node:assert/strict";
import {
  findKnownRelay,
  formatKnownRelay,
  knownRelaysPath,
  parseKnownRelays,
} from "../../lib/client/known_relays.ts";
import { fingerprintOf, parseFingerprint } from "../../lib/tls/mod.ts";

const certA = crypto.getRandomValues(new Uint8Array(300));
const certB = crypto.getRandomValues(new Uint8Array(280));

Deno.test("known_relays: lines round-trip, the first entry for an address wins", () => {
  const text = [
    "# pinned relays",
    formatKnownRelay("relay.example:9001", certA),
    "",
    formatKnownRelay("127.0.0.1:9001", certB),
    formatKnownRelay("relay.example:9001", certB),
  ].join("\n");
  const entries = parseKnownRelays(text);
  assert.equal(entries.length, 3);
  const a = findKnownRelay(entries, "relay.example:9001")!;
  assert.equal(a.fingerprint, fingerprintOf(certA));
  assert.equal(a.line, 2, "line numbers count comments and blank lines");
  assert.match(a.certPem, /^-----BEGIN CERTIFICATE-----\n/);
  assert.equal(findKnownRelay(entries, "127.0.0.1:9001")!.line, 4);
  assert.equal(findKnownRelay(entries, "127.0.0.1:9002"), undefined);
});

Deno.test("known_relays: a damaged line pins nothing", () => {
  const good = formatKnownRelay("h:1", certA);
  const [addr, fp, cert] = good.split(" ");
  const text = [
    `${addr} ${fp} ${cert.slice(0, -8)}AAAAAAAA`, // certificate does not match its fingerprint
    `${addr} ${fp}`, // no certificate
    `${addr} ${fp} !!!notbase64`,
  ].join("\n");
  assert.deepEqual(parseKnownRelays(text), []);
});

Deno.test("known_relays path: XDG_CONFIG_HOME, else ~/.config, else none", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assert.equal(knownRelaysPath(env({ XDG_CONFIG_HOME: "/x", HOME: "/h" })), "/x/am/known_relays");
  assert.equal(knownRelaysPath(env({ HOME: "/h" })), "/h/.config/am/known_relays");
  assert.equal(knownRelaysPath(env({})), null);
});

Deno.test("fingerprints: SHA256:base64 as SSH prints it; hex with colons accepted", () => {
  const fp = fingerprintOf(certA);
  assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(parseFingerprint(fp), fp);
  assert.equal(parseFingerprint(fp.slice(7)), fp, "without the prefix");
  assert.equal(parseFingerprint(`${fp}=`), fp, "with padding");
  const hex = Array.from(
    atob(fp.slice(7) + "="),
    (c) => c.charCodeAt(0).toString(16).padStart(2, "0"),
  );
  assert.equal(parseFingerprint(hex.join(":").toUpperCase()), fp);
  assert.equal(parseFingerprint(hex.join("")), fp);
  for (const bad of ["", "SHA256:", "SHA256:abc", hex.slice(1).join(":"), "zz".repeat(32)]) {
    assert.equal(parseFingerprint(bad), null, bad);
  }
});
