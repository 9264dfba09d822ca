/// <reference lib="dom" />
// Browser voice in Firefox ESR (Debian's, driven over WebDriver BiDi by
// puppeteer-core) with a real relay and real terminal clients: Firefox's fake
// microphone (a steady 1 kHz tone) reaches a terminal listener's --speaker
// recording, and a terminal talker's speech comes out of the page's playout.
// Firefox runs Web Audio only with a sound server, so the test uses the
// suite's PulseAudio daemon (or starts one).
import assert from "node:assert/strict";
import { rms, windowedCorrelation } from "../../audio/analysis.ts";
import { readWav } from "../../audio/wav.ts";
import type { Page } from "puppeteer-core";
import { ClientProcess, RelayProcess, testDir } from "../support/harness.ts";
import { inTranscript, joinAs, launchFirefox, raiseBrowserPriority } from "../support/browser.ts";
import { makeSpeech, usePulse } from "../support/pulse_session.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PASS = "firefox voice passphrase";

/** Frequency of a steady tone from its zero crossings. */
function toneHz(samples: Int16Array, rate = 48000): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) {
    if ((samples[i - 1] < 0) !== (samples[i] < 0)) crossings++;
  }
  return crossings / 2 / (samples.length / rate);
}

/**
 * Notes in the page whether the level meter (shown by the page's own event, a
 * captured frame) has shown since now: a headless Firefox may hold back
 * animation frames, which puppeteer's default polling waits on, and a short
 * talk may show and hide it in between.
 */
async function watchLevel(page: Page): Promise<void> {
  await page.evaluate(() => {
    const level = document.querySelector("#level") as HTMLElement;
    const seen = globalThis as unknown as { amLevelSeen: boolean };
    seen.amLevelSeen = !level.hidden;
    new MutationObserver(() => seen.amLevelSeen ||= !level.hidden)
      .observe(level, { attributes: true, attributeFilter: ["hidden"] });
  });
}

/** Waits until the level meter has shown since {@linkcode watchLevel}; fails with the voice status. */
async function levelSeen(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(
    () => (globalThis as unknown as { amLevelSeen: boolean }).amLevelSeen,
    { polling: 50, timeout },
  ).catch(async (cause) => {
    const status = await page.evaluate(() => document.querySelector("#voice-status")?.textContent);
    throw new Error(`no level meter while talking; voice status: "${status}"`, { cause });
  });
}

Deno.test("Firefox: browser and terminal members hear each other", opts, async (t) => {
  const speechPath = await makeSpeech(testDir("ff-speech-"), "Pack my box with five dozen jugs");
  const speech = readWav(await Deno.readFile(speechPath)).samples;
  const pulse = await usePulse();
  const relay = await RelayProcess.start(["--no-tls", "--web-port", "0"]);
  const heard = `${testDir("ff-bob-")}/heard.wav`;
  const room = { room: "fox", passphrase: PASS };
  const bob = ClientProcess.start(relay.port, { nick: "bob", ...room, args: ["--speaker", heard] });
  const alice = ClientProcess.start(relay.port, {
    nick: "alice",
    ...room,
    args: ["--mic", speechPath],
  });
  await Promise.all([bob.ready(), alice.ready()]);
  const browser = await launchFirefox(pulse.env);
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${relay.webPort}/?room=fox`);
    await joinAs(page, "carol", PASS);
    await page.waitForSelector("::-p-aria(Talk):not([disabled])", { timeout: 30000 });
    await raiseBrowserPriority(browser);

    await t.step("Firefox voice → terminal", async () => {
      await watchLevel(page);
      await page.click("#talk");
      await bob.waitFor((e) => e.event === "talk-start" && e.nick === "carol", "carol talks");
      await levelSeen(page, 30_000);
      // The tone never ends by itself, so the talk's length is set here: it is the
      // input (as a WAV's length is), not a wait for something to happen.
      await new Promise((r) => setTimeout(r, 1500));
      await page.click("#talk");
      await bob.waitFor((e) => e.event === "talk-end" && e.nick === "carol", "carol done");
      assert.equal((await bob.kill("SIGTERM")).code, 0, bob.stderr);
      const recording = readWav(await Deno.readFile(heard)).samples;
      // The loudest half second of the recording is the tone.
      let best: Int16Array = new Int16Array(0);
      for (let i = 0; i + 24000 <= recording.length; i += 4800) {
        const w = recording.subarray(i, i + 24000);
        if (rms(w) > rms(best)) best = w;
      }
      const hz = toneHz(best);
      console.log(`Firefox → terminal: tone at ${hz.toFixed(0)} Hz, rms ${rms(best).toFixed(0)}`);
      assert.ok(rms(best) > 1000, "the terminal heard the tone");
      assert.ok(Math.abs(hz - 1000) < 30, `a ${hz} Hz tone, not 1 kHz`);
    });

    await t.step("terminal voice → Firefox's playout", async () => {
      await page.evaluate(() =>
        (globalThis as unknown as { amPlayoutTap: { start(): void } }).amPlayoutTap.start()
      );
      await alice.send("[audio]");
      await inTranscript(page, "alice stopped talking", 30000);
      const b64 = await page.evaluate(() =>
        (globalThis as unknown as { amPlayoutTap: { stop(): Promise<string> } }).amPlayoutTap
          .stop()
      );
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const played = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
      const { correlation } = windowedCorrelation(speech, played);
      console.log(`terminal → Firefox: correlation ${correlation.toFixed(3)}`);
      assert.ok(correlation >= 0.8, `correlation ${correlation} too low`);
    });

    await t.step(
      "a microphone that sends nothing is reported; the next Talk has voice",
      async () => {
        // The one stand-in here: the page's getUserMedia answers its next two calls (a
        // Talk opens the microphone twice before it gives up) with the stream of an
        // audio context that never runs: a real browser stream that carries no audio,
        // as a microphone that never starts does. Calls after those get the fake tone.
        await page.evaluate(() => {
          const devices = navigator.mediaDevices;
          const real = devices.getUserMedia.bind(devices);
          let empty = 2;
          devices.getUserMedia = async (constraints) => {
            if (empty-- <= 0) return real(constraints);
            const stopped = new AudioContext({ sampleRate: 48000 });
            await stopped.suspend();
            return stopped.createMediaStreamDestination().stream;
          };
        });
        await page.click("#talk");
        await page.waitForFunction(
          () => document.querySelector("#voice-status")?.textContent?.includes("no sound"),
          { polling: 50, timeout: 30_000 },
        );
        const status = await page.$eval("#voice-status", (e) => e.textContent);
        console.log(`a silent microphone: "${status}"`);
        assert.match(status ?? "", /microphone sent no sound .*press Talk to try again/);
        assert.equal(await page.$eval("#talk", (b) => b.getAttribute("aria-pressed")), "false");
        await watchLevel(page);
        await page.click("#talk");
        await levelSeen(page, 30_000);
        await page.click("#talk");
      },
    );
  } finally {
    await browser.close();
    await alice.finish().catch(() => {});
    await bob.kill("SIGTERM").catch(() => {});
    await relay.stop();
    pulse.stop();
  }
});
