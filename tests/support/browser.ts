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
      // No updates, telemetry or first-run pages: the test talks only to its relay.
      "app.update.enabled": false,
      "browser.shell.checkDefaultBrowser": false,
      "datareporting.policy.dataSubmissionEnabled": false,
      "toolkit.telemetry.enabled": false,
      "network.captive-portal-service.enabled": false,
    },
  });
}

/** Process ids of `root` and all its descendants, from /proc (Linux). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...children.get(ppid) ?? [], Number(e.name)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...children.get(out[i]) ?? []);
  return out;
}

/**
 * Gives every thread of the browser the priority the terminal clients give
 * themselves while audio is open (nice −10, audio/priority.ts), which a page
 * cannot ask for. On this 2-core machine, with a test series running beside,
 * a page's main thread at normal priority was stalled for up to 300 ms at a
 * time (measured), and a listener's timeline with it; equal priority lets a
 * voice test compare the voice path, not the scheduler's treatment of it. Call
 * after the pages have joined (their processes exist by then).
 */
export async function raiseBrowserPriority(browser: Browser, nice = -10): Promise<void> {
  const threads: string[] = [];
  for (const pid of processTree(browser.process()!.pid!)) {
    try {
      for (const t of Deno.readDirSync(`/proc/${pid}/task`)) threads.push(t.name);
    } catch {
      // Gone meanwhile.
    }
  }
  const out = await new Deno.Command("renice", {
    args: ["-n", String(nice), "-p", ...threads],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) console.log(`renice refused: ${new TextDecoder().decode(out.stderr)}`);
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

/**
 * Saves a screenshot of `page` as `name` in $AM_TEST_OUTPUT (or a kept
 * temporary directory, one per test process) for a person to look at;
 * returns its path.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const path = join(outputDir(), name);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
  return path;
}

/** Saves `bytes` (say, a recording of a failed voice test) as `name` beside the screenshots. */
export async function saveOutput(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(outputDir(), name);
  await Deno.writeFile(path, bytes);
  console.log(`kept for a person to listen to: ${path}`);
  return path;
}

let output: string | null = null;
function outputDir(): string {
  output ??= Deno.env.get("AM_TEST_OUTPUT") ?? Deno.makeTempDirSync({ prefix: "am-shots-" });
  return output;
}
