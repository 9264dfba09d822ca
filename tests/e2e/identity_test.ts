// Member identities end to end, with real relay and client processes: a
// forging member is caught (directly and through a relay that re-stamps
// senders), a recording cannot be opened later with the passphrase and every
// identity file (while the in-memory keys would open it), a member who left
// cannot read on, and a nick that comes back with another identity is flagged
// before anything from it is shown.
import assert from "node:assert/strict";
import { concatBytes, encodeFrame, FrameDecoder } from "../../lib/framing.ts";
import { encodeJson, FrameType, nickStamp, splitNickStamp } from "../../lib/protocol.ts";
import { openText, textHeader } from "../../lib/e2e/envelope.ts";
import { ClientProcess, RecordingProxy, RelayProcess } from "../support/harness.ts";
import { RawMember } from "../support/raw_member.ts";
import { attack } from "./attacker.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
// These tests check the end-to-end layer on its own: the relays serve plain TCP
// (--no-tls), so recordings hold what a relay sees and a proxy can re-stamp frames
// as a relay would.

/** A relay in the middle of one client's connection that re-stamps `from` as `as`. */
function restampingProxy(
  target: number,
  from: { nick: string; id: number },
  as: { nick: string; id: number },
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port: target });
      client.readable.pipeTo(server.writable).catch(() => {});
      (async () => {
        const decoder = new FrameDecoder(1 << 20);
        const w = client.writable.getWriter();
        for await (const chunk of server.readable) {
          for (const f of decoder.push(chunk)) {
            let p = f.payload;
            if (f.type === FrameType.Text && splitNickStamp(p).nick === from.nick) {
              p = concatBytes([nickStamp(as.nick), splitNickStamp(p).sealed]);
            } else if (f.type === FrameType.Voice && ((p[0] << 8) | p[1]) === from.id) {
              p = concatBytes([new Uint8Array([as.id >>> 8, as.id & 0xff]), p.subarray(2)]);
            }
            await w.write(encodeFrame(f.type, p));
          }
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

const errorsOf = (c: ClientProcess, code: string) =>
  c.events.filter((e) => e.event === "error" && e.code === code);

Deno.test(
  "a forging member is rejected as forged, directly and with a re-stamping relay",
  opts,
  async () => {
    const relay = await RelayProcess.start(["--duplex", "full", "--no-tls"]);
    const dir = await Deno.makeTempDir();
    const alice = await RawMember.join(relay.port, "alice");
    const mallory = await RawMember.join(relay.port, "mallory");
    const aliceEntry = alice.welcome!.self;
    const malloryEntry = mallory.welcome!.self;
    const proxy = restampingProxy(relay.port, malloryEntry, aliceEntry);
    const direct = ClientProcess.start(relay.port, {
      nick: "bob",
      args: ["--speaker", `${dir}/b.wav`],
    });
    const viaBadRelay = ClientProcess.start(relay.port, {
      nick: "carl",
      address: `127.0.0.1:${proxy.port}`,
      args: ["--speaker", `${dir}/c.wav`],
    });
    for (const c of [direct, viaBadRelay]) await c.waitFor((e) => e.event === "keys-ready", "keys");
    await alice.sendText("the real alice");
    for (const c of [direct, viaBadRelay]) {
      await c.waitFor((e) => e.event === "text" && e.text === "the real alice", "alice's text");
    }
    await mallory.until(() => mallory.keyed("alice") !== undefined, "alice's keys at mallory");
    const victim = mallory.keyed("alice")!;
    // Texts under alice's own sender key, at her next numbers.
    await mallory.write(encodeFrame(FrameType.Text, mallory.forgeText(victim, "I am alice", 2)));
    await mallory.write(
      encodeFrame(FrameType.Text, mallory.forgeText(victim, "I am alice too", 3)),
    );
    // Voice under alice's voice key (the floor is free in full duplex).
    await mallory.write(encodeFrame(FrameType.Talk, encodeJson({ on: true })));
    for (let i = 1; i <= 5; i++) {
      const frame = mallory.forgeVoice(victim, new Uint8Array([0xf8, 0xff, 0xfe]), i);
      await mallory.write(encodeFrame(FrameType.Voice, frame));
    }
    for (const c of [direct, viaBadRelay]) {
      await c.waitFor(
        (e) => errorsOf(c, "forged").length >= 2 && e.event === "error",
        "forged texts",
      );
    }
    // Through the re-stamping relay the voice is attributed to alice: her key opens it, her tag is missing.
    await viaBadRelay.waitFor(() => errorsOf(viaBadRelay, "forged").length >= 7, "forged voice");
    // Directly it is mallory's frame under a key that is not mallory's: refused too.
    await direct.waitFor(
      () => errorsOf(direct, "tampered").length + errorsOf(direct, "forged").length >= 7,
      "refused voice",
    );
    await alice.sendText("still the real alice");
    for (const c of [direct, viaBadRelay]) {
      await c.waitFor((e) => e.event === "text" && e.text === "still the real alice", "after");
      assert.ok(!c.texts().some((t) => t.startsWith("I am alice")), "no forged text shown");
    }
    await Promise.all([direct.finish(), viaBadRelay.finish(), alice.leave(), mallory.leave()]);
    proxy.close();
    await relay.stop();
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test(
  "forward secrecy: the passphrase and every identity file open no recorded text",
  opts,
  async () => {
    const relay = await RelayProcess.start(["--no-tls"]);
    const proxies = [0, 1, 2].map(() => new RecordingProxy(relay.port));
    const configs = [0, 1].map(() => Deno.makeTempDirSync({ prefix: "am-fs-" }));
    const [alice, bob] = ["alice", "bob"].map((nick, i) =>
      ClientProcess.start(relay.port, {
        nick,
        address: `127.0.0.1:${proxies[i].port}`,
        env: { XDG_CONFIG_HOME: configs[i] },
      })
    );
    await alice.ready();
    await bob.ready();
    const spy = await RawMember.join(proxies[2].port, "spy");
    await alice.waitFor((e) => e.event === "joined" && e.nick === "spy", "spy joined");
    await bob.waitFor((e) => e.event === "joined" && e.nick === "spy", "spy joined");
    await alice.send("secret one from alice");
    await bob.send("secret two from bob");
    await alice.waitFor(
      (e) => e.event === "text" && e.text === "secret two from bob",
      "bob's text",
    );
    await bob.waitFor((e) => e.event === "text" && e.text === "secret one from alice", "alice's");
    await spy.until(
      () => spy.keyed("alice") !== undefined && spy.keyed("bob") !== undefined,
      "keys",
    );
    await Promise.all([alice.finish(), bob.finish()]);
    await spy.leave();
    proxies.forEach((p) => p.close());

    const identityFiles = configs.map((d) => Deno.readTextFileSync(`${d}/am/identity`));
    const recordings = proxies.map((p) => concatBytes(p.downstream));
    const o = { passphrase: "test passphrase", room: "lobby", identityFiles };
    for (const r of recordings) assert.deepEqual(await attack(r, o), [], "nothing opens later");
    // The same program with the spy's in-memory key during the conversation opens both.
    const live = await attack(recordings[2], { ...o, ephemeral: spy.group.ephemeral });
    assert.ok(live.some((t) => t.includes("secret one from alice")), JSON.stringify(live));
    assert.ok(live.some((t) => t.includes("secret two from bob")), JSON.stringify(live));
    await relay.stop();
  },
);

Deno.test(
  "removal: a member who left cannot open what is said next; the others go on",
  opts,
  async () => {
    const relay = await RelayProcess.start(["--no-tls"]);
    const rec = new RecordingProxy(relay.port);
    const alice = ClientProcess.start(relay.port, { nick: "alice" });
    await alice.ready();
    const bob = ClientProcess.start(relay.port, { nick: "bob", address: `127.0.0.1:${rec.port}` });
    await bob.ready();
    const carol = await RawMember.join(relay.port, "carol");
    await alice.send("before carol left");
    await bob.waitFor((e) => e.event === "text" && e.text === "before carol left", "before");
    await carol.until(() => carol.keyed("alice") !== undefined, "alice's keys at carol");
    const carolAlice = carol.keyed("alice")!;
    await carol.leave();
    await alice.waitFor((e) => e.event === "left" && e.nick === "carol", "carol left");
    await alice.send("after carol left");
    await bob.waitFor((e) => e.event === "text" && e.text === "after carol left", "after");
    await Promise.all([alice.finish(), bob.finish()]);
    rec.close();
    for (const c of [alice, bob]) {
      const bad = c.events.filter((e) => e.event === "error" && e.code !== "disconnected");
      assert.deepEqual(bad, [], "the others noticed nothing");
    }
    // Every text alice sent, as bob received it; carol tries each with every chain she kept.
    const texts = new FrameDecoder(1 << 20).push(concatBytes(rec.downstream))
      .filter((f) => f.type === FrameType.Text).map((f) => splitNickStamp(f.payload))
      .filter((t) => t.nick === "alice");
    const opens = (sealed: Uint8Array) => {
      const h = textHeader(sealed);
      return carolAlice.text.some((chain) => {
        const found = chain.find(h.index);
        if (typeof found === "string") return false;
        try {
          openText(found.mk, h, "lobby", "alice", sealed);
          return true;
        } catch {
          return false;
        }
      });
    };
    assert.equal(texts.length, 2);
    assert.ok(opens(texts[0].sealed), "carol's keys open what was said while she was there");
    assert.ok(!opens(texts[1].sealed), "and not what was said after she left");
    await relay.stop();
  },
);

Deno.test(
  "the same nick with another identity: identity-changed before any of its texts",
  opts,
  async () => {
    const relay = await RelayProcess.start(["--no-tls"]);
    const members = ["alice", "bob"].map((nick) => ClientProcess.start(relay.port, { nick }));
    for (const m of members) await m.ready();
    const first = ClientProcess.start(relay.port, { nick: "carol" });
    await first.ready();
    for (const m of members) {
      await m.waitFor(
        (e) => e.event === "joined" && e.nick === "carol",
        "carol",
      );
    }
    await first.finish();
    for (const m of members) {
      await m.waitFor(
        (e) => e.event === "left" && e.nick === "carol",
        "left",
      );
    }
    // Another identity file: someone else under the same nick.
    const impostor = ClientProcess.start(relay.port, { nick: "carol" });
    await impostor.ready();
    await impostor.send("it is me, carol");
    for (const m of members) {
      await m.waitFor((e) => e.event === "text" && e.text === "it is me, carol", "impostor text");
      const changed = m.events.findIndex((e) =>
        e.event === "identity-changed" && e.nick === "carol"
      );
      const text = m.events.findIndex((e) => e.event === "text" && e.from === "carol");
      assert.ok(changed >= 0 && changed < text, "flagged before its text is shown");
      const e = m.events[changed];
      assert.ok(e.event === "identity-changed" && e.old !== e.new && e.room === "lobby");
      const t = m.events[text];
      assert.ok(t.event === "text" && t.identityChanged === true, "its texts are marked");
    }
    await Promise.all([...members, impostor].map((c) => c.finish()));
    await relay.stop();
  },
);
