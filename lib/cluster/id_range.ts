/**
 * Member ids across relays (or workers) that share rooms. Ids are 16 bits and
 * stamped on voice, so they must be unique within a room wherever its members
 * are connected: each relay of a cluster, and each worker of one relay, hands
 * them out from the range of its own slot number, and an id tells whose it is.
 * Pure arithmetic; no transport.
 *
 * @module
 */

/** Slots, hence relays in one cluster (or workers in one relay) at most. */
export const MAX_RELAYS = 32;
/** Member ids each relay may hand out in one room. */
export const IDS_PER_RELAY = 2047;

/** The member ids of slot `slot` (0 to {@linkcode MAX_RELAYS} − 1), inclusive. */
export function idRangeOf(slot: number): [number, number] {
  const lo = slot * (IDS_PER_RELAY + 1) + 1;
  return [lo, lo + IDS_PER_RELAY - 1];
}

/** The slot whose range holds member id `id`. */
export function slotOfId(id: number): number {
  return Math.floor((id - 1) / (IDS_PER_RELAY + 1));
}
