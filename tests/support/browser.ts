/**
 * Debian's Chromium, headless, driven by puppeteer-core (which downloads no
 * browser): a fresh profile per launch, no background networking, and only
 * the flags a test adds.
 *
 * @module
 */

/// <reference lib="dom" />
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { join } from "node:path";
import { testDir } from "./harness.ts";

/** Where Debian installs Chromium (scripts/setup.sh). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Launches a headless Chromium with its own profile directory; `env` is added
 * to its environment (say, a PulseAudio daemon to capture from).
 */
export function launchBrowser(
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    userDataDir: testDir("chromium-"),
    env: { ...Deno.env.toObject(), ...env },
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}

/** Where Debian installs Firefox ESR (scripts/setup.sh). */
export const FIREFOX = "/usr/bin/firefox-esr";

/**
 * Launches a headless Firefox (WebDriver BiDi) with its own profile; its
 * microphone is Firefox's fake one (a 1 kHz tone), granted without a prompt.
 * `env` is added to its environment: Firefox runs Web Audio only with a sound
 * server to play to.
 */
export function launchFirefox(env: Record<string, string> = {}): Promise<Browser> {
  return puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    userDataDir: testDir("firefox-"),
    env: { ...Deno.env.toObject(), ...env },
    extraPrefsFirefox: {
      "media.navigator.streams.fake": true,
      "media.navigator.permission.disabled": true,
    },
  });
}

/** Fills the join form (found by its labels) and presses Join. */
export async function joinAs(page: Page, nick: string, passphrase: string): Promise<void> {
  await (await page.waitForSelector("::-p-aria(Nick)"))!.type(nick);
  await (await page.waitForSelector("::-p-aria(Passphrase)"))!.type(passphrase);
  await (await page.waitForSelector("::-p-aria(Join)"))!.click();
}

/** Waits until the transcript (role log) shows `text`. */
export async function inTranscript(page: Page, text: string, timeout = 30000): Promise<void> {
  await page.waitForFunction(
    (t) => document.querySelector("[role=log]")?.textContent?.includes(t),
    { timeout },
    text,
  );
}

/**
 * Saves a screenshot of `page` as `name` in $AM_TEST_OUTPUT (or a kept
 * temporary directory) for a person to look at; returns its path.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const dir = Deno.env.get("AM_TEST_OUTPUT") ?? Deno.makeTempDirSync({ prefix: "am-shots-" });
  const path = join(dir, name);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
  return path;
}
