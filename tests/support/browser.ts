/**
 * Debian's Chromium, headless, driven by puppeteer-core (which downloads no
 * browser): a fresh profile per launch, no background networking, and only
 * the flags a test adds.
 *
 * @module
 */

import puppeteer, { type Browser } from "puppeteer-core";
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
