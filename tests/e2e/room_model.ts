/**
 * A room of real {@linkcode RoomInbox}es (real keys, real seals) wired through
 * an in-memory stand-in for the relay's routing: member ids handed out per
 * connection, key shares passed only to the member id they are addressed to,
 * in order, texts stamped with the sender's nick. It lets pure tests replay a
 * relay restart step by step; the real relay process is exercised by
 * tests/client/reconnect_test.ts.
 *
 * @module
 */

import { deriveRoomKey, newSessionId, type RoomKey, toHex } from "../../lib/cipher.ts";
import { concatBytes } from "../../lib/framing.ts";
import { idStamp, type Member, nickStamp } from "../../lib/protocol.ts";
import { GroupSession } from "../../lib/e2e/group.ts";
import { Identity } from "../../lib/e2e/identity.ts";
import { KnownMembers } from "../../lib/e2e/known_members.ts";
import { RoomInbox } from "../../lib/client/inbox.ts";
import type { ClientEvent } from "../../lib/client/events.ts";

/** One member of the model room. */
export interface ModelMember {
  /** Nick. */
  nick: string;
  /** Its end-to-end state. */
  group: GroupSession;
  /** Its inbox. */
  inbox: RoomInbox;
  /** Everything it reported. */
  events: ClientEvent[];
  /** Its id on the current relay, or 0 while not connected. */
  id: number;
  /** Key shares it sent (plain and requests). */
  sharesSent: number;
}

/** A share on its way: from, to, the sealed body. */
interface InFlight {
  from: ModelMember;
  to: number;
  body: Uint8Array;
}

/** The model room. */
export class ModelRoom {
  readonly members: ModelMember[] = [];
  readonly #key: RoomKey;
  #nextId = 1;
  #queue: InFlight[] = [];
  /** Decides whether a share is lost on the way (the relay died, say). */
  drop: (from: ModelMember, to: ModelMember) => boolean = () => false;

  private constructor(key: RoomKey) {
    this.#key = key;
  }

  /** A room keyed by `passphrase`. */
  static async create(passphrase = "correct horse", room = "lobby"): Promise<ModelRoom> {
    return new ModelRoom(await deriveRoomKey(passphrase, room));
  }

  /** Adds a member, not connected yet. */
  async add(nick: string): Promise<ModelMember> {
    const group = new GroupSession(this.#key, nick, Identity.generate(), newSessionId());
    const m: ModelMember = {
      nick,
      group,
      events: [],
      id: 0,
      sharesSent: 0,
      inbox: null as unknown as RoomInbox,
    };
    m.inbox = new RoomInbox(group, await KnownMembers.load(null), (e) => m.events.push(e), (p) => {
      m.sharesSent++;
      this.#queue.push({ from: m, to: (p[0] << 8) | p[1], body: p.subarray(2) });
    });
    this.members.push(m);
    return m;
  }

  /** The relay's entry for `m`. */
  entry(m: ModelMember): Member {
    return {
      nick: m.nick,
      id: m.id,
      session: toHex(m.group.session),
      keyId: m.group.keyId,
      ...m.group.helloFields(),
    };
  }

  /** `m` joins (or rejoins): a new id, a welcome for it, `joined` for the others. */
  join(m: ModelMember, rejoined = false): void {
    m.id = this.#nextId++;
    const present = this.members.filter((x) => x.id !== 0);
    for (const other of present) if (other !== m) other.inbox.add(this.entry(m));
    m.inbox.reset(present.map((x) => this.entry(x)), rejoined);
  }

  /** The relay dies: every connection is lost, ids start again at 1. */
  restart(): void {
    for (const m of this.members) {
      m.id = 0;
      m.inbox.forgetIds();
    }
    this.#queue = [];
    this.#nextId = 1;
  }

  /** Delivers every share in flight, in order, as the relay would (dropped when `drop` says so). */
  pump(): void {
    while (this.#queue.length) {
      const s = this.#queue.shift()!;
      const to = this.members.find((x) => x.id === s.to && x.id !== 0);
      if (!to || s.from.id === 0 || this.drop(s.from, to)) continue;
      to.inbox.keyShare(concatBytes([idStamp(s.from.id), idStamp(s.to), s.body]));
    }
  }

  /** `from` sends `text`; every other connected member receives it. */
  say(from: ModelMember, text: string, n: number): void {
    const body = new TextEncoder().encode(JSON.stringify({ n, text, ts: n }));
    const sealed = from.group.sealText(body);
    for (const to of this.members) {
      if (to !== from && to.id !== 0) to.inbox.text(concatBytes([nickStamp(from.nick), sealed]));
    }
  }

  /** Texts `m` reported, as "nick: text". */
  texts(m: ModelMember): string[] {
    return m.events.flatMap((e) => e.event === "text" ? [`${e.from}: ${e.text}`] : []);
  }

  /** Errors `m` reported. */
  errors(m: ModelMember): Extract<ClientEvent, { event: "error" }>[] {
    return m.events.flatMap((e) => e.event === "error" ? [e] : []);
  }

  /** Stops every inbox's timer. */
  close(): void {
    for (const m of this.members) m.inbox.close();
  }
}
