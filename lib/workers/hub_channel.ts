/**
 * A worker's end of its channel to the hub: messages out (a frame's bytes
 * moved, not copied, when the caller hands over a buffer of its own), and
 * requests whose answers come back by sequence number. Also the connection
 * gate the worker's relay asks, so that `--max-clients` and `--max-per-ip`
 * count the connections of every worker together.
 *
 * @module
 */

import type { ConnectionGate, Refusal } from "../relay/connection_gate.ts";
import type { FromHub, ToHub } from "./messages.ts";

/** Sends one message to the hub, moving the buffers in `transfer`. */
export type PostToHub = (msg: ToHub, transfer?: ArrayBuffer[]) => void;

/** Requests and messages to the hub. */
export class HubChannel {
  readonly #post: PostToHub;
  readonly #pending = new Map<number, (value: unknown) => void>();
  #seq = 0;

  /** A channel that posts with `post`. */
  constructor(post: PostToHub) {
    this.#post = post;
  }

  /** Sends a message that needs no answer. */
  send(msg: ToHub, transfer?: ArrayBuffer[]): void {
    this.#post(msg, transfer);
  }

  /** Sends the request `make(seq)` builds; resolves with the hub's answer. */
  request<T>(make: (seq: number) => ToHub): Promise<T> {
    const seq = ++this.#seq;
    return new Promise<T>((resolve) => {
      this.#pending.set(seq, resolve as (value: unknown) => void);
      this.#post(make(seq));
    });
  }

  /** Takes an answer of the hub; false when `msg` is no answer. */
  answer(msg: FromHub): boolean {
    let value: unknown;
    if (msg.t === "gate") value = msg.refusal;
    else if (msg.t === "claim") value = msg.holder;
    else if (msg.t === "history") value = msg.frames;
    else return false;
    const resolve = this.#pending.get(msg.seq);
    this.#pending.delete(msg.seq);
    resolve?.(value);
    return true;
  }
}

/** The relay-wide connection limits, asked of the hub. */
export class HubGate implements ConnectionGate {
  readonly #hub: HubChannel;

  /** A gate over `hub`. */
  constructor(hub: HubChannel) {
    this.#hub = hub;
  }

  open(ip: string): Promise<Refusal | null> {
    return this.#hub.request((seq) => ({ t: "gate", seq, ip }));
  }

  close(ip: string): void {
    this.#hub.send({ t: "ungate", ip });
  }
}
