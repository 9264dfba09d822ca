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
      // The meter is shown by the page's own event (a captured frame), noted as it
      // happens: a headless Firefox may hold back animation frames, which puppeteer's
      // default polling waits on, and a short talk may show and hide it in between.
      await page.evaluate(() => {
        const level = document.querySelector("#level") as HTMLElement;
        const seen = globalThis as unknown as { amLevelSeen: boolean };
        seen.amLevelSeen = !level.hidden;
        new MutationObserver(() => seen.amLevelSeen ||= !level.hidden)
          .observe(level, { attributes: true, attributeFilter: ["hidden"] });
      });
      await page.click("#talk");
      await bob.waitFor((e) => e.event === "talk-start" && e.nick === "carol", "carol talks");
      const levelSeen = (timeout: number) =>
        page.waitForFunction(
          () => (globalThis as unknown as { amLevelSeen: boolean }).amLevelSeen,
          { polling: 50, timeout },
        );
      // KNOWN DEFECT, not understood (see the issue note): about one suite run in three,
      // Firefox's first Talk yields no captured frame at all, with no error shown. The
      // test presses Talk once more in that case and says so; a second miss fails it.
      await levelSeen(10_000).catch(async () => {
        const status = await page.evaluate(() =>
          document.querySelector("#voice-status")?.textContent
        );
        console.log(`no level meter 10 s after Talk (voice status "${status}"); pressing again`);
        if (await page.$eval("#talk", (b) => b.getAttribute("aria-pressed") === "true")) {
          await page.click("#talk");
        }
        await page.click("#talk");
        await levelSeen(30_000).catch(async (cause) => {
          const status = await page.evaluate(() =>
            document.querySelector("#voice-status")?.textContent
          );
          throw new Error(`no level meter while talking; voice status: "${status}"`, { cause });
        });
      });
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
  } finally {
    await browser.close();
    await alice.finish().catch(() => {});
    await bob.kill("SIGTERM").catch(() => {});
    await relay.stop();
    pulse.stop();
  }
});
