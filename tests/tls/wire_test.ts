// What crosses the network between client and relay, recorded by a proxy: with
// TLS (as shipped) no nick, room name or member list; with --no-tls they show,
// which is what makes the TLS half able to fail.
import assert from "node:assert/strict";
import { ClientProcess, containsBytes, RecordingProxy, RelayProcess } from "../support/harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();

/** Runs a short chat through a recording proxy; returns the bytes and the names used. */
async function recordChat(args: string[]) {
  const tag = crypto.randomUUID().slice(0, 8);
  const names = { alice: `alice${tag}`, bob: `bob${tag}`, room: `room${tag}` };
  const marker = `MARKER-${crypto.randomUUID()}`;
  const relay = await RelayProcess.start(args);
  const proxy = new RecordingProxy(relay.port);
  const alice = ClientProcess.start(proxy.port, { nick: names.alice, room: names.room });
  await alice.ready();
  const bob = ClientProcess.start(proxy.port, { nick: names.bob, room: names.room });
  await bob.ready();
  await alice.send(marker);
  await bob.waitFor((e) => e.event === "text" && e.text === marker, "the marker");
  await alice.send("/who");
  await alice.waitFor((e) => e.event === "who" && e.members.length === 2, "the member list");
  await Promise.all([alice.finish(), bob.finish()]);
  await relay.stop();
  proxy.close();
  return { wire: proxy.allBytes(), names, marker, logs: relay.logs };
}

Deno.test("TLS on: no nick, room name, member list or text crosses the wire", opts, async () => {
  const { wire, names, marker, logs } = await recordChat([]);
  assert.match(logs, /listening .*tls=TLSv1\.3/);
  assert.ok(wire.length > 2000, `the proxy recorded traffic: ${wire.length} bytes`);
  for (const s of [names.alice, names.bob, names.room, '"members"', marker.slice(7, 20)]) {
    assert.ok(!containsBytes(wire, enc.encode(s)), `${s} must not cross the wire`);
  }
});

Deno.test("TLS off (--no-tls): the same chat shows nicks, room and members", opts, async () => {
  const { wire, names, marker, logs } = await recordChat(["--no-tls"]);
  assert.match(logs, /tls-off .*plain TCP/);
  for (const s of [names.alice, names.bob, names.room, '"members"']) {
    assert.ok(containsBytes(wire, enc.encode(s)), `${s} is readable without TLS`);
  }
  // The text itself is sealed end to end either way.
  assert.ok(!containsBytes(wire, enc.encode(marker.slice(7, 20))));
});
