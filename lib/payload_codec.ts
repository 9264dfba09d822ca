/**
 * Text in frame payloads: control messages as UTF-8 JSON objects, and nicks and
 * other strings as UTF-8, decoded strictly (invalid bytes are a
 * {@linkcode ProtocolError}, never replacement characters).
 *
 * @module
 */

import { ProtocolError } from "./protocol_error.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a control message as a JSON payload. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Decodes a JSON payload into an object; anything else is a {@linkcode ProtocolError}. */
export function decodeJson<T>(payload: Uint8Array): T {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch (cause) {
    throw new ProtocolError("bad-frame", "control frame is not valid UTF-8 JSON", { cause });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ProtocolError("bad-frame", "control frame is not a JSON object");
  }
  return value as T;
}

/** Decodes UTF-8 strictly; invalid bytes are a {@linkcode ProtocolError}. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError("bad-frame", "invalid UTF-8", { cause });
  }
}

/** Encodes a string as UTF-8. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}
