/// <reference lib="dom" />
// Browser voice with a real relay process, real terminal client processes and
// Debian's Chromium, whose fake microphone plays a speech WAV
// (--use-file-for-fake-audio-capture) and whose page records what it played
// through its playout tap (a test hook of lib/browser/voice.ts). Terminal
// clients use WAV files for their microphone and speaker. Speech: espeak-ng.
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "puppeteer-core";
import { windowedCorrelation } from "../../audio/analysis.ts";
import { encodeWav, readWav } from "../../audio/wav.ts";
import { ClientProcess, RelayProcess, testDir } from "../support/harness.ts";
import {
  inTranscript,
  joinAs,
  launchBrowser,
  raiseBrowserPriority,
  saveOutput,
  saveScreenshot,
} from "../support/browser.ts";
import { makeSpeech } from "../support/pulse_session.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PASS = "browser voice passphrase";
// As in tests/voice/voice_e2e_test.ts: an Opus round trip of speech correlates
// 0.93–0.96 with its source; other sound or silence stays far below 0.8.
const SAME_SPEECH = 0.8;
const TALK_MS = 30000;

/** Chromium whose microphone plays `wav` once per capture (then silence). */
function browserWithMic(wav: string): Promise<Browser> {
  return launchBrowser([
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${wav}%noloop`,
  ]);
}

/** Opens the room's page, joins as `nick` and waits until voice is ready. */
async function joinPage(
  owner: Browser | BrowserContext,
  webPort: number,
  room: string,
  nick: string,
): Promise<Page> {
  const page = await owner.newPage();
  page.on("pageerror", (err) => console.error(`page ${nick}: ${err}`));
  await page.setViewport({ width: 900, height: 640 });
  await page.goto(`http://127.0.0.1:${webPort}/?room=${room}`);
  await joinAs(page, nick, PASS);
  await page.waitForSelector("::-p-aria(Talk):not([disabled])", { timeout: 30000 });
  return page;
}

/** Whether the page's Talk button shows talking. */
const pressed = (page: Page) =>
  page.$eval("::-p-aria(Talk)", (b) => b.getAttribute("aria-pressed") === "true");

/** Waits until the member list (role list, label Members) shows `nick` talking or not. */
async function memberTalking(page: Page, nick: string, talking: boolean): Promise<void> {
  await page.waitForFunction(
    (n, t) =>
      [...document.querySelectorAll("[role=list][aria-label=Members] li")].some((li) =>
        li.textContent?.startsWith(n) && li.classList.contains("talking") === t
      ),
    { timeout: TALK_MS },
    nick,
    talking,
  );
}

/** Speech from espeak-ng: its WAV, its samples, and a copy for a browser's fake microphone. */
async function speech(name: string, text: string) {
  const dir = testDir(`${name}-`);
  const path = await makeSpeech(dir, text);
  const samples = readWav(await Deno.readFile(path)).samples;
  // Chromium's fake microphone starts its file when the device opens, and what it
  // plays before the page's capture is connected is lost (under load, the first half
  // second or so). A person presses Talk and then speaks: so does the file, after a
  // second of silence.
  const delayed = new Int16Array(48000 + samples.length);
  delayed.set(samples, 48000);
  const micPath = `${dir}/mic.wav`;
  await Deno.writeFile(micPath, encodeWav(delayed));
  return { path, samples, micPath };
}

Deno.test("browser and terminal members hear each other", opts, async (t) => {
  const toTerminal = await speech(
    "a",
    "The quick brown fox jumps over the lazy dog near the river",
  );
  const toBrowser = await speech("b", "Seven silver swans swam silently across the frozen lake");
  const relay = await RelayProcess.start(["--no-tls", "--web-port", "0"]);
  const heard = `${testDir("bob-")}/heard.wav`;
  const bob = ClientProcess.start(relay.port, {
    nick: "bob",
    room: "voice",
    passphrase: PASS,
    args: ["--speaker", heard],
  });
  const alice = ClientProcess.start(relay.port, {
    nick: "alice",
    room: "voice",
    passphrase: PASS,
    args: ["--mic", toBrowser.path],
  });
  await Promise.all([bob.ready(), alice.ready()]);
  const browser = await browserWithMic(toTerminal.micPath);
  try {
    const page = await joinPage(browser, relay.webPort!, "voice", "carol");
    await raiseBrowserPriority(browser);

    await t.step("browser voice → terminal: the Talk button, meter and member list", async () => {
      await (await page.$("::-p-aria(Talk)"))!.click();
      await bob.waitFor((e) => e.event === "talk-start" && e.nick === "carol", "carol talks");
      await memberTalking(page, "carol", true);
      await inTranscript(page, "carol started talking");
      assert.ok(await pressed(page));
      await page.waitForSelector("#level:not([hidden])");
      await saveScreenshot(page, "browser-talking.png");
      // Silence after the file ends stops the talk, as in the terminal.
      await bob.waitFor((e) => e.event === "talk-end" && e.nick === "carol", "carol done", TALK_MS);
      await inTranscript(page, "carol stopped talking");
      await page.waitForFunction(() =>
        document.querySelector("#talk")?.getAttribute("aria-pressed") === "false"
      );
      assert.equal((await bob.kill("SIGTERM")).code, 0, bob.stderr);
      const recording = readWav(await Deno.readFile(heard)).samples;
      const { correlation, lag } = windowedCorrelation(toTerminal.samples, recording);
      console.log(`browser → terminal: correlation ${correlation.toFixed(3)} at ${lag} samples`);
      if (correlation < SAME_SPEECH) {
        await saveOutput("browser-to-terminal-heard.wav", await Deno.readFile(heard));
      }
      assert.ok(correlation >= SAME_SPEECH, `correlation ${correlation} too low`);
    });

    await t.step("terminal voice → browser: the page's playout", async () => {
      await page.evaluate(() =>
        (globalThis as unknown as { amPlayoutTap: { start(): void } }).amPlayoutTap.start()
      );
      await alice.send("[audio]");
      await memberTalking(page, "alice", true);
      await inTranscript(page, "alice stopped talking", TALK_MS);
      const b64 = await page.evaluate(() =>
        (globalThis as unknown as { amPlayoutTap: { stop(): Promise<string> } }).amPlayoutTap
          .stop()
      );
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const played = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
      const { correlation, lag } = windowedCorrelation(toBrowser.samples, played);
      console.log(
        `terminal → browser: correlation ${correlation.toFixed(3)} at ${lag} samples ` +
          `of ${played.length} played`,
      );
      if (correlation < SAME_SPEECH) {
        await saveOutput("terminal-to-browser-played.wav", encodeWav(played));
      }
      assert.ok(correlation >= SAME_SPEECH, `correlation ${correlation} too low`);
    });
  } finally {
    await browser.close();
    await alice.finish().catch(() => {});
    await bob.kill("SIGTERM").catch(() => {});
    await relay.stop();
  }
});

/** Waits until the page's voice status shows `text` as an alert. */
async function voiceAlert(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) => {
      const status = document.querySelector("#voice-status");
      return status?.classList.contains("alert") && status.textContent?.includes(t);
    },
    { timeout: TALK_MS },
    text,
  );
}

Deno.test("half duplex across browsers and terminals: denied, then freed", opts, async (t) => {
  const long = await speech(
    "long",
    "This is a long sentence that keeps the floor busy for a few seconds at least",
  );
  const relay = await RelayProcess.start(["--no-tls", "--web-port", "0"]);
  const terminal = (nick: string) =>
    ClientProcess.start(relay.port, {
      nick,
      room: "floor",
      passphrase: PASS,
      args: ["--mic", long.path],
    });
  const alice = terminal("alice");
  const bob = terminal("bob");
  await Promise.all([alice.ready(), bob.ready()]);
  const browser = await browserWithMic(long.micPath);
  try {
    // Two browser members, each in its own browser context (no shared state).
    const carol = await joinPage(browser, relay.webPort!, "floor", "carol");
    const dave = await joinPage(
      await browser.createBrowserContext(),
      relay.webPort!,
      "floor",
      "dave",
    );
    await alice.waitFor((e) => e.event === "joined" && e.nick === "dave", "dave joins");
    await raiseBrowserPriority(browser);

    await t.step("a terminal holds the floor: a browser's Talk is denied", async () => {
      await alice.send("[audio]");
      await memberTalking(carol, "alice", true);
      await (await carol.$("::-p-aria(Talk)"))!.click();
      await voiceAlert(carol, "alice is talking");
      await saveScreenshot(carol, "browser-floor-denied.png");
      await inTranscript(carol, "alice is talking; wait for them to finish");
      await carol.waitForFunction(() =>
        document.querySelector("#talk")?.getAttribute("aria-pressed") === "false"
      );
    });

    await t.step("freed: a browser takes it with the space bar; a terminal is denied", async () => {
      await inTranscript(dave, "alice stopped talking", TALK_MS);
      // Space in the message field types a space; anywhere else it is push-to-talk.
      await dave.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await dave.keyboard.down("Space");
      await bob.waitFor((e) => e.event === "talk-start" && e.nick === "dave", "dave talks");
      await memberTalking(carol, "dave", true);
      assert.ok(await pressed(dave));
      await bob.send("/talk");
      const denied = await bob.waitFor((e) => e.event === "floor-denied", "bob is denied");
      assert.equal(denied.event === "floor-denied" && denied.holder, "dave");
      await (await carol.$("::-p-aria(Talk)"))!.click();
      await voiceAlert(carol, "dave is talking");
    });

    await t.step("released with the space bar: a terminal gets the floor", async () => {
      await dave.keyboard.up("Space");
      await alice.waitFor((e) => e.event === "talk-end" && e.nick === "dave", "dave is done");
      await memberTalking(carol, "dave", false);
      await bob.send("/talk");
      await memberTalking(carol, "bob", true);
      await alice.waitFor((e) => e.event === "talk-start" && e.nick === "bob", "bob talks");
    });
  } finally {
    await browser.close();
    await Promise.all([alice.kill("SIGTERM"), bob.kill("SIGTERM")]).catch(() => {});
    await relay.stop();
  }
});
