// `am-server --workers 2` as shipped: one relay process, two worker threads
// sharing its port (the kernel spreads the connections), and rooms, floors,
// nicks, history and limits that span both. Members are placed by the kernel,
// so each test joins members until both workers have some, reading from the
// relay's log which worker took each one.
import assert from "node:assert/strict";
import type { ClientEvent } from "../../lib/client/events.ts";
import { FrameType, splitNickStamp } from "../../lib/protocol.ts";
import { type ChatMember, chatMember } from "../support/chat_member.ts";
import {
  containsBytes,
  helloFrame,
  RawPeer,
  RecordingProxy,
  RELAY_RUN_ARGS,
  RelayProcess,
} from "../support/harness.ts";
import { IO_BACKENDS, withBackend } from "../support/io_backends.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const talk = (nick: string) => (e: ClientEvent) => e.event === "talk-start" && e.nick === nick;
const talkEnd = (nick: string) => (e: ClientEvent) => e.event === "talk-end" && e.nick === nick;

/** The worker that admitted `nick` (from the relay's join line). */
async function workerOf(relay: RelayProcess, nick: string): Promise<number> {
  const re = new RegExp(` join peer=\\S+ nick=${nick} .* worker=(\\d+)`);
  await relay.waitForLog(re);
  return Number(re.exec(relay.logs)![1]);
}

/** Members `<prefix>1`, `<prefix>2`, … joined one by one until both workers have one. */
async function spread(relay: RelayProcess, port: number, prefix: string, tls = true) {
  const on: ChatMember[][] = [[], []];
  const all: ChatMember[] = [];
  for (let i = 1; on[0].length === 0 || on[1].length === 0; i++) {
    assert.ok(i <= 30, "30 connections all landed on one worker");
    const m = await chatMember(`${prefix}${i}`, [port], "lobby", tls);
    on[await workerOf(relay, `${prefix}${i}`)].push(m);
    all.push(m);
  }
  // Each member learns of the other worker's through the hub.
  await Promise.all(all.map((m) => m.until(() => m.client.members.size === all.length, "all")));
  return { on, all };
}

const texts = (m: ChatMember) => m.events.flatMap((e) => e.event === "text" ? [e.text] : []);

// On both socket I/O backends (tests/support/io_backends.ts): the workers share the port either way.
for (const io of IO_BACKENDS) {
  Deno.test(
    "both workers take connections; texts, /who, joins, leaves and nicks span them; " +
      `the wire and the log hold no plaintext [io ${io.name}]`,
    opts,
    async () => {
      const relay = await RelayProcess.start(withBackend(io, ["--workers", "2", "--no-tls"]));
      assert.match(relay.logs, / workers count=2 /);
      const proxy = new RecordingProxy(relay.port);
      const { on, all } = await spread(relay, proxy.port, "m", false);
      const [a, b] = [on[0][0], on[1][0]];

      const marker = `MARKER-${crypto.randomUUID()}`;
      a.client.sendText(marker);
      await Promise.all(
        all.filter((m) => m !== a).map((m) => m.until(() => texts(m).includes(marker), "marker")),
      );
      b.client.sendText("reply from the other worker");
      await a.until(() => texts(a).includes("reply from the other worker"), "reply");

      b.client.who();
      await b.until(() => b.has((e) => e.event === "who"), "who");
      const who = b.events.find((e) => e.event === "who");
      const nicks = all.map((m) => m.client.nick).sort();
      assert.deepEqual(who?.event === "who" && who.members.sort(), nicks);

      // The same nick through the other worker: refused there, as on one relay.
      const owner = await workerOf(relay, a.client.nick);
      const refusedOnOther = new RegExp(` code=nick-taken fatal=true worker=${1 - owner}`);
      for (let i = 0; !refusedOnOther.test(relay.logs); i++) {
        assert.ok(i < 30, "30 connections all landed on the owner's worker");
        const dup = await RawPeer.connect(proxy.port);
        await dup.write(helloFrame(a.client.nick));
        await dup.error("nick-taken");
        await dup.closed;
      }

      await b.client.close();
      await a.until(() => a.has((e) => e.event === "left" && e.nick === b.client.nick), "b left");
      const late = await chatMember("late", [proxy.port], "lobby", false);
      await a.until(() => a.client.members.has("late"), "late joined");
      await late.until(() => late.client.members.has(a.client.nick), "late sees a");
      await Promise.all([...all.filter((m) => m !== b), late].map((m) => m.client.close()));
      proxy.close();
      assert.equal((await relay.stop()).code, 0, "SIGTERM stops every worker in order");
      assert.match(relay.logs, / shutdown clients=\d+ worker=0/);
      assert.match(relay.logs, / shutdown clients=\d+ worker=1/);
      const enc = new TextEncoder();
      for (const secret of [marker.slice(7), "reply from the other", "test passphrase"]) {
        assert.ok(!containsBytes(proxy.allBytes(), enc.encode(secret)), `wire: ${secret}`);
        assert.ok(!relay.logs.includes(secret), `log: ${secret}`);
      }
    },
  );

  Deno.test(`the floor is relay-wide and voice crosses workers [io ${io.name}]`, opts, async () => {
    const relay = await RelayProcess.start(withBackend(io, ["--workers", "2"]));
    const tls = !io.args.includes("--no-tls");
    const { on, all } = await spread(relay, relay.port, "v", tls);
    const [a, b] = [on[0][0], on[1][0]];
    const [an, bn] = [a.client.nick, b.client.nick];

    a.client.talk(true);
    await b.until(() => b.has(talk(an)), "a talking, seen on the other worker");
    b.client.talk(true);
    await b.until(() => b.has((e) => e.event === "floor-denied"), "b denied");
    assert.ok(b.has((e) => e.event === "floor-denied" && e.holder === an));

    const packets = Array.from({ length: 20 }, (_, i) => new Uint8Array([i, 1, 2, 3, 4, 5]));
    for (const p of packets) {
      a.client.sendVoice(p);
      await sleep(20); // one 20 ms frame at a time, as a microphone would (the relay rate-limits voice)
    }
    await b.until(() => b.voice.length === 20, "20 voice frames on the other worker");
    assert.ok(b.voice.every((v) => v.from.nick === an));
    assert.deepEqual(b.voice.map((v) => [...v.payload]), packets.map((p) => [...p]));

    a.client.talk(false);
    await b.until(() => b.has(talkEnd(an)), "a released");
    b.client.talk(true);
    await a.until(() => a.has(talk(bn)), "b holds it, seen on a's worker");
    // Its holder leaving frees it relay-wide.
    await b.client.close();
    await a.until(() => a.has(talkEnd(bn)), "b's floor ended");
    const before = a.events.filter(talk(an)).length;
    a.client.talk(true);
    await a.until(() => a.events.filter(talk(an)).length > before, "a holds it again");
    await Promise.all(all.filter((m) => m !== b).map((m) => m.client.close()));
    await relay.stop();
  });
}

Deno.test("a member resuming on the other worker gets the room's recent texts", opts, async () => {
  const relay = await RelayProcess.start(["--workers", "2", "--no-tls"]);
  const sam = await chatMember("sam", [relay.port], "lobby", false);
  const home = await workerOf(relay, "sam");
  const lines = ["one", "two", "three"];
  for (const line of lines) sam.client.sendText(line);
  // Acknowledged: the relay has them in the room's history on sam's worker.
  await sam.until(() => sam.events.filter((e) => e.event === "acked").length === 3, "acks");
  for (let i = 0;; i++) {
    assert.ok(i < 30, "30 connections all landed on sam's worker");
    const rita = await RawPeer.connect(relay.port);
    await rita.write(helloFrame(`rita${i}`, "lobby", { resume: true }));
    await rita.until(() => rita.frames.some((f) => f.type === FrameType.Welcome), "welcome");
    if (await workerOf(relay, `rita${i}`) === home) {
      rita.close();
      continue;
    }
    const fromSam = () =>
      rita.frames.filter((f) =>
        f.type === FrameType.Text && splitNickStamp(f.payload).nick === "sam"
      );
    await rita.until(() => fromSam().length === lines.length, "sam's three texts");
    rita.close();
    break;
  }
  await sam.client.close();
  await relay.stop();
});

Deno.test("--max-per-ip holds for the relay, not per worker", opts, async () => {
  const relay = await RelayProcess.start(["--workers", "2", "--no-tls", "--max-per-ip", "24"]);
  const peers: RawPeer[] = [];
  for (let i = 0; i < 24; i++) {
    const p = await RawPeer.connect(relay.port);
    await p.write(helloFrame(`p${i}`));
    await p.until(() => p.frames.some((f) => f.type === FrameType.Welcome), `welcome ${i}`);
    peers.push(p);
  }
  const workers = await Promise.all(peers.map((_, i) => workerOf(relay, `p${i}`)));
  // Each worker had fewer than 24 (all 24 on one worker has a chance of 2^-23), so a per-worker count would let the 13th in.
  assert.ok(workers.includes(0) && workers.includes(1), `all on one worker: ${workers}`);
  const extra = await RawPeer.connect(relay.port);
  await extra.write(helloFrame("extra"));
  assert.equal((await extra.error("too-many-connections")).fatal, true);
  await extra.closed;
  // One closes: there is room for one more, wherever it lands.
  peers.pop()!.close();
  await relay.waitForLog(/ disconnect peer=\S+ nick=p23 /);
  // The disconnect is logged by the member's worker before the hub has counted the
  // release: a newcomer in between is still refused, so it tries again until let in.
  let again: RawPeer | null = null;
  for (let attempt = 0; again === null; attempt++) {
    assert.ok(attempt < 50, "no room made by the member that left");
    const p = await RawPeer.connect(relay.port);
    await p.write(helloFrame("again"));
    await p.until(
      () => p.frames.some((f) => f.type === FrameType.Welcome) || p.errors().length > 0,
      "welcome or refusal",
    );
    if (p.frames.some((f) => f.type === FrameType.Welcome)) again = p;
    else {
      assert.equal(p.errors()[0].code, "too-many-connections");
      await p.closed;
    }
  }
  for (const p of [...peers, again]) p.close();
  await relay.stop();
});

Deno.test("the web port is shared too: WebSocket members land on both workers", opts, async () => {
  const relay = await RelayProcess.start(["--workers", "2", "--no-tls", "--web-port", "0"]);
  const webPort = relay.webPort!;
  await relay.waitForLog(new RegExp(` web address=\\S+:${webPort} .* worker=1`));
  const peers: RawPeer[] = [];
  const seen = new Set<number>();
  for (let i = 0; seen.size < 2; i++) {
    assert.ok(i < 30, "30 WebSocket connections all landed on one worker");
    const p = await RawPeer.overWebSocket(webPort);
    await p.write(helloFrame(`ws${i}`));
    await p.until(() => p.frames.some((f) => f.type === FrameType.Welcome), `welcome ${i}`);
    seen.add(await workerOf(relay, `ws${i}`));
    peers.push(p);
  }
  // The first and the last are on different workers: each sees the other join.
  const [first, last] = [peers[0], peers[peers.length - 1]];
  const lastNick = `ws${peers.length - 1}`;
  await first.until(
    () =>
      first.frames.some((f) =>
        f.type === FrameType.Joined && new TextDecoder().decode(f.payload).includes(lastNick)
      ),
    "the last WebSocket member joined, seen from the other worker",
  );
  for (const p of peers) p.close();
  await last.closed;
  await relay.stop();
});

Deno.test("a second relay with workers on a port in use is refused, not let in", opts, async () => {
  const relay = await RelayProcess.start(["--workers", "2", "--no-tls"]);
  const second = new Deno.Command(Deno.execPath(), {
    args: [...RELAY_RUN_ARGS, "--host", "127.0.0.1", "--port", String(relay.port), "--no-web"]
      .concat(["--no-tls", "--workers", "2"]),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A relay let in would serve on: stop it, so that the test fails instead of waiting.
  const timer = setTimeout(() => second.kill("SIGKILL"), 15_000);
  const out = await second.output();
  clearTimeout(timer);
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2, err);
  assert.match(err, new RegExp(`^am-server: port ${relay.port} is already in use`));
  await relay.stop();
});
