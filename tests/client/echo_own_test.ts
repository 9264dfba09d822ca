// Own texts on a pipe and in --json: not reported unless --echo-own asks.
import assert from "node:assert/strict";
import { ClientProcess, RelayProcess } from "../support/harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("--json: own texts only with --echo-own, as sent then acked", opts, async () => {
  const relay = await RelayProcess.start();
  const quiet = ClientProcess.start(relay.port, { nick: "quiet" });
  const loud = ClientProcess.start(relay.port, { nick: "loud", args: ["--echo-own"] });
  await Promise.all([quiet.ready(), loud.ready()]);
  await quiet.send("from quiet");
  await loud.send("/me from loud");
  await quiet.waitFor((e) => e.event === "text" && e.text === "from loud", "loud's action");
  await loud.waitFor((e) => e.event === "text" && e.text === "from quiet", "quiet's text");
  const sent = await loud.waitFor((e) => e.event === "sent", "loud's own text");
  assert.deepEqual(
    sent.event === "sent" && { n: sent.n, nick: sent.nick, text: sent.text, action: sent.action },
    { n: 1, nick: "loud", text: "from loud", action: true },
  );
  await loud.waitFor((e) => e.event === "acked" && e.n === 1, "its acknowledgement");
  await Promise.all([quiet.finish(), loud.finish()]);
  const own = ["sent", "acked", "refused", "undelivered"];
  assert.ok(!quiet.events.some((e) => own.includes(e.event)), JSON.stringify(quiet.events));
  await relay.stop();
});
