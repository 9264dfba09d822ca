// The relay's web port against a real relay process: the page's files and
// nothing else, WebSocket members in the same rooms as TCP members, and hostile
// input on the WebSocket endpoint (junk, oversize, text messages, a hello that
// never ends, slow HTTP headers, a flood) answered as on TCP while an honest
// pair of terminal clients keeps chatting.
import assert from "node:assert/strict";
import { encodeFrame } from "../../lib/framing.ts";
import { FrameType } from "../../lib/protocol.ts";
import { ClientProcess, helloFrame, RawPeer, RelayProcess } from "../support/harness.ts";
import { IO_BACKENDS, withBackend } from "../support/io_backends.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();

// On both socket I/O backends: with --io epoll the TCP port is epoll's and the web port Deno's.
for (const io of IO_BACKENDS) {
  Deno.test(
    `web port: page files only, WebSocket members meet TCP members [io ${io.name}]`,
    opts,
    async (t) => {
      const relay = await RelayProcess.start(withBackend(io, ["--no-tls", "--web-port", "0"]));
      const web = relay.webPort!;
      assert.ok(web > 0, "the relay logged its web port");
      try {
        await t.step("the page and its files, with a strict content policy", async () => {
          const page = await fetch(`http://127.0.0.1:${web}/`);
          assert.equal(page.status, 200);
          assert.match(page.headers.get("content-type")!, /text\/html/);
          assert.match(page.headers.get("content-security-policy")!, /default-src 'self'/);
          assert.match(await page.text(), /<html/i);
          for (const path of ["/server.ts", "/../server.ts", "/lib/cipher.ts", "/web/index.html"]) {
            const r = await fetch(`http://127.0.0.1:${web}${path}`);
            assert.equal(r.status, 404, path);
            await r.body?.cancel();
          }
          const plain = await fetch(`http://127.0.0.1:${web}/ws`);
          assert.equal(plain.status, 426);
          await plain.body?.cancel();
          const post = await fetch(`http://127.0.0.1:${web}/`, { method: "POST", body: "x" });
          assert.equal(post.status, 405);
          await post.body?.cancel();
          const head = await fetch(`http://127.0.0.1:${web}/app.js`, { method: "HEAD" });
          assert.equal(head.status, 200);
          assert.ok(Number(head.headers.get("content-length")) > 1000);
          const huge = await fetch(`http://127.0.0.1:${web}/`, {
            headers: { "x-big": "y".repeat(20000) },
          })
            .catch((err) => err as Error);
          // Refused with 431, or cut off while still sending: either way no page.
          if (huge instanceof Response) {
            assert.equal(huge.status, 431);
            await huge.body?.cancel();
          }
        });

        await t.step(
          "a WebSocket member and a TCP member exchange frames in one room",
          async () => {
            const alice = ClientProcess.start(relay.port, { nick: "alice", room: "mixed" });
            await alice.ready();
            const ws = await RawPeer.overWebSocket(web);
            await ws.write(helloFrame("wsbob", "mixed"));
            await ws.until(() => ws.frames.some((f) => f.type === FrameType.Welcome), "welcome");
            await alice.waitFor((e) => e.event === "joined" && e.nick === "wsbob", "wsbob joins");
            await alice.send("to the browser side");
            // Sealed: the raw member cannot read it, but the relay forwarded it with alice's stamp.
            await ws.until(() => ws.frames.some((f) => f.type === FrameType.Text), "alice's text");
            ws.close();
            await alice.waitFor((e) => e.event === "left" && e.nick === "wsbob", "wsbob leaves");
            await alice.finish();
          },
        );
      } finally {
        await relay.stop();
      }
    },
  );
}

Deno.test(
  "hostile input on the WebSocket endpoint: answered as on TCP, relay alive, honest pair unaffected",
  opts,
  async (t) => {
    const relay = await RelayProcess.start([
      "--no-tls",
      "--web-port",
      "0",
      "--hello-timeout",
      "300",
      "--max-frame",
      "4096",
    ]);
    const web = relay.webPort!;
    let relayExited = false;
    relay.status.then(() => relayExited = true);
    const alice = ClientProcess.start(relay.port, { nick: "alice" });
    const bob = ClientProcess.start(relay.port, { nick: "bob" });
    await Promise.all([alice.ready(), bob.ready()]);
    let round = 0;
    const honestChat = async () => {
      const line = `honest ${++round}`;
      await alice.send(line);
      await bob.waitFor((e) => e.event === "text" && e.text === line, line, 20000);
      assert.ok(!relayExited, "the relay is still running");
    };
    const fatalAndClosed = async (p: RawPeer, code: string) => {
      const e = await p.error(code);
      assert.equal(e.fatal, true, `${code} is fatal`);
      await p.closed;
    };
    try {
      await t.step("junk bytes before a hello", async () => {
        const p = await RawPeer.overWebSocket(web);
        await p.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        await fatalAndClosed(p, "frame-too-large");
        await honestChat();
      });

      await t.step("a frame over --max-frame, declared before any body", async () => {
        const p = await RawPeer.overWebSocket(web);
        const head = new Uint8Array(5);
        new DataView(head.buffer).setUint32(0, 1 << 20);
        head[4] = FrameType.Hello;
        await p.write(head);
        await fatalAndClosed(p, "frame-too-large");
        await honestChat();
      });

      await t.step("a text message where binary frames go", async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${web}/ws`);
        const errors: string[] = [];
        ws.binaryType = "arraybuffer";
        ws.onmessage = (e) => {
          const b = new Uint8Array(e.data as ArrayBuffer);
          if (b[4] === FrameType.Error) errors.push(new TextDecoder().decode(b.subarray(5)));
        };
        const closed = new Promise((r) => ws.onclose = r);
        await new Promise((r) => ws.onopen = r);
        ws.send("hello?");
        await closed;
        assert.ok(errors.some((e) => /"code":"bad-frame"/.test(e)), `errors: ${errors}`);
        await honestChat();
      });

      await t.step("slowloris: part of a hello, then nothing, until the deadline", async () => {
        const peers = await Promise.all(
          Array.from({ length: 20 }, () => RawPeer.overWebSocket(web)),
        );
        await Promise.all(peers.map((p) => p.write(helloFrame("slow").subarray(0, 7))));
        await honestChat();
        await Promise.all(peers.map((p) => fatalAndClosed(p, "hello-timeout")));
        await honestChat();
      });

      await t.step("slow HTTP headers on the web port do not hold anyone up", async () => {
        const conns = await Promise.all(
          Array.from({ length: 20 }, () => Deno.connect({ hostname: "127.0.0.1", port: web })),
        );
        await Promise.all(conns.map((c) => c.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\n"))));
        await honestChat();
        const page = await fetch(`http://127.0.0.1:${web}/`);
        assert.equal(page.status, 200);
        await page.body?.cancel();
        for (const c of conns) c.close();
      });

      await t.step("a joined WebSocket member is held to the text rate limit", async () => {
        const p = await RawPeer.overWebSocket(web);
        await p.write(helloFrame("flooder"));
        await p.until(() => p.frames.some((f) => f.type === FrameType.Welcome), "welcome");
        const text = encodeFrame(FrameType.Text, new Uint8Array(64));
        const burst = new Uint8Array(text.length * 60);
        for (let i = 0; i < 60; i++) burst.set(text, i * text.length);
        await p.write(burst);
        const e = await p.error("rate-limited");
        assert.equal(e.fatal, false);
        p.close();
        await honestChat();
      });

      await t.step("a cross-origin page cannot open the endpoint", async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: web });
        await conn.write(enc.encode(
          `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${web}\r\nOrigin: https://evil.example\r\n` +
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        ));
        const buf = new Uint8Array(1024);
        const n = await conn.read(buf);
        assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 403/);
        conn.close();
      });
    } finally {
      await alice.finish().catch(() => {});
      await bob.finish().catch(() => {});
      await relay.stop();
    }
  },
);
