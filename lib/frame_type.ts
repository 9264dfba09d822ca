/**
 * The frame types of the Audio Messenger wire protocol: the byte after a frame's
 * length (lib/framing.ts) that says what its payload is, and which way it goes.
 *
 * @module
 */

/** Frame types on the wire. */
export const FrameType = {
  /** c→s JSON {@linkcode Hello}: first frame of every connection. */
  Hello: 0x01,
  /** s→c JSON {@linkcode Welcome}: the hello was accepted. */
  Welcome: 0x02,
  /** s→c JSON {@linkcode ErrorBody}. */
  Error: 0x03,
  /** s→c JSON {@linkcode Member}: someone joined the room. */
  Joined: 0x04,
  /** s→c JSON {@linkcode Member}: someone left the room. */
  Left: 0x05,
  /** c→s, empty: list the room. */
  Who: 0x06,
  /** s→c JSON {@linkcode WhoReply}. */
  WhoReply: 0x07,
  /** c→s sealed text; s→c nick-stamped sealed text. */
  Text: 0x10,
  /** s→c u32 sequence + u8 status: the n-th text of this connection was handled. */
  Ack: 0x11,
  /** c→s sealed voice; s→c member-id-stamped sealed voice. */
  Voice: 0x12,
  /** c→s JSON {@linkcode TalkRequest}: take or release the floor. */
  Talk: 0x13,
  /** s→c JSON {@linkcode TalkState}: someone started or stopped talking. */
  TalkState: 0x14,
  /** s→c JSON {@linkcode FloorDenied}: the floor is held by another member. */
  FloorDenied: 0x15,
  /** both ways, JSON {@linkcode Bye}: orderly end of the connection. */
  Bye: 0x16,
  /** both ways, empty: keepalive request. */
  Ping: 0x17,
  /** both ways, empty: keepalive answer. */
  Pong: 0x18,
  /**
   * c→s `u16 to` + sealed key share for one member; s→c `u16 from, u16 to` +
   * the same bytes, delivered to that member only.
   */
  KeyShare: 0x19,
} as const;

/** Numeric frame type. */
export type FrameTypeValue = typeof FrameType[keyof typeof FrameType];
