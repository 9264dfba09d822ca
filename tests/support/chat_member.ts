/**
 * An in-process room member on the real client code ({@linkcode ChatClient}):
 * it records its events and the voice it hears, and waits for what a test
 * needs. For tests of relays that span rooms (a NATS cluster, a relay's
 * workers), where one process holds many members.
 *
 * @module
 */

import { ChatClient } from "../../lib/client/chat_client.ts";
import { relayConnector } from "../../lib/client/relay_trust.ts";
import type { ClientEvent } from "../../lib/client/events.ts";
import type { Member } from "../../lib/protocol.ts";
import { waitUntil } from "./test_env.ts";

/** A member and what it has seen. */
export interface ChatMember {
  /** The client. */
  client: ChatClient;
  /** Its events so far. */
  events: ClientEvent[];
  /** Voice it heard: who, and the packet. */
  voice: { from: Member; payload: Uint8Array }[];
  /** Waits until `pred` holds (checked after each event or voice packet). */
  until(pred: () => boolean, what: string, ms?: number): Promise<void>;
  /** Whether an event matching `pred` arrived. */
  has(pred: (e: ClientEvent) => boolean): boolean;
}

/**
 * A member `nick` of `room` on the relays at 127.0.0.1:`ports`, joined once it
 * resolves. TLS as shipped (first-use pins stay in this process's memory)
 * unless `tls` is false.
 */
export async function chatMember(
  nick: string,
  ports: number[],
  room = "lobby",
  tls = true,
): Promise<ChatMember> {
  const events: ClientEvent[] = [];
  const voice: { from: Member; payload: Uint8Array }[] = [];
  const waiters = new Set<() => void>();
  const client = await ChatClient.create({
    addresses: ports.map((port) => ({ hostname: "127.0.0.1", port })),
    nick,
    room,
    passphrase: "test passphrase",
    connect: relayConnector({ tls, knownRelaysPath: null }),
    onEvent: (e) => {
      events.push(e);
      for (const w of waiters) w();
    },
    onVoice: (from, _counter, payload) => {
      voice.push({ from, payload });
      for (const w of waiters) w();
    },
  });
  const until = (pred: () => boolean, what: string, ms = 10_000) =>
    waitUntil(waiters, pred, what, ms).catch((err: Error) => {
      throw new Error(`${nick}: ${err.message}; ${JSON.stringify(events)}`);
    });
  const has = (pred: (e: ClientEvent) => boolean) => events.some(pred);
  await client.start();
  return { client, events, voice, until, has };
}
