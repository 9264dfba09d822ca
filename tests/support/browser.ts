/**
 * Debian's Chromium, headless, driven by puppeteer-core (which downloads no
 * browser): a fresh profile per launch, no background networking, and only
 * the flags a test adds.
 *
 * @module
 */

/// <reference lib="dom" />
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { testDir } from "./harness.ts";

/** Where Debian installs Chromium (scripts/setup.sh). */
export const CHROMIUM = "/usr/bin/chromium";

/** Launches a headless Chromium with its own profile directory. */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    userDataDir: testDir("chromium-"),
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

/** Launches a headless Firefox (WebDriver BiDi) with its own profile directory. */
export function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    userDataDir: testDir("firefox-"),
    headless: true,
    // No updates, telemetry or first-run pages: the test talks only to its relay.
    extraPrefsFirefox: {
      "app.update.enabled": false,
      "browser.shell.checkDefaultBrowser": false,
      "datareporting.policy.dataSubmissionEnabled": false,
      "toolkit.telemetry.enabled": false,
      "network.captive-portal-service.enabled": false,
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

/** Types `line` into the field labelled Message and presses Enter. */
export async function typeMessage(page: Page, line: string): Promise<void> {
  const field = (await page.waitForSelector("::-p-aria(Message)"))!;
  await field.type(line);
  await field.press("Enter");
}
