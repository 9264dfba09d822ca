/**
 * The client program around a {@linkcode ChatClient}: where events go (a
 * terminal UI, plain lines, or JSON lines), where input comes from (keys or
 * stdin lines), what commands do, and how it ends. `client.ts` only parses
 * flags and hands them here.
 *
 * @module
 */

import { ChatClient, type ChatClientOptions, ClientFatalError } from "./chat_client.ts";
import { helpText, parseCommand } from "./commands.ts";
import type { ClientEvent } from "./events.ts";
import { eventToJson } from "./events.ts";
import { TALK_KEY_NAME } from "../terminal/line_editor.ts";
import { renderEvent } from "../terminal/render.ts";
import { sanitizeForTerminal } from "../sanitize.ts";
import { TerminalUi } from "../terminal/ui.ts";
import type { Member } from "../protocol.ts";

/** The voice side of the client, present when audio could be set up. */
export interface VoiceControl {
  /** Starts talking (asks the relay for the floor). */
  startTalking(): void;
  /** Stops talking. */
  stopTalking(): void;
  /** Whether this client is talking now. */
  readonly talking: boolean;
  /** Feeds an opened voice frame from another member. */
  receive(from: Member, counter: number, payload: Uint8Array): void;
  /** Sees every event (floor grants, denials, talk ends of others). */
  onEvent(e: ClientEvent): void;
  /** Resolves when no talk (nor echo replay) is under way. */
  idle(): Promise<void>;
  /** Stops audio and completes recordings. */
  close(): Promise<void>;
}

/** How the client was asked to run. */
export interface AppOptions extends Omit<ChatClientOptions, "onEvent" | "onVoice" | "onFatal"> {
  /** One JSON object per line on stdout. */
  json: boolean;
  /** Answer each text with "echo: <text>" (the `make dev` echo bot). */
  echoBot: boolean;
  /** Builds the voice side once the client exists; null when voice is off. */
  voice?: (
    client: ChatClient,
    notice: (message: string) => void,
    setStatus: (status: string | null) => void,
  ) => Promise<VoiceControl | null>;
}

const encoder = new TextEncoder();

function writeLine(stream: { writeSync(p: Uint8Array): number }, line: string): void {
  const bytes = encoder.encode(line + "\n");
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

/** Runs the client until the user quits or input ends; returns the exit code. */
export async function runClientApp(o: AppOptions): Promise<number> {
  const interactive = !o.json && Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  let ui: TerminalUi | null = null;
  let voice: VoiceControl | null = null;
  let client: ChatClient | null = null;
  const human = (line: string) => {
    if (ui) ui.print(line);
    else writeLine(o.json ? Deno.stderr : Deno.stdout, line);
  };
  const report = (e: ClientEvent) => {
    voice?.onEvent(e);
    if (o.echoBot && e.event === "text") client?.sendText(`echo: ${e.text}`);
    if (o.json) writeLine(Deno.stdout, eventToJson(e));
    else {
      const line = renderEvent(e);
      if (line !== null) human(line);
    }
  };
  client = await ChatClient.create({
    ...o,
    onEvent: report,
    onVoice: (from, counter, payload) => voice?.receive(from, counter, payload),
    // A relay that fails verification on a reconnect ends the client, as at the start.
    onFatal: (err) => {
      ui?.close();
      writeLine(Deno.stderr, `am-client: ${sanitizeForTerminal(err.message)}`);
      Deno.exit(1);
    },
  });
  try {
    await client.start();
  } catch (err) {
    const code = err instanceof ClientFatalError ? err.code : "unreachable";
    const message = err instanceof Error ? err.message : String(err);
    if (o.json) writeLine(Deno.stdout, eventToJson({ event: "error", code, message }));
    writeLine(Deno.stderr, `am-client: ${sanitizeForTerminal(message)}`);
    return 1;
  }
  const notice = (message: string) => report({ event: "notice", message });
  const prompt = (status: string | null) =>
    `[${sanitizeForTerminal(o.room)}${status ? ` ${status}` : ""}] > `;
  voice = o.voice ? await o.voice(client, notice, (status) => ui?.setPrompt(prompt(status))) : null;

  let quitting: Promise<number> | null = null;
  const quit = () =>
    quitting ??= (async () => {
      // A talk under way (e.g. a bot's [audio] with --mic file.wav) finishes first.
      await voice?.idle();
      const undelivered = await client!.close();
      await voice?.close();
      ui?.close();
      if (undelivered > 0) {
        writeLine(Deno.stderr, `am-client: ${undelivered} message(s) could not be delivered`);
        return 1;
      }
      return 0;
    })();
  const toggleTalk = () => {
    if (!voice) return human("! voice is not available in this client (see the notice above)");
    if (voice.talking) voice.stopTalking();
    else voice.startTalking();
  };
  const onLine = (line: string): boolean => {
    const cmd = parseCommand(line);
    switch (cmd.kind) {
      case "text":
        client!.sendText(cmd.text);
        break;
      case "who":
        client!.who();
        break;
      case "help":
        human(helpText(interactive ? TALK_KEY_NAME : null));
        break;
      case "talk":
        if (!voice?.talking) toggleTalk();
        break;
      case "stop":
        if (voice?.talking) toggleTalk();
        break;
      case "quit":
        // A person leaving stops talking at once; a bot at end of input finishes its talk.
        voice?.stopTalking();
        return false;
      case "unknown":
        human(`! unknown command /${sanitizeForTerminal(cmd.name)}; /help lists commands`);
        break;
    }
    return true;
  };

  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => quit().then((code) => Deno.exit(code)));
  }
  if (interactive) {
    await new Promise<void>((resolve) => {
      ui = new TerminalUi(prompt(null), (a) => {
        if (a.kind === "submit" && !onLine(a.line)) resolve();
        else if (a.kind === "eof" || a.kind === "interrupt") {
          voice?.stopTalking();
          resolve();
        } else if (a.kind === "toggle-talk") toggleTalk();
      });
      ui.run().catch(resolve);
    });
  } else {
    for await (const line of stdinLines()) if (!onLine(line)) break;
  }
  return await quit();
}

/** Lines of stdin, without their line ends, until EOF. */
async function* stdinLines(): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    rest += chunk;
    let i: number;
    while ((i = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, i).replace(/\r$/, "");
      rest = rest.slice(i + 1);
    }
  }
  if (rest !== "") yield rest;
}
