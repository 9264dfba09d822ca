/// <reference lib="dom" />
/**
 * Page load to joined, in a real browser: Debian's Chromium and Firefox ESR
 * (puppeteer-core) open the relay's page on loopback, the join form is filled
 * and submitted by script (no typing delay), and the page's own clock says
 * when the transcript shows "joined" (the relay's welcome, room key derived)
 * and "keys exchanged" (it holds the keys of the terminal member already in
 * the room). Each run is a first visit (a fresh browser context: empty
 * IndexedDB, so the identity is made) followed by a return visit in the same
 * context (identity read from IndexedDB). For scale it also times the room
 * key alone (scrypt, N=2^15) in this process with the page's library
 * (@noble/hashes) and with `node:crypto` (the terminal client's). Prints a
 * Markdown section.
 *
 *   deno run -A bench/page_join.ts [--runs 7] [--browsers chromium,firefox] [--out FILE]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { scryptSync } from "node:crypto";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import type { Browser, Page } from "puppeteer-core";
import { ClientProcess, RelayProcess } from "../tests/support/harness.ts";
import { launchBrowser, launchFirefox } from "../tests/support/browser.ts";
import { median } from "./fanout.ts";

const PASS = "page join bench passphrase";
const ROOM = "bench";

/** One visit's figures, ms from navigation start (page clock). */
interface Visit {
  /** Navigation start to the load event (the page and app.js fetched and run). */
  load: number;
  /** Submit to the "joined" line (scrypt room key, identity, WebSocket, hello, welcome). */
  joined: number;
  /** Submit to the "keys exchanged" line. */
  keys: number;
}

/** Opens the page, joins as `nick` and reads the page's clock. */
async function visit(page: Page, url: string, nick: string): Promise<Visit> {
  await page.goto(url, { waitUntil: "load" });
  return await page.evaluate(
    async (nick, pass) => {
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const log = document.querySelector("[role=log]")!;
      const at = (text: string) =>
        new Promise<number>((resolve) => {
          const look = () => log.textContent?.includes(text) && (resolve(performance.now()), true);
          if (!look()) new MutationObserver(look).observe(log, { childList: true, subtree: true });
        });
      (document.getElementById("nick") as HTMLInputElement).value = nick;
      (document.getElementById("passphrase") as HTMLInputElement).value = pass;
      const t0 = performance.now();
      const joined = at(" as " + nick);
      const keys = at("keys exchanged");
      (document.getElementById("join") as HTMLFormElement).requestSubmit();
      return { load: nav.loadEventEnd, joined: (await joined) - t0, keys: (await keys) - t0 };
    },
    nick,
    PASS,
  );
}

/** First and return visits, `runs` of each, in one browser. */
async function measure(browser: Browser, url: string, runs: number, tag: string) {
  const first: Visit[] = [];
  const again: Visit[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    first.push(await visit(page, url, `${tag}${i}a`));
    again.push(await visit(page, url, `${tag}${i}b`));
    await context.close();
  }
  return { first, again };
}

/** ms of one room-key derivation each way, `runs` times (the page's parameters, lib/cipher.ts). */
async function scryptTimes(runs: number): Promise<{ noble: number[]; node: number[] }> {
  const noble: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    await scryptAsync(PASS, ROOM, { N: 2 ** 15, r: 8, p: 1, dkLen: 32 });
    noble.push(performance.now() - t0);
    t0 = performance.now();
    scryptSync(PASS, ROOM, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    node.push(performance.now() - t0);
  }
  return { noble, node };
}

const f0 = (n: number) => n.toFixed(0);
const row = (name: string, what: string, vs: Visit[]) => {
  const total = vs.map((v) => v.load + v.joined);
  return `| ${name} | ${what} | ${f0(median(vs.map((v) => v.load)))} | ${
    f0(median(vs.map((v) => v.joined)))
  } | **${f0(median(total))}** | ${f0(median(vs.map((v) => v.load + v.keys)))} | ${
    total.map(f0).join(", ")
  } |`;
};

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "7" },
      browsers: { type: "string", default: "chromium,firefox" },
      out: { type: "string" },
    },
  });
  const runs = Number(values.runs);
  const relay = await RelayProcess.start(["--no-tls", "--web-port", "0"]);
  const member = ClientProcess.start(relay.port, { nick: "term", room: ROOM, passphrase: PASS });
  await member.ready();
  const url = `http://127.0.0.1:${relay.webPort}/?room=${ROOM}`;
  const rows: string[] = [];
  try {
    for (const name of values.browsers!.split(",")) {
      const browser = name === "firefox" ? await launchFirefox() : await launchBrowser();
      try {
        const version = await browser.version();
        const { first, again } = await measure(browser, url, runs, name.slice(0, 2));
        rows.push(row(version, "first visit", first), row(version, "return visit", again));
      } finally {
        await browser.close();
      }
    }
  } finally {
    await member.finish().catch(() => {});
    await relay.stop();
  }
  const scrypt = await scryptTimes(runs);
  const md = [
    "## Browser page: load to joined",
    "",
    `\`deno run -A bench/page_join.ts --runs ${runs}\` — the relay's page on loopback (plain HTTP),`,
    "one terminal member in the room; the form filled and submitted by script; the page's own",
    "clock (ms from navigation start). First visit: fresh browser context (the identity is made);",
    "return visit: the same context (identity from IndexedDB). Medians of the runs.",
    "",
    "| browser | visit | load event | submit → joined | **load to joined** | load to keys exchanged | load to joined, each run |",
    "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ...rows,
    "",
    `The room key alone (scrypt N=2^15, r=8, p=1), median of ${runs} in this Deno process: ` +
    `${f0(median(scrypt.noble))} ms with @noble/hashes (the page's library, pure JavaScript), ` +
    `${f0(median(scrypt.node))} ms with \`node:crypto\` (the terminal client's).`,
    "",
  ].join("\n");
  if (values.out) Deno.writeTextFileSync(values.out, md);
  console.log(md);
}
