/**
 * What a {@linkcode ChatClient} is given: the relays, who it is and where,
 * the passphrase, its identity, how it connects, and where its events go.
 *
 * @module
 */

import type { RelayAddress } from "./address.ts";
import type { ClientEvent } from "./events.ts";
import type { ClientFatalError } from "./errors.ts";
import type { RelayConnector } from "./relay_trust.ts";
import type { Identity as MemberIdentity } from "../e2e/identity.ts";
import type { KnownMembers } from "../e2e/known_members.ts";
import type { Member } from "../protocol.ts";

/** Settings of one client. */
export interface ChatClientOptions {
  /** Relays to try, in order. */
  addresses: RelayAddress[];
  /** Nick. */
  nick: string;
  /** Room. */
  room: string;
  /** The room's passphrase. */
  passphrase: string;
  /** Reports every event. */
  onEvent: (e: ClientEvent) => void;
  /** Receives each opened voice frame. */
  onVoice?: (from: Member, counter: number, payload: Uint8Array) => void;
  /** Gives up on delivering pending texts after this long without a relay. */
  lingerMs?: number;
  /** The identity key file (default `$XDG_CONFIG_HOME/am/identity`). */
  identityPath?: string;
  /** An identity held in memory (the browser's): no identity or known-members file is used. */
  identity?: MemberIdentity;
  /** With `identity`: the members seen before (the browser's, from IndexedDB); else none. */
  knownMembers?: KnownMembers;
  /** Opens (and verifies) the connection to one relay. */
  connect: RelayConnector;
  /** Called when a reconnect meets an error no retry can fix (a relay that failed verification). */
  onFatal?: (err: ClientFatalError) => void;
}

/** Who a client is and where: what {@linkcode ChatClient.switchTo} changes. */
export interface Identity {
  /** Nick. */
  nick: string;
  /** Room. */
  room: string;
  /** The room's passphrase. */
  passphrase: string;
}
