/**
 * The relay's web port: the browser client's static files (web/ in the
 * repository, embedded by `deno compile --include web`) and a WebSocket
 * endpoint whose connections the relay treats like TCP ones. The page is only
 * files: the relay never imports its code, holds no key, and serves the same
 * bytes to everyone. TLS uses the relay's certificate; without one (the relay
 * runs `--no-tls`) the port speaks plain HTTP.
 *
 * It speaks just enough HTTP/1.1 for that (a GET of a few files, one request
 * per connection, and the WebSocket upgrade) on `node:net`/`node:tls` sockets,
 * so every connection is under the relay's control: a request head must be
 * complete, within 16 KiB, before a deadline (a TLS handshake included), and
 * an upgraded connection is a {@linkcode WsSocket} that the relay can close
 * outright (see lib/relay/ws_socket.ts for why not Deno's own server).
 *
 * @module
 */

import net from "node:net";
import tls from "node:tls";
import type { RelaySocket } from "./socket.ts";
import { acceptKey, validKey, WsSocket } from "./ws_socket.ts";

/** Where the page's files are, next to lib/ in the repository and in a compiled binary. */
const WEB_ROOT = new URL("../../web/", import.meta.url);

/** Path of the WebSocket endpoint. */
export const WEB_SOCKET_PATH = "/ws";

/** The files served, by URL path: nothing outside this list is ever read. */
const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
  "/voice_worklet.js": { file: "voice_worklet.js", type: "text/javascript; charset=utf-8" },
  // opusscript's libopus build (copied by scripts/build_web.sh): the page's voice codec.
  "/opus.wasm": { file: "opus.wasm", type: "application/wasm" },
};

// The page loads only its own files and talks only to its own origin; it is never framed.
// 'wasm-unsafe-eval' lets it compile its own Opus wasm (it allows no JavaScript eval).
const HEADERS = {
  "content-security-policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
    "connect-src 'self'; img-src 'self' data:; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** How the web port serves. */
export interface WebServeOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port (0 picks a free one). */
  port: number;
  /** Certificate chain and key (PEM); null serves plain HTTP. */
  tls: { certPem: string; keyPem: string } | null;
  /** Called with each WebSocket connection once it is open. */
  accept: (socket: RelaySocket) => void;
  /** A connection's TLS handshake and request head must be done within this (default 10 s). */
  headTimeoutMs?: number;
  /** Share the port with the relay's other workers (SO_REUSEPORT). */
  reusePort?: boolean;
}

/** A running web port. */
export interface WebServer {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** Stops serving (open WebSocket connections are the relay's to close). */
  close(): Promise<void>;
}

const HEAD_TIMEOUT_MS = 10_000;
/** Largest request head (request line and headers). */
const MAX_HEAD = 16 * 1024;
/** Connections still sending their head, at most: more are refused at once. */
const MAX_PENDING = 1024;
/** A finished response's connection is cut off if the peer has not closed it by then. */
const LINGER_MS = 5000;

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  426: "Upgrade Required",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
};

/** A parsed request head. */
interface RequestHead {
  method: string;
  path: string;
  headers: Map<string, string>;
}

function parseHead(text: string): RequestHead | null {
  const [line, ...rest] = text.split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m) return null;
  const headers = new Map<string, string>();
  for (const h of rest) {
    const colon = h.indexOf(":");
    if (colon <= 0) return null;
    headers.set(h.slice(0, colon).trim().toLowerCase(), h.slice(colon + 1).trim());
  }
  let path: string;
  try {
    path = new URL(m[2], "http://relay").pathname;
  } catch {
    return null;
  }
  return { method: m[1], path, headers };
}

/** Whether a WebSocket request comes from this origin's page (or from no page at all). */
function sameOrigin(headers: Map<string, string>): boolean {
  const origin = headers.get("origin");
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === headers.get("host");
  } catch {
    return false;
  }
}

/** Writes one whole response and closes the connection. */
function respond(
  io: net.Socket,
  raw: net.Socket,
  status: number,
  body: Uint8Array | string,
  extra: Record<string, string> = {},
  head = false,
): void {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const fields = {
    ...HEADERS,
    "content-type": "text/plain; charset=utf-8",
    ...extra,
    "content-length": String(bytes.length),
    connection: "close",
  };
  const text = `HTTP/1.1 ${status} ${REASONS[status]}\r\n` +
    Object.entries(fields).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
  io.write(text);
  if (head) io.end();
  else io.end(bytes);
  // Read (and drop) whatever else comes, so the peer's close is seen and the socket freed.
  io.resume();
  const timer = setTimeout(() => raw.destroy(), LINGER_MS);
  raw.once("close", () => clearTimeout(timer));
}

async function serveFile(io: net.Socket, raw: net.Socket, req: RequestHead): Promise<void> {
  const head = req.method === "HEAD";
  if (req.method !== "GET" && !head) return respond(io, raw, 405, "method not allowed\n");
  const entry = FILES[req.path];
  if (!entry) return respond(io, raw, 404, "not found\n", {}, head);
  let body: Uint8Array;
  try {
    body = await Deno.readFile(new URL(entry.file, WEB_ROOT));
  } catch {
    return respond(
      io,
      raw,
      503,
      `${entry.file} is missing from this relay; build it with: bash scripts/build_web.sh\n`,
    );
  }
  respond(io, raw, 200, body, { "content-type": entry.type }, head);
}

/** Answers the upgrade of `req` on /ws, or refuses it; returns the socket when upgraded. */
function upgrade(
  io: net.Socket,
  raw: net.Socket,
  req: RequestHead,
  early: Uint8Array,
): WsSocket | null {
  const h = req.headers;
  const wantsWs = h.get("upgrade")?.toLowerCase() === "websocket" &&
    /\bupgrade\b/i.test(h.get("connection") ?? "");
  if (req.method !== "GET" || !wantsWs) {
    respond(io, raw, 426, "this endpoint speaks WebSocket\n", { upgrade: "websocket" });
    return null;
  }
  const key = h.get("sec-websocket-key");
  if (h.get("sec-websocket-version") !== "13" || !validKey(key)) {
    respond(io, raw, 400, "a WebSocket version 13 handshake is needed\n", {
      "sec-websocket-version": "13",
    });
    return null;
  }
  if (!sameOrigin(h)) {
    respond(io, raw, 403, "cross-origin WebSocket refused\n");
    return null;
  }
  io.write(
    "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n" +
      `sec-websocket-accept: ${acceptKey(key)}\r\n\r\n`,
  );
  return new WsSocket(io, raw, early);
}

const CRLFCRLF = new Uint8Array([13, 10, 13, 10]);

function indexOfHeadEnd(buf: Uint8Array): number {
  outer: for (let i = 0; i + 4 <= buf.length; i++) {
    for (let j = 0; j < 4; j++) if (buf[i + j] !== CRLFCRLF[j]) continue outer;
    return i;
  }
  return -1;
}

/** Serves the page and the WebSocket endpoint; rejects when the port cannot be had. */
export function serveWeb(o: WebServeOptions): Promise<WebServer> {
  const context = o.tls
    ? tls.createSecureContext({ cert: o.tls.certPem, key: o.tls.keyPem })
    : null;
  const deadline = o.headTimeoutMs ?? HEAD_TIMEOUT_MS;
  const pending = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true });
  server.on("connection", (raw: net.Socket) => {
    raw.on("error", () => raw.destroy());
    if (pending.size >= MAX_PENDING) return void raw.destroy();
    pending.add(raw);
    const io = context ? new tls.TLSSocket(raw, { isServer: true, secureContext: context }) : raw;
    if (io !== raw) io.on("error", () => raw.destroy());
    const timer = setTimeout(() => raw.destroy(), deadline);
    let got = new Uint8Array(0);
    const settle = () => {
      clearTimeout(timer);
      pending.delete(raw);
      io.off("data", onData);
    };
    raw.once("close", settle);
    const onData = (d: Uint8Array) => {
      const all = new Uint8Array(got.length + d.length);
      all.set(got);
      all.set(d, got.length);
      got = all;
      const end = indexOfHeadEnd(got);
      if (end < 0) {
        if (got.length > MAX_HEAD) {
          settle();
          respond(io, raw, 431, "request head too large\n");
        }
        return;
      }
      io.pause();
      settle();
      const req = end <= MAX_HEAD
        ? parseHead(new TextDecoder().decode(got.subarray(0, end)))
        : null;
      if (!req) return respond(io, raw, end <= MAX_HEAD ? 400 : 431, "bad request\n");
      if (req.path === WEB_SOCKET_PATH) {
        const ws = upgrade(io, raw, req, got.slice(end + 4));
        if (ws) o.accept(ws);
        return;
      }
      serveFile(io, raw, req).catch(() => raw.destroy());
    };
    io.on("data", onData);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const reuse = o.reusePort ? { reusePort: true } : {};
    server.listen({ host: o.hostname, port: o.port, ...reuse }, () => {
      server.off("error", reject);
      const a = server.address() as net.AddressInfo;
      resolve({
        addr: { transport: "tcp", hostname: a.address, port: a.port },
        close: () =>
          new Promise<void>((done) => {
            // Connections still sending a request are dropped; WebSockets are the relay's.
            for (const raw of pending) raw.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
