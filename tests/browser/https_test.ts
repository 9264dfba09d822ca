/// <reference lib="dom" />
// The browser client over HTTPS: a relay with TLS on (its own certificate, as
// made on first start) serves the page and the WebSocket endpoint over TLS
// only; Debian's Chromium, told to accept that certificate by its public key
// (--ignore-certificate-errors-spki-list: the certificate names the relay, not
// 127.0.0.1, and its CA is not in the system store), joins over wss:// and
// texts a terminal client that verifies the relay as usual.
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { chainCertificates } from "../../lib/tls/mod.ts";
import { ClientProcess, RelayProcess } from "../support/harness.ts";
import { inTranscript, joinAs, launchBrowser, typeMessage } from "../support/browser.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PASS = "tls room passphrase";

/** base64 SHA-256 of each certificate's public key (SPKI), as Chromium's flag wants them. */
function spkiHashes(chainPem: string): string[] {
  return chainCertificates(chainPem).map((der) => {
    const spki = new X509Certificate(der).publicKey.export({ type: "spki", format: "der" });
    return createHash("sha256").update(spki).digest("base64");
  });
}

Deno.test(
  "the page over HTTPS with the relay's certificate joins and texts a terminal member",
  opts,
  async (t) => {
    await new Deno.Command("bash", { args: ["scripts/build_web.sh"] }).output();
    const relay = await RelayProcess.start(["--web-port", "0"]);
    const web = relay.webPort!;
    assert.match(relay.logs, / web address=\S+ tls=on/);
    const certFile = / tls .*certificate=(\S+)/.exec(relay.logs)![1];
    const alice = ClientProcess.start(relay.port, {
      nick: "alice",
      room: "secure",
      passphrase: PASS,
    });
    await alice.ready();
    const browser = await launchBrowser([
      `--ignore-certificate-errors-spki-list=${spkiHashes(await Deno.readTextFile(certFile))}`,
    ]);
    try {
      await t.step("no plain HTTP on a TLS relay's web port", async () => {
        await assert.rejects(async () => {
          const res = await fetch(`http://127.0.0.1:${web}/`);
          await res.body?.cancel();
        });
      });

      const page = await browser.newPage();
      await t.step("the page loads over https and joins over wss", async () => {
        const sockets: string[] = [];
        const cdp = await page.createCDPSession();
        await cdp.send("Network.enable");
        cdp.on("Network.webSocketCreated", (e) => sockets.push(e.url));
        const res = await page.goto(`https://127.0.0.1:${web}/?room=secure`);
        assert.equal(res?.status(), 200);
        assert.equal(await page.evaluate(() => isSecureContext), true);
        await joinAs(page, "carol", PASS);
        await alice.waitFor((e) => e.event === "joined" && e.nick === "carol", "carol joins");
        assert.deepEqual(sockets, [`wss://127.0.0.1:${web}/ws`]);
      });

      await t.step("texts both ways", async () => {
        await alice.send("over tls to the page");
        await inTranscript(page, "<alice> over tls to the page");
        await typeMessage(page, "over wss to the terminal");
        await alice.waitFor(
          (e) => e.event === "text" && e.from === "carol" && e.text === "over wss to the terminal",
          "carol's text",
        );
      });
      await t.step("a browser not told of the certificate refuses the page", async () => {
        const plain = await launchBrowser();
        try {
          await assert.rejects(async () => {
            await (await plain.newPage()).goto(`https://127.0.0.1:${web}/`);
          }, /ERR_CERT/);
        } finally {
          await plain.close();
        }
      });
    } finally {
      await browser.close();
      await alice.finish().catch(() => {});
      await relay.stop();
    }
  },
);
