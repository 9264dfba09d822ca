/**
 * The name a relay's own leaf certificate is made for, and that a client
 * checks when it verifies a pinned relay: the pin, not a name, identifies such
 * a relay, and a relay cannot know every name it is reached by.
 *
 * @module
 */

/** The name in every certificate a relay makes for itself; `.invalid` never resolves. */
export const RELAY_CERT_NAME = "am-relay.invalid";
