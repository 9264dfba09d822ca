// Hostile WebSocket peers written by hand (tests/support/raw_websocket.ts)
// against a real relay process, beside an honest pair of terminal clients:
// violations of the WebSocket protocol itself, a peer that never answers the
// close handshake, a message declared at 60 MiB, and slowloris on the request
// head and the TLS handshake of the web port. Each hostile connection must be
// closed by the relay outright (its descriptor freed, counted in /proc), and
// the honest pair must keep chatting.
import assert from "node:assert/strict";
import tls from "node:tls";
import { FrameType } from "../../lib/protocol.ts";
import { ClientProcess, helloFrame, RelayProcess } from "../support/harness.ts";
import { rawFrame, rawWebSocket, readUntilClosed, splitFrames } from "../support/raw_websocket.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const BINARY = 2;

/** Open file descriptors of process `pid`. */
const fds = (pid: number) => [...Deno.readDirSync(`/proc/${pid}/fd`)].length;

/** Waits until the relay holds no more descriptors than `baseline`. */
async function fdsBackTo(pid: number, baseline: number): Promise<void> {
  const until = Date.now() + 15000;
  while (fds(pid) > baseline) {
    if (Date.now() > until) assert.fail(`relay holds ${fds(pid)} descriptors, ${baseline} before`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An honest pair on the relay, and a check that they still chat. */
async function honestPair(relay: RelayProcess) {
  const alice = ClientProcess.start(relay.port, { nick: "alice" });
  const bob = ClientProcess.start(relay.port, { nick: "bob" });
  await Promise.all([alice.ready(), bob.ready()]);
  let round = 0;
  let exited = false;
  relay.status.then(() => exited = true);
  return {
    async chat() {
      const line = `honest ${++round}`;
      await alice.send(line);
      await bob.waitFor((e) => e.event === "text" && e.text === line, line, 20000);
      assert.ok(!exited, "the relay is still running");
    },
    async finish() {
      await alice.finish().catch(() => {});
      await bob.finish().catch(() => {});
    },
  };
}

/** The relay's error frames inside the server's WebSocket frames. */
function relayErrors(frames: { op: number; payload: Uint8Array }[]): string[] {
  return frames.filter((f) => f.op === BINARY && f.payload[4] === FrameType.Error)
    .map((f) => new TextDecoder().decode(f.payload.subarray(5)));
}

Deno.test(
  "WebSocket protocol abuse: each connection closed outright, honest pair unaffected",
  opts,
  async (t) => {
    // A hello deadline far beyond the test: every close below is the relay's answer, not the deadline.
    const relay = await RelayProcess.start([
      "--no-tls",
      "--web-port",
      "0",
      "--hello-timeout",
      "600000",
      "--max-frame",
      "4096",
    ]);
    const web = relay.webPort!;
    const pair = await honestPair(relay);
    const baseline = fds(relay.pid);
    try {
      const violations: [string, Uint8Array][] = [
        ["an unmasked frame", rawFrame(BINARY, helloFrame("x"), { masked: false })],
        ["reserved bits set", rawFrame(BINARY, helloFrame("x"), { rsv: 4 })],
        ["an unknown opcode", rawFrame(3, new Uint8Array(4))],
        ["a fragmented ping", rawFrame(9, new Uint8Array(4), { fin: false })],
        ["a ping of 126 bytes", rawFrame(9, new Uint8Array(126))],
        ["a continuation with nothing to continue", rawFrame(0, new Uint8Array(4))],
        ["a length of 2^63", rawFrame(BINARY, new Uint8Array(0), { declared: 1n << 63n })],
      ];
      for (const [what, bytes] of violations) {
        await t.step(what, async () => {
          const conn = await rawWebSocket(web);
          await conn.write(bytes);
          const out = await readUntilClosed(conn, 10000);
          assert.ok(out.closed, `${what}: the relay closed the connection`);
          await pair.chat();
        });
      }

      await t.step("a peer that never answers the close handshake is cut off", async () => {
        const before = fds(relay.pid);
        const conn = await rawWebSocket(web);
        await conn.write(rawFrame(BINARY, new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")));
        // Read to the relay's end of stream, but keep this end open and never send a close frame.
        let got = new Uint8Array(0);
        const buf = new Uint8Array(4096);
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          got = new Uint8Array([...got, ...buf.subarray(0, n)]);
        }
        assert.ok(relayErrors(splitFrames(got)).some((e) => e.includes("frame-too-large")));
        assert.ok(splitFrames(got).some((f) => f.op === 8), "a close frame sent");
        await fdsBackTo(relay.pid, before);
        conn.close();
      });

      await t.step("a message declared at 60 MiB is read as it arrives", async () => {
        // The first relay frame inside it declares 1 MiB (over --max-frame): refused at once,
        // after 19 bytes; a server that gathered whole messages would wait for 60 MiB.
        const relayHead = new Uint8Array(5);
        new DataView(relayHead.buffer).setUint32(0, 1 << 20);
        relayHead[4] = FrameType.Hello;
        const conn = await rawWebSocket(web);
        const ws = rawFrame(BINARY, relayHead, { declared: 60 * 2 ** 20 });
        await conn.write(ws);
        const out = await readUntilClosed(conn, 10000);
        assert.ok(relayErrors(out.frames).some((e) => e.includes("frame-too-large")), "refused");
        assert.ok(out.closed);
        await pair.chat();
      });

      await t.step("ping answered with pong; close answered with close", async () => {
        const conn = await rawWebSocket(web);
        await conn.write(rawFrame(9, new TextEncoder().encode("are you there")));
        await conn.write(rawFrame(8, new Uint8Array([0x03, 0xe8])));
        const out = await readUntilClosed(conn, 10000);
        assert.deepEqual(out.frames.map((f) => f.op), [10, 8]);
        assert.equal(new TextDecoder().decode(out.frames[0].payload), "are you there");
        assert.ok(out.closed);
      });

      await t.step("every hostile connection's descriptor is freed", async () => {
        await fdsBackTo(relay.pid, baseline);
        await pair.chat();
      });
    } finally {
      await pair.finish();
      await relay.stop();
    }
  },
);

Deno.test(
  "slowloris on the web port: a TLS handshake or request head unfinished by the hello deadline is cut off",
  opts,
  async (t) => {
    const relay = await RelayProcess.start(["--web-port", "0", "--hello-timeout", "500"]);
    const web = relay.webPort!;
    const pair = await honestPair(relay);
    const baseline = fds(relay.pid);
    try {
      await t.step("part of a TLS ClientHello, then nothing", async () => {
        const conns = await Promise.all(
          Array.from({ length: 20 }, () => Deno.connect({ hostname: "127.0.0.1", port: web })),
        );
        await Promise.all(conns.map((c) => c.write(new Uint8Array([0x16, 0x03, 0x01, 0x02]))));
        await pair.chat();
        const outs = await Promise.all(conns.map((c) => readUntilClosed(c, 10000)));
        assert.ok(outs.every((o) => o.closed));
      });

      await t.step("a finished handshake, then part of a request head", async () => {
        const closed = await Promise.all(
          Array.from({ length: 20 }, () =>
            new Promise<boolean>((resolve) => {
              const s = tls.connect(
                { host: "127.0.0.1", port: web, rejectUnauthorized: false },
                () => {
                  s.write("GET / HTTP/1.1\r\nHost: x\r\n");
                },
              );
              const timer = setTimeout(() => {
                s.destroy();
                resolve(false);
              }, 10000);
              s.on("close", () => {
                clearTimeout(timer);
                resolve(true);
              });
              s.on("error", () => {});
            })),
        );
        assert.ok(
          closed.every((c) => c),
          "each was closed by the relay",
        );
        await pair.chat();
      });

      await t.step("their descriptors are freed", async () => {
        await fdsBackTo(relay.pid, baseline);
      });
    } finally {
      await pair.finish();
      await relay.stop();
    }
  },
);
