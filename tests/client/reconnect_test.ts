// kill -9 the relay in the middle of a conversation and start it again on the
// same port: every client says it lost the relay, reconnects with backoff and
// rejoins; every numbered line arrives exactly once, in each sender's order.
import assert from "node:assert/strict";
import { Outbox, RESEND_RECENT_MS } from "../../lib/client/outbox.ts";
import { RecentTexts } from "../../lib/relay/room_history.ts";
import { ClientProcess, RelayProcess } from "../support/harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test(
  "relay killed with SIGKILL mid-conversation: nothing lost, nothing doubled",
  opts,
  async () => {
    let relay = await RelayProcess.start();
    const port = relay.port;
    const nicks = ["ann", "ben", "cat"];
    const clients = nicks.map((nick) => ClientProcess.start(port, { nick }));
    await Promise.all(clients.map((c) => c.ready()));
    const sent = nicks.map(() => 0);
    let sending = true;
    // Each sends a numbered line every 60 ms, through the kill and the restart.
    const senders = clients.map(async (c, i) => {
      while (sending) {
        await c.send(`${nicks[i]} ${++sent[i]}`);
        await sleep(60);
      }
    });
    await sleep(1500);
    const killedAt = sent.slice();
    const status = await relay.stop("SIGKILL");
    assert.equal(status.signal, "SIGKILL");
    await sleep(1000);
    relay = await RelayProcess.start([], port);
    const restartedAt = sent.slice();
    await sleep(2500);
    sending = false;
    await Promise.all(senders);
    console.log(
      `  lines sent: ${sent.join(", ")}; killed after ${killedAt.join(", ")}, ` +
        `restarted after ${restartedAt.join(", ")}`,
    );

    // Wait until each receiver has every other sender's last line.
    for (const [r, c] of clients.entries()) {
      for (const [s, nick] of nicks.entries()) {
        if (s === r) continue;
        await c.waitFor(
          (e) => e.event === "text" && e.text === `${nick} ${sent[s]}`,
          `${nick}'s last line at ${nicks[r]}`,
          30_000,
        );
      }
    }
    await Promise.all(clients.map((c) => c.finish()));
    for (const [r, c] of clients.entries()) {
      for (const [s, nick] of nicks.entries()) {
        if (s === r) continue;
        const got = c.texts().filter((t) => t.startsWith(`${nick} `)).map((t) =>
          Number(t.slice(nick.length + 1))
        );
        const want = Array.from({ length: sent[s] }, (_, k) => k + 1);
        assert.deepEqual(got, want, `${nicks[r]} got ${nick}'s lines exactly once, in order`);
      }
      const names = c.events.map((e) => e.event === "error" ? `error:${e.code}` : e.event);
      const lost = names.indexOf("error:disconnected");
      assert.ok(lost >= 0, `${nicks[r]} said it was disconnected: ${names}`);
      assert.ok(names.indexOf("reconnecting", lost) > lost, `${nicks[r]} said it was reconnecting`);
      assert.ok(names.indexOf("reconnected", lost) > lost, `${nicks[r]} said it was back`);
      assert.ok(!c.texts().some((t) => t.startsWith(`${nicks[r]} `)), "never its own lines");
    }
    await relay.stop();
  },
);

Deno.test("outbox: after a lost connection, lately acknowledged texts go out again, in order", () => {
  const o = new Outbox();
  const [a, b, c] = ["a", "b", "c"].map((t) => o.add(t));
  for (const p of [a, b, c]) o.markSent(p);
  o.ack(1, true);
  o.ack(2, true);
  assert.equal(o.size, 1, "one still unacknowledged");
  o.resetConnection(true);
  assert.deepEqual(o.unsent().map((p) => p.text), ["a", "b", "c"], "acked ones resent first");
  assert.equal(o.size, 3);
  // A plain new connection (not after a loss) resends only the unacknowledged.
  for (const p of o.unsent()) o.markSent(p);
  o.ack(1, true);
  o.resetConnection(false);
  assert.deepEqual(o.unsent().map((p) => p.text), ["b", "c"]);
  // Older than the window: not resent.
  const late = new Outbox();
  const x = late.add("x");
  late.markSent(x);
  late.ack(1, true);
  late.resetConnection(true, Date.now() + RESEND_RECENT_MS + 1);
  assert.equal(late.size, 0);
});

Deno.test("room history: bounded, never echoes a member's own texts, newest within a budget", () => {
  const h = new RecentTexts({ maxFrames: 3, maxBytes: 100, maxAgeMs: 1000 });
  const f = (n: number, size = 10) => new Uint8Array(size).fill(n);
  h.add("a", f(1), 0);
  h.add("b", f(2), 0);
  h.add("a", f(3), 0);
  h.add("b", f(4), 0);
  assert.equal(h.size, 3, "at most maxFrames");
  assert.deepEqual(h.except("a", 0).map((x) => x[0]), [2, 4]);
  assert.deepEqual(h.except("c", 0, 25).map((x) => x[0]), [3, 4], "newest that fit");
  h.add("b", f(5, 90), 500);
  assert.deepEqual(h.except("c", 500).map((x) => x[0]), [4, 5], "frame and byte bounds");
  assert.deepEqual(h.except("c", 1600), [], "age bound");
});
