/// <reference lib="dom" />
// The browser client against a real relay process and a real terminal client:
// the page (web/app.js, built by scripts/build_web.sh) in Debian's Chromium
// joins through a recording proxy on the web port, texts go both ways, a wrong
// passphrase is reported as such, and neither the relay's log nor either
// proxy's recording holds the passphrase or a text. A screenshot of the joined
// page is saved for a person to look at.
import assert from "node:assert/strict";
import { ClientProcess, containsBytes, RecordingProxy, RelayProcess } from "../support/harness.ts";
import { inTranscript, joinAs, launchBrowser, saveScreenshot } from "../support/browser.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();
const PASS = "correct horse browser staple";
const TO_BROWSER = "marker-terminal-to-browser-5d1e";
const TO_TERMINAL = "marker-browser-to-terminal-9c7a";

Deno.test("browser and terminal members text each other end to end", opts, async (t) => {
  await new Deno.Command("bash", { args: ["scripts/build_web.sh"] }).output();
  const relay = await RelayProcess.start(["--no-tls", "--web-port", "0"]);
  // Plain HTTP on loopback, so the proxies record the frames themselves, not TLS records.
  const webProxy = new RecordingProxy(relay.webPort!);
  const tcpProxy = new RecordingProxy(relay.port);
  const alice = ClientProcess.start(tcpProxy.port, {
    nick: "alice",
    room: "mixed",
    passphrase: PASS,
  });
  await alice.ready();
  const browser = await launchBrowser();
  const requests: string[] = [];
  try {
    const page = await browser.newPage();
    page.on("request", (r) => requests.push(`${r.url()} ${r.postData() ?? ""}`));
    await page.setViewport({ width: 900, height: 640 });
    await page.goto(`http://127.0.0.1:${webProxy.port}/?room=mixed`);

    await t.step("the link fills in the room; joining shows both members", async () => {
      const room = await page.$eval("::-p-aria(Room)", (e) => (e as HTMLInputElement).value);
      assert.equal(room, "mixed");
      await joinAs(page, "carol", PASS);
      await page.waitForFunction(
        () =>
          document.querySelector("[role=list][aria-label=Members]")?.textContent?.includes("alice"),
        { timeout: 30000 },
      );
      await alice.waitFor((e) => e.event === "joined" && e.nick === "carol", "carol joins");
    });

    await t.step("terminal to browser", async () => {
      await alice.send(TO_BROWSER);
      await inTranscript(page, `<alice> ${TO_BROWSER}`);
    });

    await t.step("browser to terminal, pending then sent", async () => {
      const field = (await page.waitForSelector("::-p-aria(Message)"))!;
      await field.type(TO_TERMINAL);
      await field.press("Enter");
      await alice.waitFor((e) => e.event === "text" && e.text === TO_TERMINAL, "carol's text");
      const got = alice.events.find((e) => e.event === "text" && e.text === TO_TERMINAL)!;
      assert.equal((got as { from: string }).from, "carol");
      await page.waitForSelector("[role=log] li[aria-label=sent]", { timeout: 30000 });
    });

    await t.step("a screenshot of the joined page", async () => {
      const path = await saveScreenshot(page, "browser-joined.png");
      assert.ok(Deno.statSync(path).size > 1000);
    });

    await t.step("a wrong passphrase in the browser is reported as such", async () => {
      const other = await browser.newPage();
      other.on("request", (r) => requests.push(`${r.url()} ${r.postData() ?? ""}`));
      await other.goto(`http://127.0.0.1:${webProxy.port}/?room=mixed`);
      await joinAs(other, "dave", "a wrong passphrase");
      await inTranscript(other, "different passphrase");
      await other.close();
    });

    await t.step("the passphrase stays in the page; the relay sees no text", async () => {
      const stored = await page.evaluate(() => localStorage.length + sessionStorage.length);
      assert.equal(stored, 0);
      assert.ok(!page.url().includes(PASS.split(" ")[0]));
      for (const r of requests) assert.ok(!r.includes("horse"), r);
      for (const secret of [PASS, TO_BROWSER, TO_TERMINAL]) {
        assert.ok(!relay.logs.includes(secret), `relay log holds ${secret}`);
        for (const proxy of [webProxy, tcpProxy]) {
          assert.ok(!containsBytes(proxy.allBytes(), enc.encode(secret)), `wire holds ${secret}`);
        }
      }
      // The recording did see the browser's traffic: the hello with its nick.
      assert.ok(containsBytes(webProxy.allBytes(), enc.encode("carol")));
    });
  } finally {
    await browser.close();
    await alice.finish().catch(() => {});
    webProxy.close();
    tcpProxy.close();
    await relay.stop();
  }
});
