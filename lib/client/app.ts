/**
 * The client program around a {@linkcode ChatClient}: where events go (the
 * full-screen terminal UI, plain lines, or JSON lines), where input comes from
 * (keys or stdin lines), what commands do, and how it ends. `client.ts` only
 * parses flags and hands them here.
 *
 * @module
 */

import { ChatClient, type ChatClientOptions, ClientFatalError } from "./chat_client.ts";
import { type Command, helpText, parseCommand } from "./commands.ts";
import { type ClientEvent, eventToJson, OWN_TEXT_EVENTS } from "./events.ts";
import { TALK_KEY_NAME } from "../terminal/line_editor.ts";
import { renderEvent } from "../terminal/render.ts";
import { ScreenModel } from "../terminal/screen_model.ts";
import { stylingEnabled } from "../terminal/style.ts";
import { TerminalUi, type UiAction } from "../terminal/ui.ts";
import { sanitizeForTerminal as safe } from "../sanitize.ts";
import { MAX_NICK_BYTES, MAX_ROOM_BYTES, type Member, nameProblem } from "../protocol.ts";

/** The voice side of the client, present when audio could be set up. */
export interface VoiceControl {
  /** Starts talking (asks the relay for the floor); `held`: until stopped, not until silence. */
  startTalking(held?: boolean): void;
  /** Stops talking. */
  stopTalking(): void;
  /** Whether this client is talking now. */
  readonly talking: boolean;
  /** Names of the microphone and speaker in use; null for one this client lacks. */
  readonly devices: { mic: string | null; speaker: string | null };
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
  /** On a pipe or in `--json`: also report own texts (`sent`, `acked`, `refused`, `undelivered`). */
  echoOwn?: boolean;
  /** The passphrase was typed at a prompt: `/join` asks again for the new room's. */
  passphraseTyped?: boolean;
  /** Builds the voice side once the client exists; null when voice is off. */
  voice?: (
    client: ChatClient,
    notice: (message: string) => void,
    setStatus: (level: string | null) => void,
  ) => Promise<VoiceControl | null>;
}

const encoder = new TextEncoder();

function writeLine(stream: { writeSync(p: Uint8Array): number }, line: string): void {
  const bytes = encoder.encode(line + "\n");
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Runs the client until the user quits or input ends; returns the exit code. */
export async function runClientApp(o: AppOptions): Promise<number> {
  const interactive = !o.json && Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  const relay = `${o.addresses[0].hostname}:${o.addresses[0].port}`;
  const model = interactive ? new ScreenModel(o.nick, o.room, relay) : null;
  let ui: TerminalUi | null = null;
  let voice: VoiceControl | null = null;
  let client: ChatClient | null = null;
  let passphrase = o.passphrase;
  const undelivered: string[] = [];
  const say = (line: string, error = false) => {
    if (model) {
      model.info(line, Date.now(), error ? "error" : "info");
      ui?.draw();
    } else writeLine(o.json ? Deno.stderr : Deno.stdout, line);
  };
  const report = (e: ClientEvent) => {
    voice?.onEvent(e);
    if (o.echoBot && e.event === "text") client?.sendText(`echo: ${e.text}`);
    if (e.event === "undelivered") undelivered.push(e.text);
    if (model) {
      if (model.event(e, Date.now())) ui?.bell();
      return ui?.draw();
    }
    // Pipes and --json keep their contract: own texts only when asked for.
    if (OWN_TEXT_EVENTS.has(e.event) && !o.echoOwn) return;
    if (o.json) return writeLine(Deno.stdout, eventToJson(e));
    const line = renderEvent(e);
    if (line !== null) writeLine(Deno.stdout, line);
  };
  client = await ChatClient.create({
    ...o,
    onEvent: report,
    onVoice: (from, counter, payload) => voice?.receive(from, counter, payload),
    // A relay that fails verification on a reconnect ends the client, as at the start.
    onFatal: (err) => {
      ui?.close();
      writeLine(Deno.stderr, `am-client: ${safe(err.message)}`);
      Deno.exit(1);
    },
  });
  try {
    await client.start();
  } catch (err) {
    const code = err instanceof ClientFatalError ? err.code : "unreachable";
    const message = errorText(err);
    if (o.json) writeLine(Deno.stdout, eventToJson({ event: "error", code, message }));
    writeLine(Deno.stderr, `am-client: ${safe(message)}`);
    return 1;
  }
  const chat = client;
  const notice = (message: string) => report({ event: "notice", message });
  voice = o.voice
    ? await o.voice(chat, notice, (level) => {
      model?.setTalk(level, Date.now());
      ui?.drawStatus();
    })
    : null;
  // After the devices opened (which can take a few hundred ms): a script that talks or
  // listens waits for this, not for "ready", before its first talk.
  if (voice) report({ event: "voice-ready", ...voice.devices });

  let quitting: Promise<number> | null = null;
  const quit = () =>
    quitting ??= (async () => {
      // A talk under way (e.g. a bot's [audio] with --mic file.wav) finishes first.
      await voice?.idle();
      if (chat.pending > 0) {
        model?.setConnection("leaving");
        ui?.draw();
      }
      const lost = await chat.close();
      await voice?.close();
      ui?.close();
      for (const text of model ? undelivered : []) {
        writeLine(Deno.stderr, `am-client: not delivered: ${safe(text)}`);
      }
      if (lost > 0) {
        writeLine(Deno.stderr, `am-client: ${lost} message(s) could not be delivered`);
        return 1;
      }
      return 0;
    })();
  const toggleTalk = () => {
    if (!voice) return say("! voice is not available in this client (see the notice above)");
    if (voice.talking) voice.stopTalking();
    else voice.startTalking();
  };
  /** Leaves for another nick or room; a refusal leaves the client where it was. */
  const switchTo = async (nick: string, room: string, what: string, cmd: "nick" | "join") => {
    const problem = nameProblem("nick", nick, MAX_NICK_BYTES) ??
      nameProblem("room", room, MAX_ROOM_BYTES);
    if (problem) return say(`! ${problem}`, true);
    let secret = passphrase;
    if (room !== chat.room && o.passphraseTyped && ui) {
      const typed = await ui.askSecret(`Passphrase for [${safe(room)}]: `);
      if (typed === null) return say("join cancelled: no passphrase entered");
      secret = typed;
    }
    voice?.stopTalking();
    await voice?.idle();
    const was = { nick: chat.nick, room: chat.room };
    model?.setConnection("leaving");
    say(`${what}…`);
    try {
      await chat.switchTo({ nick, room, passphrase: secret });
      passphrase = secret;
    } catch (err) {
      // A refusal by the relay was reported as an error event already.
      if (!(err instanceof ClientFatalError)) say(`! ${safe(errorText(err))}`, true);
      say(`! you are still ${safe(was.nick)} in [${safe(was.room)}]; try another /${cmd}`, true);
    }
  };
  const run = async (cmd: Command): Promise<boolean> => {
    switch (cmd.kind) {
      case "text":
        chat.sendText(cmd.text);
        break;
      case "me":
        chat.sendText(cmd.text, true);
        break;
      case "nick":
        if (cmd.nick === chat.nick) say(`you are already ${safe(cmd.nick)}`);
        else await switchTo(cmd.nick, chat.room, `changing nick to ${safe(cmd.nick)}`, "nick");
        break;
      case "join":
        if (cmd.room === chat.room) say(`you are already in [${safe(cmd.room)}]`);
        else {await switchTo(
            chat.nick,
            cmd.room,
            `leaving [${safe(chat.room)}] for [${safe(cmd.room)}]`,
            "join",
          );}
        break;
      case "clear":
        model?.clear();
        ui?.draw();
        break;
      case "who":
        chat.who();
        break;
      case "identity":
        client!.identity(cmd.action, cmd.nick);
        break;
      case "help":
        say(helpText(interactive ? TALK_KEY_NAME : null));
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
      case "usage":
        say(`! ${cmd.message}`, true);
        break;
      case "unknown":
        say(`! unknown command /${safe(cmd.name)}; /help lists commands`, true);
        break;
    }
    return true;
  };

  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => quit().then((code) => Deno.exit(code)));
  }
  if (!model) {
    for await (const line of stdinLines()) if (!await run(parseCommand(line))) break;
    return await quit();
  }
  // Whatever happens, the terminal comes back: main screen, cursor, cooked mode.
  const restore = () => ui?.close();
  globalThis.addEventListener("unload", restore);
  globalThis.addEventListener("error", restore);
  globalThis.addEventListener("unhandledrejection", restore);
  try {
    await new Promise<void>((resolve) => {
      // Lines run one after another: a /join finishes before the next line is read.
      let queue = Promise.resolve(true);
      const onAction = (a: UiAction) => {
        if (a.kind === "submit") {
          const cmd = parseCommand(a.line);
          queue = queue.then((going) => going && run(cmd)).then((going) => {
            if (!going) resolve();
            return going;
          });
        } else if (a.kind === "eof" || a.kind === "interrupt") {
          voice?.stopTalking();
          resolve();
        } else if (a.kind === "toggle-talk") toggleTalk();
      };
      ui = new TerminalUi(model, onAction, stylingEnabled(Deno.env.get("NO_COLOR"), true));
      ui.run().catch(resolve);
    });
    return await quit();
  } finally {
    restore();
  }
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
