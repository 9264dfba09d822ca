/// <reference lib="dom" />
// The page on a phone-sized screen (375×667, touch, as a phone's browser
// reports it) in Debian's Chromium, used with the keyboard alone: the focus
// starts in the first empty field, Tab walks Nick → Room → Passphrase, Enter
// joins, the focus lands in the Message field, Enter sends to a terminal
// member; and nothing is wider than the screen, before or after joining, even
// with a long unbroken line in the transcript. A screenshot is saved to look at.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { ClientProcess, RelayProcess } from "../support/harness.ts";
import { inTranscript, launchBrowser } from "../support/browser.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PASS = "phone room passphrase";
const LONG = "x".repeat(300);

/** The accessible label of the focused element (its <label>), or its tag. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null;
    return el?.labels?.[0]?.textContent ?? el?.tagName ?? "";
  });
}

/** Elements that stick out of the viewport on the right, and the page's scroll width. */
function overflow(page: Page): Promise<{ wide: string[]; scroll: number; view: number }> {
  return page.evaluate(() => {
    const view = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")]
      .filter((e) => (e as HTMLElement).offsetParent !== null)
      .filter((e) => e.getBoundingClientRect().right > view + 0.5)
      .map((e) => `${e.tagName}#${e.id}`);
    return { wide, scroll: document.documentElement.scrollWidth, view };
  });
}

Deno.test("phone-sized screen, keyboard only: join and send; nothing overflows", opts, async () => {
  await new Deno.Command("bash", { args: ["scripts/build_web.sh"] }).output();
  const relay = await RelayProcess.start(["--no-tls", "--web-port", "0"]);
  const alice = ClientProcess.start(relay.port, {
    nick: "alice",
    room: "pocket",
    passphrase: PASS,
  });
  await alice.ready();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setViewport({
      width: 375,
      height: 667,
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    await page.goto(`http://127.0.0.1:${relay.webPort}/?room=pocket`);
    await page.waitForSelector("#join");
    assert.deepEqual(await overflow(page), { wide: [], scroll: 375, view: 375 });

    assert.equal(await focused(page), "Nick", "the room came from the link: Nick first");
    await page.keyboard.type("pat");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "Room");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "Passphrase");
    await page.keyboard.type(PASS);
    await page.keyboard.press("Enter");
    await alice.waitFor((e) => e.event === "joined" && e.nick === "pat", "pat joins");
    await page.waitForFunction(
      () =>
        (document.activeElement as HTMLInputElement | null)?.labels?.[0]?.textContent ===
          "Message",
      { timeout: 30000 },
    );

    await page.keyboard.type("typed on a phone");
    await page.keyboard.press("Enter");
    await alice.waitFor(
      (e) => e.event === "text" && e.from === "pat" && e.text === "typed on a phone",
      "pat's text",
    );
    await alice.send(LONG);
    await inTranscript(page, LONG);
    assert.deepEqual(await overflow(page), { wide: [], scroll: 375, view: 375 });

    const dir = Deno.env.get("AM_TEST_OUTPUT") ?? Deno.makeTempDirSync({ prefix: "am-shots-" });
    const path = join(dir, "browser-phone.png");
    await page.screenshot({ path });
    console.log(`screenshot of the page on a phone-sized screen: ${path}`);
  } finally {
    await browser.close();
    await alice.finish().catch(() => {});
    await relay.stop();
  }
});
