/**
 * The relay's web port: the browser client's static files (web/ in the
 * repository, embedded by `deno compile --include web`) and a WebSocket
 * endpoint whose connections the relay treats like TCP ones. The page is only
 * files: the relay never imports its code, holds no key, and serves the same
 * bytes to everyone. TLS uses the relay's certificate; without one (the relay
 * runs `--no-tls`) the port speaks plain HTTP.
 *
 * @module
 */

import type { RelaySocket } from "./socket.ts";
import { WebSocketConn } from "../websocket_conn.ts";

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
}

/** A running web port. */
export interface WebServer {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** Stops serving (open WebSocket connections are the relay's to close). */
  close(): Promise<void>;
}

async function file(path: string): Promise<Response> {
  const entry = FILES[path];
  if (!entry) return new Response("not found\n", { status: 404, headers: HEADERS });
  try {
    const body = await Deno.readFile(new URL(entry.file, WEB_ROOT));
    return new Response(body, { headers: { ...HEADERS, "content-type": entry.type } });
  } catch {
    return new Response(
      `${entry.file} is missing from this relay; build it with: bash scripts/build_web.sh\n`,
      { status: 503, headers: HEADERS },
    );
  }
}

/** Whether a WebSocket request comes from this origin's page (or from no page at all). */
function sameOrigin(req: Request): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  try {
    return new URL(origin).host === req.headers.get("host");
  } catch {
    return false;
  }
}

/** Serves the page and the WebSocket endpoint; rejects when the port cannot be had. */
export function serveWeb(o: WebServeOptions): Promise<WebServer> {
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    const handler = (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
      const url = new URL(req.url);
      if (url.pathname === WEB_SOCKET_PATH) {
        if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
          return new Response("this endpoint speaks WebSocket\n", {
            status: 426,
            headers: HEADERS,
          });
        }
        if (!sameOrigin(req)) {
          return new Response("cross-origin WebSocket refused\n", {
            status: 403,
            headers: HEADERS,
          });
        }
        // The request's address is gone once it is upgraded.
        const peer = info.remoteAddr;
        const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
        const conn = new WebSocketConn(socket, peer);
        socket.addEventListener("open", () => o.accept(conn), { once: true });
        return response;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        return new Response("method not allowed\n", { status: 405, headers: HEADERS });
      }
      return file(url.pathname);
    };
    try {
      server = Deno.serve({
        hostname: o.hostname,
        port: o.port,
        ...(o.tls ? { cert: o.tls.certPem, key: o.tls.keyPem } : {}),
        onListen: () => {},
        onError: () => new Response("internal error\n", { status: 500, headers: HEADERS }),
        handler,
      });
    } catch (err) {
      return reject(err);
    }
    resolve({ addr: server.addr, close: () => server.shutdown() });
  });
}
