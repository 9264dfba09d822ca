// A relay with a certificate from a private CA (--tls-cert/--tls-key), and a
// client that trusts that CA (--ca): it verifies; an expired certificate and
// one made out for another host are refused with a message that says so.
import assert from "node:assert/strict";
import { ClientProcess, RelayProcess, testDir } from "../support/harness.ts";
import {
  type CertificateAuthority,
  makeCertificateAuthority,
  makeServerCertificate,
  type Validity,
} from "../../lib/tls/certificates.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const DAY = 86_400_000;

/** Starts a relay serving a certificate for `names` signed by `ca`. */
async function relayWith(ca: CertificateAuthority, names: string[], validity?: Validity) {
  const dir = testDir("cert-");
  const cert = await makeServerCertificate(ca, names, validity);
  await Deno.writeTextFile(`${dir}/cert.pem`, cert.certPem);
  await Deno.writeTextFile(`${dir}/key.pem`, cert.keyPem);
  return await RelayProcess.start([
    "--tls-cert",
    `${dir}/cert.pem`,
    "--tls-key",
    `${dir}/key.pem`,
  ]);
}

/** Runs a client with `--ca`; returns it after it ended (refused) or got ready. */
async function clientWithCa(relay: RelayProcess, caFile: string, expectReady: boolean) {
  const c = ClientProcess.start(relay.port, { nick: "c", args: ["--ca", caFile] });
  if (expectReady) {
    await c.ready();
    await c.finish();
  } else assert.equal((await c.finish()).code, 1);
  return c;
}

Deno.test(
  "--ca: a private CA's certificate verifies; expired or wrong-host is refused",
  opts,
  async () => {
    const ca = await makeCertificateAuthority("Test private CA");
    const caFile = `${testDir("ca-")}/ca.pem`;
    await Deno.writeTextFile(caFile, ca.certPem);

    const good = await relayWith(ca, ["127.0.0.1"]);
    const ok = await clientWithCa(good, caFile, true);
    assert.ok(!ok.events.some((e) => e.event === "notice"), "a CA-verified relay is not pinned");
    await good.stop();

    const expired = await relayWith(ca, ["127.0.0.1"], {
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const e1 = (await clientWithCa(expired, caFile, false)).events.find((e) => e.event === "error");
    assert.ok(e1?.event === "error" && e1.code === "tls-failed", JSON.stringify(e1));
    assert.match(e1.message, /has expired or is not valid yet/);
    assert.doesNotMatch(expired.logs, / join /);
    await expired.stop();

    const elsewhere = await relayWith(ca, ["relay.elsewhere.example"]);
    const e2 = (await clientWithCa(elsewhere, caFile, false)).events.find((e) =>
      e.event === "error"
    );
    assert.ok(e2?.event === "error" && e2.code === "tls-failed", JSON.stringify(e2));
    assert.match(e2.message, /not made out for that name/);
    await elsewhere.stop();

    // A CA the relay's certificate does not come from.
    const other = await makeCertificateAuthority("Another CA");
    const otherFile = `${testDir("ca-")}/other.pem`;
    await Deno.writeTextFile(otherFile, other.certPem);
    const good2 = await relayWith(ca, ["127.0.0.1"]);
    const e3 = (await clientWithCa(good2, otherFile, false)).events.find((e) =>
      e.event === "error"
    );
    assert.ok(e3?.event === "error" && e3.code === "tls-failed", JSON.stringify(e3));
    assert.match(e3.message, new RegExp(`not signed by the CA in ${otherFile}`));
    await good2.stop();
  },
);
