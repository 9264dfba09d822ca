/**
 * `am-client`: the Audio Messenger terminal client. Parses flags (each also
 * from an `AM_*` environment variable), finds the passphrase, and runs the
 * client program.
 *
 * @module
 */

import { parseAddresses } from "./lib/client/address.ts";
import { type FlagSpec, formatHelp, intValue, parseCli, UsageError } from "./lib/cli.ts";
import { runClientApp } from "./lib/client/app.ts";
import { knownRelaysPath } from "./lib/client/known_relays.ts";
import { relayConnector, type TrustOptions } from "./lib/client/relay_trust.ts";
import { parseFingerprint } from "./lib/tls/mod.ts";
import { obtainPassphrase, PassphraseError } from "./lib/client/passphrase.ts";
import { MAX_NICK_BYTES, MAX_ROOM_BYTES, nameProblem } from "./lib/protocol.ts";
import { VERSION } from "./lib/version.ts";
import { IdentityError, identityFingerprint } from "./lib/e2e/identity_file.ts";

const FLAGS: Record<string, FlagSpec> = {
  nick: {
    type: "string",
    short: "n",
    env: "AM_NICK",
    value: "NAME",
    help: "your nick (default $USER)",
  },
  room: {
    type: "string",
    short: "r",
    env: "AM_ROOM",
    default: "lobby",
    value: "ROOM",
    help: "room to join",
  },
  "passphrase-file": {
    type: "string",
    env: "AM_PASSPHRASE_FILE",
    value: "FILE",
    help: "read the room passphrase from FILE (else $AM_PASSPHRASE, else a prompt)",
  },
  "no-tls": {
    type: "boolean",
    env: "AM_NO_TLS",
    help: "plain TCP, for a relay started with --no-tls (the network then sees nicks and rooms)",
  },
  ca: {
    type: "string",
    env: "AM_CA",
    value: "FILE",
    help: "trust relays whose certificate this CA (PEM) signed, for the name connected to",
  },
  pin: {
    type: "string",
    env: "AM_PIN",
    value: "SHA256",
    help: "accept only a relay with this fingerprint (am-server --fingerprint prints it)",
  },
  json: { type: "boolean", env: "AM_JSON", help: "write one JSON object per event on stdout" },
  "echo-own": {
    type: "boolean",
    env: "AM_ECHO_OWN",
    help: "on a pipe or with --json, also report your own messages (sent, acked, refused, " +
      "undelivered); the terminal UI always shows them",
  },
  mic: {
    type: "string",
    env: "AM_MIC",
    value: "DEV|FILE.wav",
    help: "microphone: device index or name, or a WAV file played when talking starts",
  },
  speaker: {
    type: "string",
    env: "AM_SPEAKER",
    value: "DEV|FILE.wav",
    help: "speaker: device index or name, or a WAV file that records what would play",
  },
  "list-devices": { type: "boolean", help: "list audio input and output devices and exit" },
  identity: {
    type: "string",
    env: "AM_IDENTITY",
    value: "FILE",
    help: "identity key file (default $XDG_CONFIG_HOME/am/identity, made on first run)",
  },
  fingerprint: { type: "boolean", help: "print this client's identity fingerprint and exit" },
  "vad-threshold": {
    type: "string",
    env: "AM_VAD_THRESHOLD",
    default: "600",
    value: "PEAK",
    help: "a 20 ms frame whose peak sample is below this is silent",
  },
  "vad-hangover-ms": {
    type: "string",
    env: "AM_VAD_HANGOVER_MS",
    default: "800",
    value: "MS",
    help: "talking ends after this much silence",
  },
  "no-audio": { type: "boolean", env: "AM_NO_AUDIO", help: "text only: open no audio device" },
  "echo-bot": {
    type: "boolean",
    help: 'answer every message with "echo: <text>" (and voice with a replay)',
  },
  version: { type: "boolean", short: "V", help: "print the version and exit" },
  help: { type: "boolean", short: "h", help: "print this help and exit" },
};

const USAGE = `am-client ${VERSION}: Audio Messenger, end-to-end encrypted group text and voice

Usage: am-client [HOST[:PORT][,HOST2[:PORT]...]] [options]

Connects to the relay (default localhost:9001; a list fails over in order),
joins the room and seals everything with the room's passphrase. The connection
is TLS: a relay whose certificate no CA vouches for is pinned on first use in
$XDG_CONFIG_HOME/am/known_relays, like an SSH host key, and a changed one is refused. On a terminal,
type messages and /help for commands. On a pipe, every line is a message and
the client leaves at end of input once everything is delivered.`;

/** Refuses a passphrase on the command line, where every process listing shows it. */
function refusePassphraseArgument(args: string[]): void {
  const i = args.findIndex((a) => a === "--" || /^--?(passphrase|password|pass|p)(=|$)/.test(a));
  if (i < 0 || args[i] === "--") return;
  throw new UsageError(
    "there is no passphrase option: on the command line it would show in process listings; " +
      "use --passphrase-file FILE, AM_PASSPHRASE, or type it at the prompt",
  );
}

/** Trust settings from the flags; throws {@linkcode UsageError}. */
async function trustOptions(values: Record<string, unknown>): Promise<TrustOptions> {
  const tls = values["no-tls"] !== true;
  const caFile = values.ca as string | undefined;
  const pinText = values.pin as string | undefined;
  if (!tls && (caFile !== undefined || pinText !== undefined)) {
    throw new UsageError("--no-tls checks no certificate; drop --ca or --pin");
  }
  if (caFile !== undefined && pinText !== undefined) {
    throw new UsageError("give --ca or --pin, not both");
  }
  const pin = pinText === undefined ? undefined : parseFingerprint(pinText);
  if (pin === null) {
    throw new UsageError(
      `--pin "${pinText}" is not a SHA-256 fingerprint like SHA256:abc… (am-server --fingerprint)`,
    );
  }
  let caPem: string | undefined;
  if (caFile !== undefined) {
    try {
      caPem = await Deno.readTextFile(caFile);
    } catch (err) {
      throw new UsageError(`cannot read --ca ${caFile}: ${(err as Error).message}`);
    }
    if (!caPem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new UsageError(`--ca ${caFile} holds no PEM certificate`);
    }
  }
  return { tls, caPem, caFile, pin, knownRelaysPath: knownRelaysPath((n) => Deno.env.get(n)) };
}

async function main(args: string[]): Promise<number> {
  refusePassphraseArgument(args);
  const { values, positionals } = parseCli(FLAGS, args);
  if (values.help) {
    console.log(formatHelp(USAGE, FLAGS));
    return 0;
  }
  if (values.version) {
    console.log(`am-client ${VERSION}`);
    return 0;
  }
  if (values["list-devices"]) {
    const { listAudioDevices } = await import("./lib/voice/setup.ts");
    return await listAudioDevices();
  }
  const identityPath = values.identity as string | undefined;
  if (values.fingerprint) {
    console.log(await identityFingerprint(identityPath));
    return 0;
  }
  const vadThreshold = intValue("vad-threshold", values["vad-threshold"], 0, 32767);
  const vadHangoverMs = intValue("vad-hangover-ms", values["vad-hangover-ms"], 20, 600_000);
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument "${positionals[1]}"; see --help`);
  }
  const addresses = parseAddresses(positionals[0] ?? Deno.env.get("AM_SERVER") ?? "localhost:9001");
  const nick = String(values.nick ?? Deno.env.get("USER") ?? Deno.env.get("USERNAME") ?? "");
  const room = String(values.room);
  const problem = nameProblem("nick", nick, MAX_NICK_BYTES) ??
    nameProblem("room", room, MAX_ROOM_BYTES);
  if (problem) throw new UsageError(nick === "" ? "no nick: give --nick NAME" : problem);
  const trust = await trustOptions(values);
  const passphraseFile = values["passphrase-file"] as string | undefined;
  // Typed at the prompt (no file, no variable): /join asks again for the new room's.
  const passphraseTyped = !passphraseFile && !Deno.env.get("AM_PASSPHRASE");
  const passphrase = await obtainPassphrase(passphraseFile);
  return await runClientApp({
    addresses,
    connect: relayConnector(trust),
    nick,
    room,
    passphrase,
    identityPath,
    json: values.json === true,
    echoBot: values["echo-bot"] === true,
    echoOwn: values["echo-own"] === true,
    passphraseTyped,
    voice: values["no-audio"] ? undefined : async (client, notice, setStatus) => {
      const { openVoice } = await import("./lib/voice/setup.ts");
      const interactive = Deno.stdin.isTerminal() && Deno.stdout.isTerminal() && !values.json;
      return await openVoice(
        client,
        {
          mic: values.mic as string | undefined,
          speaker: values.speaker as string | undefined,
          defaultDevices: interactive,
          vadThreshold,
          vadHangoverMs,
          echo: values["echo-bot"] === true,
        },
        notice,
        setStatus,
      );
    },
  });
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    const known = err instanceof UsageError || err instanceof PassphraseError ||
      err instanceof IdentityError;
    console.error(`am-client: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(known ? 2 : 1);
  }
}
