/// <reference lib="dom" />
// The page's member identity in Debian's Chromium against a real relay and a
// real terminal client: the page keeps its identity across reloads (the
// terminal sees no identity-changed), `/verify` in the page shows the number
// the terminal's `/verify` shows, `/trust` marks the member in the list and the
// mark survives a reload, and when the terminal member comes back with another
// identity the page warns before showing its text, even after a reload (trust
// on first use kept in IndexedDB), until `/accept`; and IndexedDB holds
// nothing of the room (no passphrase, no text).
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import type { ClientEvent } from "../../lib/client/events.ts";
import { ClientProcess, RelayProcess, testDir } from "../support/harness.ts";
import { inTranscript, joinAs, launchBrowser, typeMessage } from "../support/browser.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PASS = "identity room passphrase";
const ROOM = "ids";

/** The trust mark of `nick` in the member list, once it is `want` (null: no mark). */
async function markIs(page: Page, nick: string, want: string | null): Promise<void> {
  await page.waitForFunction(
    (n, w) => {
      const li = [...document.querySelectorAll("[aria-label=Members] li")]
        .find((e) => (e as HTMLElement).dataset.nick === n) as HTMLElement | undefined;
      return li !== undefined && (li.dataset.trust ?? null) === w;
    },
    { timeout: 30000 },
    nick,
    want,
  );
}

/** The transcript's lines, in order. */
function lines(page: Page): Promise<string[]> {
  return page.$$eval("[role=log] li", (lis) => lis.map((li) => li.textContent ?? ""));
}

/** Reloads the page and joins again as `nick`; resolves once the page shows it joined. */
async function rejoin(page: Page, nick: string, url: string): Promise<void> {
  await page.goto(url);
  await joinAs(page, nick, PASS);
  await inTranscript(page, `joined ${ROOM} as ${nick}`);
}

Deno.test("the page keeps its identity and its known members in the browser", opts, async (t) => {
  await new Deno.Command("bash", { args: ["scripts/build_web.sh"] }).output();
  const relay = await RelayProcess.start(["--no-tls", "--web-port", "0"]);
  const url = `http://127.0.0.1:${relay.webPort}/?room=${ROOM}`;
  const bobHome = testDir("bob-config-");
  const bobSpec = { nick: "bob", room: ROOM, passphrase: PASS, env: { XDG_CONFIG_HOME: bobHome } };
  let bob = ClientProcess.start(relay.port, bobSpec);
  await bob.ready();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const joins = () =>
      bob.events.filter((e) => e.event === "joined" && e.nick === "carol") as Extract<
        ClientEvent,
        { event: "joined" }
      >[];

    await t.step("a reload is the same member: no identity-changed for the terminal", async () => {
      await page.goto(url);
      await joinAs(page, "carol", PASS);
      await bob.waitFor((e) => e.event === "joined" && e.nick === "carol", "carol joins");
      const first = joins()[0].fingerprint!;
      assert.match(first, /^\d{5}( \d{5}){5}$/);
      await inTranscript(page, `your fingerprint: ${first}`);
      await rejoin(page, "carol", url);
      // At least one join more (a reloading page may be seen to leave and join more
      // than once), each with the same identity.
      await bob.waitFor(() => joins().length >= 2, "carol joins again");
      for (const j of joins()) assert.equal(j.fingerprint, first);
      assert.ok(!bob.events.some((e) => e.event === "identity-changed"), "no identity-changed");
    });

    await t.step("/verify shows the terminal's safety number; /trust marks bob", async () => {
      await typeMessage(page, "/verify bob");
      await inTranscript(page, "safety number with bob: ");
      await bob.send("/verify carol");
      const e = await bob.waitFor((e) => e.event === "safety-number", "bob's /verify");
      const number = (e as Extract<ClientEvent, { event: "safety-number" }>).number;
      assert.match(number, /^\d{5}( \d{5}){11}$/);
      assert.ok(
        (await lines(page)).some((l) => l.includes(`safety number with bob: ${number} `)),
        `the page shows ${number}: ${await lines(page)}`,
      );
      await markIs(page, "bob", null);
      await typeMessage(page, "/trust bob");
      await markIs(page, "bob", "verified");
      const label = await page.$eval(
        "[aria-label=Members] li[data-nick=bob]",
        (li) => li.getAttribute("aria-label"),
      );
      assert.equal(label, "bob, verified");
    });

    await t.step("the verified mark is kept across a reload", async () => {
      await rejoin(page, "carol", url);
      await markIs(page, "bob", "verified");
    });

    await t.step("bob back with another identity: warned before its text", async () => {
      await bob.finish();
      await page.waitForFunction(
        () => document.querySelector("[role=log]")?.textContent?.includes("bob left"),
        { timeout: 30000 },
      );
      // Reloaded first, so only the page's IndexedDB remembers bob's old identity.
      await rejoin(page, "carol", url);
      bob = ClientProcess.start(relay.port, {
        ...bobSpec,
        args: ["--identity", join(testDir("bob-new-"), "identity")],
      });
      await bob.ready();
      await bob.send("hello from the new bob");
      await inTranscript(page, "hello from the new bob");
      const all = await lines(page);
      const warned = all.findIndex((l) => l.includes("bob's identity CHANGED"));
      const text = all.findIndex((l) => l.includes("hello from the new bob"));
      assert.ok(warned >= 0 && warned < text, `warning before the text: ${all.join(" | ")}`);
      assert.match(all[text], /<bob> \(NEW IDENTITY\) hello from the new bob/);
      await markIs(page, "bob", "changed");
    });

    await t.step("/accept clears the mark; bob's next texts are plain", async () => {
      await typeMessage(page, "/accept bob");
      await markIs(page, "bob", null);
      await bob.send("accepted now");
      await inTranscript(page, "<bob> accepted now");
    });
    await t.step(
      "IndexedDB holds the identity and known members, nothing of the room",
      async () => {
        const stored = await page.evaluate(async () => {
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const req = indexedDB.open("am");
            req.onsuccess = () => resolve(req.result);
            req.onerror = () => reject(req.error);
          });
          const all = (name: string) =>
            new Promise<unknown>((resolve) => {
              const req = db.transaction(name).objectStore(name).getAll();
              req.onsuccess = () => resolve(req.result);
            });
          return JSON.stringify([await all("identity"), await all("known_members")]);
        });
        assert.match(stored, /BEGIN PRIVATE KEY/);
        assert.match(stored, /"bob":\{"identity":"[0-9a-f]{64}","verified":false\}/);
        for (const secret of [PASS, "hello from the new bob", "accepted now"]) {
          assert.ok(!stored.includes(secret), `IndexedDB holds ${secret}`);
        }
      },
    );
  } finally {
    await browser.close();
    await bob.finish().catch(() => {});
    await relay.stop();
  }
});
