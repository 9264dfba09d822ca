/**
 * Recent texts across relays. A member that resumes on a relay after a lost
 * connection (its old relay may be dead) is owed what its room said meanwhile;
 * the relay it lands on may have had nobody in that room. So relays answer each
 * other's questions on one NATS subject with the recent texts of the rooms they
 * have open (frames as they were relayed: stamped and sealed, so NATS still
 * carries no plaintext), and the asking relay takes the longest answer.
 *
 * @module
 */

import { createInbox, type NatsConnection } from "nats";
import { concatBytes, encodeFrame, FrameDecoder } from "../framing.ts";
import { encodeJson } from "../protocol.ts";
import type { Room } from "../relay/room.ts";
import { recentTextsOf } from "../relay/room_history.ts";

/** Where relays ask each other for a room's recent texts. */
const SUBJECT = "am.history";
/** How long the asking relay collects answers. */
const WAIT_MS = 250;
/** Largest answer. */
const MAX_BYTES = 256 * 1024;

/** Answers and asks history questions for one relay. */
export class HistoryExchange {
  readonly #nc: NatsConnection;

  /** Starts answering for the rooms `roomOf` finds open on this relay. */
  constructor(nc: NatsConnection, roomOf: (name: string) => Room | undefined) {
    this.#nc = nc;
    nc.subscribe(SUBJECT, {
      callback: (err, msg) => {
        if (err || !msg.reply) return;
        try {
          const ask = JSON.parse(new TextDecoder().decode(msg.data)) as {
            room: string;
            nick: string;
          };
          const room = roomOf(String(ask.room));
          if (!room) return;
          const frames = recentTextsOf(room).except(String(ask.nick), Date.now(), MAX_BYTES);
          if (frames.length) msg.respond(concatBytes(frames));
        } catch {
          // A malformed question gets no answer.
        }
      },
    });
  }

  /** The other relays' recent texts of `room` but `nick`'s own: the longest answer. */
  async ask(room: Room, nick: string): Promise<Uint8Array[]> {
    const inbox = createInbox();
    let best: Uint8Array[] = [];
    const sub = this.#nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const frames = new FrameDecoder(MAX_BYTES).push(msg.data);
          if (frames.length > best.length) best = frames.map((f) => encodeFrame(f.type, f.payload));
        } catch {
          // An unreadable answer is ignored.
        }
      },
    });
    this.#nc.publish(SUBJECT, encodeJson({ room: room.name, nick }), { reply: inbox });
    await new Promise((r) => setTimeout(r, WAIT_MS));
    sub.unsubscribe();
    return best;
  }
}
