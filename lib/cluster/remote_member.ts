/**
 * A member of a room who is connected to another relay of the cluster. It sits
 * in the {@linkcode Room} beside local connections, so the nick check, the id
 * allocation, the welcome's member list and `/who` see the whole room; frames
 * for it are not delivered here (its own relay gets them over NATS).
 *
 * @module
 */

import type { Member } from "../protocol.ts";
import type { Delivery } from "../relay/room.ts";

/** A member on another relay. */
export class RemoteMember implements Delivery {
  /** The member's public entry. */
  readonly member: Member;
  /** Id of the relay it is connected to. */
  readonly relay: string;
  /** Its own relay delivers to it. */
  readonly remote = true;
  readonly #onClose: (reason: string) => void;

  /** A remote member; `onClose` takes it out of the room. */
  constructor(member: Member, relay: string, onClose: (reason: string) => void) {
    this.member = member;
    this.relay = relay;
    this.#onClose = onClose;
  }

  /** Its own relay delivers to it: nothing to do here. */
  deliver(): boolean {
    return true;
  }

  /** Removes it from the room (it reconnected here, to this relay). */
  close(reason: string): void {
    this.#onClose(reason);
  }
}
