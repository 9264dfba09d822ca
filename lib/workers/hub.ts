/**
 * The hub of a relay's workers, on the main thread: what must be decided once
 * for the whole relay. It counts connections against the relay's limits, keeps
 * who is in which room on which worker (so a nick is taken room-wide), holds
 * each half-duplex floor, carries a room's frames to the other workers that
 * have members in it, and gathers recent texts for a resuming member. One
 * channel per worker, handled in order, so a member's join reaches the other
 * workers before anything it sends. Pure logic: it takes a worker's message
 * and returns the messages to send.
 *
 * @module
 */

import { FrameType } from "../protocol.ts";
import { slotOfId } from "../cluster/id_range.ts";
import { CountingGate } from "../relay/connection_gate.ts";
import type { RelayOptions } from "../relay/options.ts";
import { type FromHub, type Outbound, type ToHub, workerRelayId } from "./messages.ts";
import type { Member } from "../protocol.ts";

interface RoomState {
  /** Members by nick, with their worker. */
  members: Map<string, { worker: number; member: Member }>;
  /** Members on each worker. */
  perWorker: Map<number, number>;
  /** The half-duplex floor's holder. */
  holder: { nick: string; worker: number } | null;
}

interface HistoryAsk {
  from: number;
  seq: number;
  waiting: number;
  best: Uint8Array[];
}

/** Decisions shared by the workers of one relay. */
export class Hub {
  /** Number of workers. */
  readonly workers: number;
  readonly #gate: CountingGate;
  readonly #rooms = new Map<string, RoomState>();
  readonly #asks = new Map<number, HistoryAsk>();
  #nextAsk = 1;

  /** A hub for `workers` workers and the connection limits of `o`. */
  constructor(workers: number, o: Pick<RelayOptions, "maxClients" | "maxPerIp">) {
    this.workers = workers;
    this.#gate = new CountingGate(o);
  }

  /** Connections open now, all workers together. */
  get connections(): number {
    return this.#gate.total;
  }

  /** Workers with members in `room`. */
  workersOf(room: string): number[] {
    return [...this.#rooms.get(room)?.perWorker.keys() ?? []];
  }

  /** Handles one message of worker `from`; returns what to send where. */
  handle(from: number, msg: ToHub): Outbound[] {
    switch (msg.t) {
      case "gate":
        return [{ to: from, msg: { t: "gate", seq: msg.seq, refusal: this.#gate.open(msg.ip) } }];
      case "ungate":
        this.#gate.close(msg.ip);
        return [];
      case "join":
        return this.#join(from, msg.room, msg.member);
      case "leave":
        return this.#leave(from, msg.room, msg.member);
      case "claim":
        return this.#claim(from, msg.seq, msg.room, msg.nick);
      case "release":
        return this.#release(from, msg.room, msg.nick);
      case "frames":
        return this.#frames(from, msg.rooms, msg.frames);
      case "history":
        return this.#askHistory(from, msg.seq, msg.room, msg.nick);
      case "history-answer":
        return this.#historyAnswer(msg.ask, msg.frames);
      default:
        return [];
    }
  }

  #others(from: number, msg: FromHub): Outbound[] {
    const out: Outbound[] = [];
    for (let w = 0; w < this.workers; w++) if (w !== from) out.push({ to: w, msg });
    return out;
  }

  #join(from: number, room: string, member: Member): Outbound[] {
    let r = this.#rooms.get(room);
    if (!r) this.#rooms.set(room, r = { members: new Map(), perWorker: new Map(), holder: null });
    const cur = r.members.get(member.nick);
    // Taken on another worker, by another session: the later one loses (the
    // worker checked its mirror first, so this is a race of two joins).
    if (cur && cur.worker !== from && cur.member.session !== member.session) {
      return [{ to: from, msg: { t: "refused", room, member } }];
    }
    // The same session coming back through another worker takes the nick over;
    // its old worker sees the entry move and closes the old connection.
    if (cur) this.#count(r, cur.worker, -1);
    r.members.set(member.nick, { worker: from, member });
    this.#count(r, from, 1);
    const entry = { relay: workerRelayId(from), member };
    return this.#others(from, { t: "present", room, nick: member.nick, entry });
  }

  #leave(from: number, room: string, member: Member): Outbound[] {
    const r = this.#rooms.get(room);
    const cur = r?.members.get(member.nick);
    // Only the worker's own entry: a refused member, or one taken over, left nothing here.
    if (!r || !cur || cur.worker !== from || cur.member.id !== member.id) return [];
    r.members.delete(member.nick);
    this.#count(r, from, -1);
    const out = this.#others(from, { t: "present", room, nick: member.nick, entry: null });
    if (r.holder?.nick === member.nick && r.holder.worker === from) {
      r.holder = null;
      out.push(...this.#others(from, { t: "floor", room, nick: null }));
    }
    if (r.members.size === 0) this.#rooms.delete(room);
    return out;
  }

  #count(r: RoomState, worker: number, delta: number): void {
    const n = (r.perWorker.get(worker) ?? 0) + delta;
    if (n > 0) r.perWorker.set(worker, n);
    else r.perWorker.delete(worker);
  }

  #claim(from: number, seq: number, room: string, nick: string): Outbound[] {
    const r = this.#rooms.get(room);
    const h = r?.holder;
    if (h && !(h.nick === nick && h.worker === from)) {
      return [{ to: from, msg: { t: "claim", seq, holder: h.nick } }];
    }
    // A member the hub does not know (it left meanwhile) gets nothing to hold.
    if (!r || r.members.get(nick)?.worker !== from) {
      return [{ to: from, msg: { t: "claim", seq, holder: null } }];
    }
    r.holder = { nick, worker: from };
    return [
      { to: from, msg: { t: "claim", seq, holder: null } },
      ...this.#others(from, { t: "floor", room, nick }),
    ];
  }

  #release(from: number, room: string, nick: string): Outbound[] {
    const r = this.#rooms.get(room);
    if (!r?.holder || r.holder.nick !== nick || r.holder.worker !== from) return [];
    r.holder = null;
    return this.#others(from, { t: "floor", room, nick: null });
  }

  /** Routes a batch of frames: one message per worker that gets any, in their order. */
  #frames(from: number, rooms: string[], frames: Uint8Array[]): Outbound[] {
    const batches = new Map<number, { t: "frames"; rooms: string[]; frames: Uint8Array[] }>();
    const add = (to: number, room: string, frame: Uint8Array) => {
      let b = batches.get(to);
      if (!b) batches.set(to, b = { t: "frames", rooms: [], frames: [] });
      b.rooms.push(room);
      b.frames.push(frame);
    };
    for (let i = 0; i < frames.length; i++) {
      const r = this.#rooms.get(rooms[i]);
      if (!r) continue;
      const frame = frames[i];
      // A key share goes to its recipient's worker only: the id says which.
      if (frame[4] === FrameType.KeyShare && frame.length >= 9) {
        const to = slotOfId((frame[7] << 8) | frame[8]);
        if (to !== from && r.perWorker.has(to)) add(to, rooms[i], frame);
        continue;
      }
      for (const w of r.perWorker.keys()) if (w !== from) add(w, rooms[i], frame);
    }
    return [...batches].map(([to, msg]) => ({ to, msg }));
  }

  #askHistory(from: number, seq: number, room: string, nick: string): Outbound[] {
    const targets = this.workersOf(room).filter((w) => w !== from);
    if (targets.length === 0) return [{ to: from, msg: { t: "history", seq, frames: [] } }];
    const ask = this.#nextAsk++;
    this.#asks.set(ask, { from, seq, waiting: targets.length, best: [] });
    return targets.map((to) => ({ to, msg: { t: "history-ask", ask, room, nick } }));
  }

  #historyAnswer(ask: number, frames: Uint8Array[]): Outbound[] {
    const a = this.#asks.get(ask);
    if (!a) return [];
    // One worker's list, in its order: merging two could reorder what it shows.
    if (frames.length > a.best.length) a.best = frames;
    if (--a.waiting > 0) return [];
    this.#asks.delete(ask);
    return [{ to: a.from, msg: { t: "history", seq: a.seq, frames: a.best } }];
  }
}
