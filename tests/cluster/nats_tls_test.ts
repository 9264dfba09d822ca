// Relays that reach NATS over TLS (`tls://` URLs, --nats-ca for a private CA):
// the cluster works, the hop between relay and NATS shows no nick or room, and
// a relay that cannot verify the NATS server's certificate refuses to start.
import assert from "node:assert/strict";
import {
  ClientProcess,
  containsBytes,
  RecordingProxy,
  RELAY_RUN_ARGS,
  RelayProcess,
  testDir,
} from "../support/harness.ts";
import { NatsServer } from "../support/nats_process.ts";
import { makeCertificateAuthority, makeServerCertificate } from "../../lib/tls/certificates.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "NATS over TLS: relays join with tls:// and --nats-ca; the hop is encrypted",
  opts,
  async () => {
    const dir = testDir("nats-tls-");
    const ca = await makeCertificateAuthority("Test NATS CA");
    // The NATS client checks the name "localhost" when the URL holds 127.0.0.1.
    const cert = await makeServerCertificate(ca, ["localhost", "127.0.0.1"]);
    await Deno.writeTextFile(`${dir}/ca.pem`, ca.certPem);
    await Deno.writeTextFile(`${dir}/cert.pem`, cert.certPem);
    await Deno.writeTextFile(`${dir}/key.pem`, cert.keyPem);
    const nats = await NatsServer.start({ certFile: `${dir}/cert.pem`, keyFile: `${dir}/key.pem` });
    const proxy = new RecordingProxy(nats.port);
    const url = `tls://127.0.0.1:${proxy.port}`;
    try {
      // Without the private CA the relay cannot verify NATS, and says so.
      const refused = await new Deno.Command(Deno.execPath(), {
        args: [
          ...RELAY_RUN_ARGS,
          "--no-tls",
          "--port",
          "0",
          "--nats",
          url,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.notEqual(refused.code, 0);
      assert.match(new TextDecoder().decode(refused.stderr), /cannot reach NATS at tls:\/\//);

      const relays = await Promise.all(
        [0, 1].map(() => RelayProcess.start(["--nats", url, "--nats-ca", `${dir}/ca.pem`])),
      );
      const tag = crypto.randomUUID().slice(0, 8);
      const a = ClientProcess.start(relays[0].port, { nick: `ann${tag}`, room: `r${tag}` });
      await a.ready();
      const b = ClientProcess.start(relays[1].port, { nick: `ben${tag}`, room: `r${tag}` });
      await b.ready();
      await a.waitFor((e) => e.event === "joined" && e.nick === `ben${tag}`, "ben across relays");
      await a.send("over the cluster");
      await b.waitFor((e) => e.event === "text" && e.text === "over the cluster", "the text");
      await Promise.all([a.finish(), b.finish()]);
      await Promise.all(relays.map((r) => r.stop()));
      const wire = proxy.allBytes();
      assert.ok(wire.length > 1000, `traffic crossed the proxy: ${wire.length} bytes`);
      // NATS sends its INFO in clear before the TLS upgrade; everything after is sealed.
      assert.ok(containsBytes(wire, new TextEncoder().encode("INFO")), "the proxy saw NATS");
      for (const s of [`ann${tag}`, `ben${tag}`, `r${tag}`, "CONNECT", "PUB "]) {
        assert.ok(!containsBytes(wire, new TextEncoder().encode(s)), `${s} on the NATS hop`);
      }
    } finally {
      proxy.close();
      await nats.dispose();
    }
  },
);

Deno.test(
  "a tls:// URL to a NATS server without TLS is refused, not used in clear",
  opts,
  async () => {
    const nats = await NatsServer.start();
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          ...RELAY_RUN_ARGS,
          "--no-tls",
          "--port",
          "0",
          "--nats",
          `tls://127.0.0.1:${nats.port}`,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.notEqual(out.code, 0);
      const err = new TextDecoder().decode(out.stderr);
      assert.match(err, /cannot reach NATS at tls:\/\/127\.0\.0\.1:\d+: .*tls/i, err);
    } finally {
      await nats.dispose();
    }
  },
);
