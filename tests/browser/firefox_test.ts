/// <reference lib="dom" />
// The browser client in Debian's Firefox ESR (driven over WebDriver BiDi by
// puppeteer-core, which downloads no browser) against a real relay and a real
// terminal client: join from the link, texts both ways end to end, and the
// identity kept in IndexedDB across a reload, as in Chromium.
import assert from "node:assert/strict";
import { ClientProcess, RelayProcess } from "../support/harness.ts";
import { inTranscript, joinAs, launchFirefox, typeMessage } from "../support/browser.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PASS = "firefox room passphrase";

Deno.test(
  "Firefox: the page joins, texts a terminal member both ways, keeps its identity",
  opts,
  async (t) => {
    await new Deno.Command("bash", { args: ["scripts/build_web.sh"] }).output();
    const relay = await RelayProcess.start(["--no-tls", "--web-port", "0"]);
    const url = `http://127.0.0.1:${relay.webPort}/?room=fox`;
    const alice = ClientProcess.start(relay.port, { nick: "alice", room: "fox", passphrase: PASS });
    await alice.ready();
    const browser = await launchFirefox();
    try {
      const page = await browser.newPage();
      await t.step("join from the link", async () => {
        await page.goto(url);
        await joinAs(page, "fern", PASS);
        await alice.waitFor((e) => e.event === "joined" && e.nick === "fern", "fern joins");
        await inTranscript(page, "joined fox as fern");
      });

      await t.step("texts both ways", async () => {
        await alice.send("to the fox");
        await inTranscript(page, "<alice> to the fox");
        await typeMessage(page, "from the fox");
        await alice.waitFor(
          (e) => e.event === "text" && e.from === "fern" && e.text === "from the fox",
          "fern's text",
        );
        await page.waitForSelector("[role=log] li[aria-label=sent]", { timeout: 30000 });
      });

      await t.step("a reload keeps the identity", async () => {
        await page.goto(url);
        await joinAs(page, "fern", PASS);
        await inTranscript(page, "joined fox as fern");
        const joins = () =>
          alice.events.filter((e) => e.event === "joined" && e.nick === "fern") as {
            fingerprint?: string;
          }[];
        // At least one join more: a reloading page may be seen to leave and join more
        // than once (its old socket closing), and every join must carry the identity.
        await alice.waitFor(() => joins().length >= 2, "fern joins again");
        assert.ok(joins()[0].fingerprint);
        for (const j of joins()) assert.equal(j.fingerprint, joins()[0].fingerprint);
        assert.ok(!alice.events.some((e) => e.event === "identity-changed"));
      });
    } finally {
      await browser.close();
      await alice.finish().catch(() => {});
      await relay.stop();
    }
  },
);
