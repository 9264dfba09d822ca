// Each relay limit against a real relay process: connections per IP, text rate
// (the default allows 10/s with bursts of 20; excess is always answered), voice
// rate (20 ms cadence passes; excess dropped and reported at most once a
// second), nick and room length and characters.
import assert from "node:assert/strict";
import { concatBytes, encodeFrame } from "../../lib/framing.ts";
import { ACK_FORWARDED, ACK_RATE_LIMITED, decodeAck, FrameType } from "../../lib/protocol.ts";
import { ClientProcess, helloFrame, RawPeer, RelayProcess } from "../support/harness.ts";
import { IO_BACKENDS, withBackend } from "../support/io_backends.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function joinRaw(port: number, nick: string, room = "lobby"): Promise<RawPeer> {
  const p = await RawPeer.connect(port);
  await p.write(helloFrame(nick, room));
  await p.until(() => p.frames.some((f) => f.type === FrameType.Welcome), `${nick} welcome`);
  return p;
}

function acks(p: RawPeer): { seq: number; status: number }[] {
  return p.frames.filter((f) => f.type === FrameType.Ack).map((f) => decodeAck(f.payload));
}

function count(p: RawPeer, type: number): number {
  return p.frames.filter((f) => f.type === type).length;
}

const textFrame = (i: number) => encodeFrame(FrameType.Text, enc.encode(`opaque ${i}`));

// Each behaviour on both socket I/O backends (tests/support/io_backends.ts).
for (const io of IO_BACKENDS) {
  Deno.test(
    `connections per IP: the one over --max-per-ip is refused, never admitted [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(withBackend(io, ["--max-per-ip", "4"]));
      const alice = ClientProcess.start(relay.port, { nick: "alice" });
      const bob = ClientProcess.start(relay.port, { nick: "bob" });
      await Promise.all([alice.ready(), bob.ready()]);
      const r1 = await joinRaw(relay.port, "r1", "other");
      const r2 = await joinRaw(relay.port, "r2", "other");
      // The fifth says hello at once: it must still not get in.
      const over = await RawPeer.connect(relay.port);
      await over.write(helloFrame("over", "other"));
      const e = await over.error("too-many-connections");
      assert.equal(e.fatal, true);
      await over.closed;
      assert.equal(count(over, FrameType.Welcome), 0, "never admitted");
      const joinedNicks = r1.frames.filter((f) => f.type === FrameType.Joined)
        .map((f) => JSON.parse(new TextDecoder().decode(f.payload)).nick);
      assert.deepEqual(joinedNicks, ["r2"], "the refused one never joined r1's room");
      // A slot frees up: a new connection is admitted.
      r2.close();
      await relay.waitForLog(/disconnect .*nick=r2/);
      const r3 = await joinRaw(relay.port, "r3", "other");
      await alice.send("after the limit");
      await bob.waitFor((e) => e.event === "text" && e.text === "after the limit", "text");
      r1.close();
      r3.close();
      await Promise.all([alice.finish(), bob.finish()]);
      await relay.stop();
    },
  );

  Deno.test(
    `text rate, default: 20 at once then 10/s for 3 s is never refused (raw) [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(io.args);
      const sender = await joinRaw(relay.port, "sender");
      const receiver = await joinRaw(relay.port, "receiver");
      let sent = 0;
      for (let i = 0; i < 20; i++) await sender.write(textFrame(++sent));
      // The steady 10/s starts once the relay has taken the burst: a relay that reads
      // the burst late (a loaded machine) has its bucket full until then, and the
      // refill it could not store must not be counted as time for the steady phase.
      await sender.until(() => acks(sender).length === sent, "the burst's acks");
      const start = Date.now();
      for (let k = 1; k <= 30; k++) {
        // Paced against the clock, never faster than 10/s.
        await sleep(Math.max(0, start + k * 100 - Date.now()));
        await sender.write(textFrame(++sent));
      }
      await sender.until(() => acks(sender).length === sent, "all acks", 20000);
      const a = acks(sender);
      assert.deepEqual(a.map((x) => x.seq), Array.from({ length: sent }, (_, i) => i + 1));
      assert.equal(a.filter((x) => x.status !== ACK_FORWARDED).length, 0, "none refused");
      assert.equal(sender.errors().length, 0, JSON.stringify(sender.errors()));
      await receiver.until(() => count(receiver, FrameType.Text) === sent, "all texts", 20000);
      sender.close();
      receiver.close();
      await relay.stop();
    },
  );

  Deno.test(
    `text rate, default: a client typing 20 at once then 10/s gets no rate-limited error [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(io.args);
      const listener = ClientProcess.start(relay.port, { nick: "listener" });
      const talker = ClientProcess.start(relay.port, { nick: "talker" });
      await Promise.all([listener.ready(), talker.ready()]);
      const lines: string[] = [];
      for (let i = 0; i < 20; i++) {
        lines.push(`burst ${i}`);
        await talker.send(lines.at(-1)!);
      }
      // As above: the steady 10/s starts once the relay has passed the burst on.
      await listener.waitFor((e) => e.event === "text" && e.text === lines.at(-1), "the burst");
      const start = Date.now();
      for (let k = 1; k <= 30; k++) {
        await sleep(Math.max(0, start + k * 100 - Date.now()));
        lines.push(`steady ${k}`);
        await talker.send(lines.at(-1)!);
      }
      await listener.waitFor(
        (e) => e.event === "text" && e.text === lines.at(-1),
        "the last line",
        30000,
      );
      const took = Date.now() - start;
      await Promise.all([talker.finish(), listener.finish()]);
      assert.deepEqual(listener.texts(), lines, "all 50, once each, in order");
      const limited = [...talker.events, ...listener.events].filter((e) =>
        e.event === "error" && e.code === "rate-limited"
      );
      assert.deepEqual(limited, []);
      assert.ok(!relay.logs.includes("code=rate-limited"), "the relay refused nothing");
      console.log(
        `  50 lines (20 burst + 10/s) delivered; last one ${took} ms after the steady start`,
      );
      await relay.stop();
    },
  );

  Deno.test(
    `text flood: every frame is acked, excess as rate-limited with an error, none silent [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(
        withBackend(io, ["--text-rate", "10", "--text-burst", "20"]),
      );
      const flooder = await joinRaw(relay.port, "flooder");
      const receiver = await joinRaw(relay.port, "receiver");
      const N = 300;
      const all = new Uint8Array(N * textFrame(0).length + 64 * 4);
      let at = 0;
      for (let i = 1; i <= N; i++) {
        const f = textFrame(i % 10);
        all.set(f, at);
        at += f.length;
      }
      await flooder.write(all.subarray(0, at));
      await flooder.until(() => acks(flooder).length === N, "an ack for every frame", 20000);
      const a = acks(flooder);
      const forwarded = a.filter((x) => x.status === ACK_FORWARDED).length;
      const limited = a.filter((x) => x.status === ACK_RATE_LIMITED).length;
      console.log(`  flood of ${N}: ${forwarded} forwarded, ${limited} refused as rate-limited`);
      assert.equal(forwarded + limited, N, "every frame answered, none silently dropped");
      assert.ok(forwarded >= 20 && forwarded < 60, `burst (+slack) forwarded: ${forwarded}`);
      assert.ok(limited > 200, `the rest refused: ${limited}`);
      const errs = flooder.errors().filter((e) => e.code === "rate-limited");
      assert.equal(errs.length, limited, "each refusal also has a rate-limited error");
      assert.ok(errs.every((e) => e.fatal === false));
      await receiver.until(() => count(receiver, FrameType.Text) >= forwarded, "forwarded texts");
      // After a pause the bucket refills: the flooder may speak again.
      await sleep(1200);
      await flooder.write(textFrame(1));
      await flooder.until(() => acks(flooder).length === N + 1, "ack after the pause");
      assert.equal(acks(flooder).at(-1)!.status, ACK_FORWARDED);
      // The relay forwards one connection's texts in order: once this last one has
      // arrived, everything of the flood that was going to arrive has.
      await receiver.until(() => count(receiver, FrameType.Text) >= forwarded + 1, "the last text");
      assert.equal(
        count(receiver, FrameType.Text),
        forwarded + 1,
        "exactly the forwarded ones arrive",
      );
      flooder.close();
      receiver.close();
      await relay.stop();
    },
  );

  Deno.test(
    `voice rate: a 20 ms cadence passes; a flood is dropped and reported once a second [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(withBackend(io, ["--duplex", "full"]));
      const talker = await joinRaw(relay.port, "talker");
      const ear = await joinRaw(relay.port, "ear");
      await talker.write(encodeFrame(FrameType.Talk, enc.encode('{"on":true}')));
      await talker.until(() => count(talker, FrameType.TalkState) > 0, "floor");
      const voice = encodeFrame(FrameType.Voice, new Uint8Array(70).fill(7));

      // 2 s at a 20 ms cadence (never faster): nothing dropped, nothing reported.
      const cadence = 100;
      for (let i = 0; i < cadence; i++) {
        await talker.write(voice);
        await sleep(20);
      }
      await ear.until(() => count(ear, FrameType.Voice) === cadence, "every cadence frame", 10000);
      assert.equal(talker.errors().length, 0, JSON.stringify(talker.errors()));

      // Then a flood: 500 frames at once, and again 1.2 s later.
      await sleep(500);
      const flood = new Uint8Array(voice.length * 500);
      for (let i = 0; i < 500; i++) flood.set(voice, i * voice.length);
      const before = count(ear, FrameType.Voice);
      await talker.write(flood);
      await talker.until(() => talker.errors().length >= 1, "rate-limited error");
      await sleep(1200);
      await talker.write(flood);
      await talker.until(() => talker.errors().length >= 2, "second rate-limited error");
      // A full bucket (25) passes from each flood; wait for those to reach the ear.
      await ear.until(() => count(ear, FrameType.Voice) - before >= 50, "a burst of each flood");
      await sleep(300);
      const passed = count(ear, FrameType.Voice) - before;
      const errs = talker.errors();
      console.log(`  voice flood of 1000 frames: ${passed} forwarded, ${errs.length} error frames`);
      assert.ok(errs.every((e) => e.code === "rate-limited" && e.fatal === false));
      assert.equal(errs.length, 2, "one error per flood second, not one per dropped frame");
      assert.ok(passed >= 50 && passed < 200, `about a burst per flood passed: ${passed}`);
      assert.ok(!talker.isClosed, "flooding voice is not a reason to close");
      talker.close();
      ear.close();
      await relay.stop();
    },
  );

  Deno.test(
    `nick and room: length (--max-nick/--max-room, in UTF-8 bytes) and characters [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(
        withBackend(io, ["--max-nick", "8", "--max-room", "10"]),
      );
      const admitted = async (nick: string, room: string) => {
        const p = await RawPeer.connect(relay.port);
        await p.write(helloFrame(nick, room));
        await p.until(
          () => count(p, FrameType.Welcome) > 0 || p.errors().length > 0,
          `answer to ${nick}/${room}`,
        );
        const ok = count(p, FrameType.Welcome) > 0;
        const why = p.errors()[0];
        p.close();
        if (!ok) assert.equal(why.code, "bad-hello", `${nick}/${room}: ${why.message}`);
        return ok;
      };
      const accepted = [
        ["n".repeat(8), "r".repeat(10)],
        ["Zoë", "café"],
        ["日本", "ルーム"],
        ["a_b.c-d", "x.y_z-1"],
      ];
      for (const [n, r] of accepted) assert.ok(await admitted(n, r), `${n}/${r} accepted`);
      const refused = [
        ["n".repeat(9), "room"], // 9 bytes
        ["éééée", "room"], // 9 bytes in UTF-8, 5 characters
        ["nick", "r".repeat(11)],
        ["nick", "日本日本"], // 12 bytes
        ["a b", "room"],
        ["a\tb", "room"],
        ["a\u001b[31m", "room"],
        ["a\u0007", "room"],
        ["a\u202eb", "room"],
        ["a\u2066b", "room"],
        ["a\u200fb", "room"],
        ["e\u0301", "room"], // not NFC
        ["a/b", "room"],
        ["nick", "a:b"],
        ["nick", "a\nb"],
        ["", "room"],
        ["nick", ""],
      ];
      for (const [n, r] of refused) {
        assert.ok(!(await admitted(n, r)), `${JSON.stringify(n)}/${JSON.stringify(r)} refused`);
      }
      // The client program reports the relay's refusal and exits non-zero.
      const long = ClientProcess.start(relay.port, { nick: "longnick9" });
      const status = await long.finish();
      assert.notEqual(status.code, 0);
      assert.ok(long.events.some((e) => e.event === "error" && e.code === "bad-hello"));
      await relay.stop();
    },
  );

  Deno.test(
    `key shares: --key-share-burst passes that many at once, the rest dropped with rate-limited [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(
        withBackend(io, ["--key-share-rate", "1", "--key-share-burst", "3"]),
      );
      const a = await joinRaw(relay.port, "a");
      const b = await joinRaw(relay.port, "b");
      const welcome = b.frames.find((f) => f.type === FrameType.Welcome)!;
      const bId: number = JSON.parse(new TextDecoder().decode(welcome.payload)).self.id;
      const share = (i: number) =>
        encodeFrame(FrameType.KeyShare, new Uint8Array([bId >>> 8, bId & 0xff, i, 1, 2, 3]));
      // All six in one write, so the 1/s refill has no time to add one.
      await a.write(concatBytes(Array.from({ length: 6 }, (_, i) => share(i))));
      // A text after them: once it is at b, every share that was passed is too (one connection, in order).
      await a.write(textFrame(0));
      await b.until(() => count(b, FrameType.Text) === 1, "the text after the shares");
      assert.equal(count(b, FrameType.KeyShare), 3, "the burst, then nothing");
      await a.until(() => a.errors().some((e) => e.code === "rate-limited"), "rate-limited error");
      assert.ok(a.errors().every((e) => e.fatal !== true), "not fatal");
      a.close();
      b.close();
      await relay.stop();
    },
  );
}
