// `am-server --workers 2 --nats URL`: each worker joins the NATS cluster as a
// relay of its own, beside an ordinary relay; a room spans all three.
import assert from "node:assert/strict";
import type { ClientEvent } from "../../lib/client/events.ts";
import { type ChatMember, chatMember } from "../support/chat_member.ts";
import { RelayProcess } from "../support/harness.ts";
import { NatsServer } from "../support/nats_process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const texts = (m: ChatMember) => m.events.flatMap((e) => e.event === "text" ? [e.text] : []);
const talk = (nick: string) => (e: ClientEvent) => e.event === "talk-start" && e.nick === nick;

Deno.test("with --nats, each worker is a relay of the cluster", opts, async () => {
  const nats = await NatsServer.start();
  const url = `nats://127.0.0.1:${nats.port}`;
  const [multi, single] = await Promise.all([
    RelayProcess.start(["--workers", "2", "--nats", url]),
    RelayProcess.start(["--nats", url]),
  ]);
  // Two cluster slots for the relay of two workers, one line each.
  await multi.waitForLog(/ cluster-joined .* worker=0/);
  await multi.waitForLog(/ cluster-joined .* worker=1/);
  const on: ChatMember[][] = [[], []];
  for (let i = 1; on[0].length === 0 || on[1].length === 0; i++) {
    assert.ok(i <= 30, "30 connections all landed on one worker");
    const m = await chatMember(`w${i}`, [multi.port]);
    const re = new RegExp(` join peer=\\S+ nick=w${i} .* worker=(\\d+)`);
    await multi.waitForLog(re);
    on[Number(re.exec(multi.logs)![1])].push(m);
  }
  const far = await chatMember("far", [single.port]);
  const all = [...on[0], ...on[1], far];
  await Promise.all(all.map((m) => m.until(() => m.client.members.size === all.length, "all")));

  far.client.sendText("through NATS");
  await Promise.all(
    [on[0][0], on[1][0]].map((m) =>
      m.until(() => texts(m).includes("through NATS"), "text on both workers")
    ),
  );
  on[1][0].client.sendText("from worker 1");
  await on[0][0].until(() => texts(on[0][0]).includes("from worker 1"), "worker to worker");
  await far.until(() => texts(far).includes("from worker 1"), "worker to the other relay");

  on[0][0].client.talk(true);
  const holder = on[0][0].client.nick;
  await far.until(() => far.has(talk(holder)), "the floor seen on the other relay");
  on[1][0].client.talk(true);
  await on[1][0].until(() => on[1][0].has((e) => e.event === "floor-denied"), "denied");

  await Promise.all(all.map((m) => m.client.close()));
  await Promise.all([multi.stop(), single.stop()]);
  await nats.dispose();
});
