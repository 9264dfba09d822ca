/**
 * Socket addresses for the epoll backend: a numeric IPv4 or IPv6 host and a
 * port encoded as the kernel's `sockaddr_in` / `sockaddr_in6`, and decoded
 * back into a `Deno.NetAddr`. Names are not resolved (the relay listens on an
 * address, and a load generator connects to one), except that "localhost"
 * means 127.0.0.1.
 *
 * @module
 */

import { isIP } from "node:net";
import { C } from "./libc.ts";

/** Bytes of the largest address the backend handles (`sockaddr_in6`). */
export const SOCKADDR_BYTES = 28;

/** An encoded address and its address family. */
export interface SockAddr {
  /** AF_INET or AF_INET6. */
  family: number;
  /** The `sockaddr_in` (16 bytes) or `sockaddr_in6` (28 bytes). */
  bytes: Uint8Array;
}

/** Encodes `host:port`; throws TypeError for a host that is not a numeric address. */
export function encodeSockAddr(host: string, port: number): SockAddr {
  const name = host === "localhost" ? "127.0.0.1" : host.replace(/^\[(.*)\]$/, "$1");
  const version = isIP(name);
  if (version === 4) {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, C.AF_INET, true);
    view.setUint16(2, port, false);
    bytes.set(name.split(".").map(Number), 4);
    return { family: C.AF_INET, bytes };
  }
  if (version === 6) {
    const bytes = new Uint8Array(SOCKADDR_BYTES);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, C.AF_INET6, true);
    view.setUint16(2, port, false);
    const groups = expandIpv6(name);
    for (let i = 0; i < 8; i++) view.setUint16(8 + 2 * i, groups[i], false);
    return { family: C.AF_INET6, bytes };
  }
  throw new TypeError(
    `--io epoll needs a numeric address, not "${host}" (e.g. 0.0.0.0, 127.0.0.1 or ::)`,
  );
}

/** The eight 16-bit groups of a valid IPv6 address (with "::" and a dotted IPv4 tail). */
function expandIpv6(name: string): number[] {
  let text = name.replace(/%.*$/, "");
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, null];
  const part = (s: string) => s === "" ? [] : s.split(":").map((g) => parseInt(g, 16));
  const front = part(head);
  if (tail === null) return front;
  const back = part(tail);
  return [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
}

/** Decodes the address in `bytes` (as accept4 or getsockname left it). */
export function decodeSockAddr(bytes: Uint8Array): Deno.NetAddr {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const port = view.getUint16(2, false);
  if (view.getUint16(0, true) === C.AF_INET) {
    const hostname = `${bytes[4]}.${bytes[5]}.${bytes[6]}.${bytes[7]}`;
    return { transport: "tcp", hostname, port };
  }
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.getUint16(8 + 2 * i, false).toString(16));
  // The longest run of zero groups becomes "::", as Deno writes IPv6 addresses.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hostname = best < 0
    ? groups.join(":")
    : `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
  return { transport: "tcp", hostname: mappedV4(hostname), port };
}

/** "::ffff:a.b.c.d" for an IPv4-mapped address, as Deno writes it. */
function mappedV4(hostname: string): string {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(hostname);
  if (!m) return hostname;
  const hi = parseInt(m[1], 16), lo = parseInt(m[2], 16);
  return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
