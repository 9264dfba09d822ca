/**
 * PEM text as the relay's certificate files and the clients' known_relays
 * entries hold it: blocks of base64 DER between BEGIN and END lines. Pure
 * functions over strings and bytes, shared by the relay and the client.
 *
 * @module
 */

/** One decoded PEM block. */
export interface PemBlock {
  /** What the block says it is, e.g. "CERTIFICATE" or "PRIVATE KEY". */
  label: string;
  /** The DER bytes. */
  der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order; text around the blocks is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({
    label: m[1],
    der: base64ToBytes(m[2].replace(/\s+/g, "")),
  }));
}

/** PEM text of one DER block, 64 characters a line. */
export function toPem(label: string, der: Uint8Array): string {
  const lines = bytesToBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Standard base64 of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Bytes of standard base64 text; throws a TypeError when it is not base64. */
export function base64ToBytes(text: string): Uint8Array {
  let s: string;
  try {
    s = atob(text);
  } catch (cause) {
    throw new TypeError("not base64", { cause });
  }
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
