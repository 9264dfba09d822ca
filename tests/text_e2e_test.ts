// End to end: the real relay process and real client processes on loopback TCP.
import assert from "node:assert/strict";
import { encodeFrame } from "../lib/framing.ts";
import { FrameType } from "../lib/protocol.ts";
import {
  ClientProcess,
  containsBytes,
  RawPeer,
  RecordingProxy,
  RelayProcess,
} from "./support/harness.ts";
import { IO_BACKENDS, withBackend } from "./support/io_backends.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Waits for `client` to exit non-zero after an error event with `code`. */
async function assertRefused(client: ClientProcess, code: string): Promise<void> {
  const status = await client.finish();
  assert.notEqual(status.code, 0);
  assert.ok(
    client.events.some((e) => e.event === "error" && e.code === code),
    JSON.stringify(client.events),
  );
}

// Each behaviour on both socket I/O backends (tests/support/io_backends.ts).
for (const io of IO_BACKENDS) {
  Deno.test(
    `three clients: text round trip, no echo to the sender, join and leave [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(io.args);
      const alice = ClientProcess.start(relay.port, { nick: "alice" });
      await alice.ready();
      const bob = ClientProcess.start(relay.port, { nick: "bob" });
      await bob.ready();
      const carol = ClientProcess.start(relay.port, { nick: "carol" });
      await carol.ready();
      await alice.waitFor((e) => e.event === "joined" && e.nick === "carol", "carol joined");

      await alice.send("hello from alice");
      for (const c of [bob, carol]) {
        const e = await c.waitFor((e) => e.event === "text", "text from alice");
        assert.equal(e.event, "text");
        if (e.event !== "text") return;
        assert.equal(e.from, "alice");
        assert.equal(e.room, "lobby");
        assert.equal(e.text, "hello from alice");
        assert.equal(typeof e.ts, "number");
      }
      await bob.send("hi alice");
      await alice.waitFor((e) => e.event === "text" && e.from === "bob", "bob's text");

      await carol.finish();
      await alice.waitFor((e) => e.event === "left" && e.nick === "carol", "carol left");
      await Promise.all([alice.finish(), bob.finish()]);
      assert.deepEqual(alice.texts(), ["hi alice"], "alice sees bob's text and not her own");
      assert.deepEqual(bob.texts(), ["hello from alice"]);
      await relay.stop();
    },
  );

  Deno.test(`rooms are isolated [io ${io.name}]`, opts, async () => {
    const relay = await RelayProcess.start(io.args);
    const a = ClientProcess.start(relay.port, { nick: "a", room: "red" });
    const b = ClientProcess.start(relay.port, { nick: "b", room: "blue" });
    const c = ClientProcess.start(relay.port, { nick: "c", room: "red" });
    await Promise.all([a.ready(), b.ready(), c.ready()]);
    await a.send("only for red");
    await c.waitFor((e) => e.event === "text" && e.text === "only for red", "red text");
    await b.send("only for blue");
    await Promise.all([a.finish(), b.finish(), c.finish()]);
    assert.deepEqual(c.texts(), ["only for red"]);
    assert.deepEqual(b.texts(), []);
    assert.ok(!b.events.some((e) => e.event === "joined"), "blue never hears of red's members");
    await relay.stop();
  });

  Deno.test(
    `piped stdin: every line is a message, EOF delivers all and exits 0 [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(io.args);
      const listener = ClientProcess.start(relay.port, { nick: "listener" });
      await listener.ready();
      const bot = ClientProcess.start(relay.port, { nick: "bot" });
      const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
      // Written before the bot has even joined: they wait in its outbox.
      for (const l of lines) await bot.send(l);
      const status = await bot.finish();
      assert.equal(status.code, 0, bot.stderr);
      await listener.waitFor((e) => e.event === "left" && e.nick === "bot", "bot left");
      await listener.finish();
      assert.deepEqual(listener.texts(), lines, "all lines, once each, in order");
      await relay.stop();
    },
  );

  Deno.test(
    `a member with another passphrase is reported once, never shown as text [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(io.args);
      const alice = ClientProcess.start(relay.port, { nick: "alice" });
      await alice.ready();
      const mallory = ClientProcess.start(relay.port, { nick: "mallory", passphrase: "wrong" });
      await mallory.ready();
      await mallory.send("one");
      await mallory.send("two");
      await mallory.finish();
      await alice.waitFor((e) => e.event === "left", "mallory left");
      await alice.finish();
      const errors = alice.events.filter((e) => e.event === "error" && e.code === "bad-passphrase");
      assert.equal(errors.length, 1, JSON.stringify(alice.events));
      assert.match(
        (errors[0] as { message: string }).message,
        /messages from mallory use a different passphrase/,
      );
      assert.deepEqual(alice.texts(), []);
      await relay.stop();
    },
  );

  Deno.test(
    `nick-taken and server-full are reported and exit non-zero [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(withBackend(io, ["--max-clients", "2"]));
      const a = ClientProcess.start(relay.port, { nick: "same" });
      await a.ready();
      await assertRefused(ClientProcess.start(relay.port, { nick: "same" }), "nick-taken");
      const b = ClientProcess.start(relay.port, { nick: "b" });
      await b.ready();
      await assertRefused(ClientProcess.start(relay.port, { nick: "c" }), "server-full");
      await Promise.all([a.finish(), b.finish()]);
      await relay.stop();
    },
  );

  Deno.test(
    `an oversize frame from a raw socket closes only that connection [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(withBackend(io, ["--max-frame", "1024"]));
      const alice = ClientProcess.start(relay.port, { nick: "alice" });
      const bob = ClientProcess.start(relay.port, { nick: "bob" });
      await Promise.all([alice.ready(), bob.ready()]);
      const raw = await RawPeer.connect(relay.port);
      // Declares 1 GiB; the relay must refuse before allocating anything for it.
      await raw.write(new Uint8Array([0x40, 0, 0, 0, FrameType.Text]));
      await raw.closed;
      assert.ok(
        raw.errors().some((e) => e.code === "frame-too-large"),
        JSON.stringify(raw.errors()),
      );
      await alice.send("still here");
      await bob.waitFor(
        (e) => e.event === "text" && e.text === "still here",
        "text after the attack",
      );
      await Promise.all([alice.finish(), bob.finish()]);
      await relay.stop();
    },
  );

  Deno.test(
    `the relay never sees plaintext: not on the wire, not in its logs [io ${io.name}]`,
    opts,
    async () => {
      // Without TLS, so the bytes on the wire are the frames the relay itself sees.
      const relay = await RelayProcess.start(withBackend(io, ["--no-tls"]));
      const proxy = new RecordingProxy(relay.port);
      const marker = `MARKER-${crypto.randomUUID()}`;
      const alice = ClientProcess.start(proxy.port, { nick: "alice" });
      const bob = ClientProcess.start(proxy.port, { nick: "bob" });
      await Promise.all([alice.ready(), bob.ready()]);
      await alice.send(marker);
      await bob.waitFor((e) => e.event === "text" && e.text === marker, "the marker");
      await Promise.all([alice.finish(), bob.finish()]);
      await relay.stop();
      proxy.close();
      const wire = proxy.allBytes();
      assert.ok(wire.length > 200, "the proxy recorded traffic");
      const enc = new TextEncoder();
      assert.ok(
        containsBytes(wire, enc.encode("alice")),
        "metadata (nicks) is visible, as designed",
      );
      assert.ok(
        !containsBytes(wire, enc.encode(marker)),
        "marker must not cross the wire in clear",
      );
      assert.ok(!containsBytes(wire, enc.encode(marker.slice(7, 20))), "no fragment of it either");
      assert.ok(
        !relay.logs.includes(marker.slice(7, 20)),
        "marker must not be in the relay's logs",
      );
      assert.ok(
        !containsBytes(wire, enc.encode("test passphrase")),
        "passphrase never on the wire",
      );
    },
  );

  Deno.test(
    `SIGTERM: the relay tells clients it is shutting down and exits 0 [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(io.args);
      const a = ClientProcess.start(relay.port, { nick: "a" });
      await a.ready();
      const status = await relay.stop("SIGTERM");
      assert.equal(status.code, 0);
      await a.waitFor(
        (e) => e.event === "notice" && /shutting down/.test(e.message),
        "shutdown notice",
      );
      await a.kill();
    },
  );

  Deno.test(
    `any frame before the hello is refused with bad-hello [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(io.args);
      const raw = await RawPeer.connect(relay.port);
      await raw.write(encodeFrame(0x7e));
      assert.equal((await raw.error("bad-hello")).fatal, true);
      raw.close();
      await relay.stop();
    },
  );
}
