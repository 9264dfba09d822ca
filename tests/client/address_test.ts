import assert from "node:assert/strict";
import { formatAddress, parseAddresses } from "../../lib/client/address.ts";
import { UsageError } from "../../lib/cli.ts";
import { DEFAULT_PORT } from "../../lib/protocol.ts";

Deno.test("host alone takes the default port", () => {
  assert.deepEqual(parseAddresses("relay.example.org"), [
    { hostname: "relay.example.org", port: DEFAULT_PORT },
  ]);
  assert.equal(DEFAULT_PORT, 9001);
  assert.deepEqual(parseAddresses("localhost", 1234), [{ hostname: "localhost", port: 1234 }]);
});

Deno.test("host:port and IPv4", () => {
  assert.deepEqual(parseAddresses("127.0.0.1:9002"), [{ hostname: "127.0.0.1", port: 9002 }]);
  assert.deepEqual(parseAddresses("h:1"), [{ hostname: "h", port: 1 }]);
  assert.deepEqual(parseAddresses("h:65535"), [{ hostname: "h", port: 65535 }]);
});

Deno.test("bracketed IPv6, with and without a port", () => {
  assert.deepEqual(parseAddresses("[::1]:9001"), [{ hostname: "::1", port: 9001 }]);
  assert.deepEqual(parseAddresses("[fe80::1]"), [{ hostname: "fe80::1", port: DEFAULT_PORT }]);
});

Deno.test("comma-separated lists, spaces and empty items ignored", () => {
  assert.deepEqual(parseAddresses("a:1, b ,[::1]:3,"), [
    { hostname: "a", port: 1 },
    { hostname: "b", port: DEFAULT_PORT },
    { hostname: "::1", port: 3 },
  ]);
});

Deno.test("bad ports and shapes are UsageErrors", () => {
  for (
    const spec of [
      "",
      " , ",
      "h:0",
      "h:65536",
      "h:99999999999999999999",
      "h:-1",
      "h:abc",
      "h:",
      "::1",
      "[::1]:0",
      "[::1]:70000",
      "a:1,b:0",
      "h:1:2",
    ]
  ) {
    assert.throws(() => parseAddresses(spec), UsageError, JSON.stringify(spec));
  }
});

Deno.test("formatAddress brackets IPv6 and round trips through parseAddresses", () => {
  assert.equal(formatAddress({ hostname: "::1", port: 9001 }), "[::1]:9001");
  assert.equal(formatAddress({ hostname: "example.org", port: 80 }), "example.org:80");
  for (const spec of ["[::1]:9001", "example.org:80", "10.0.0.1:5"]) {
    assert.equal(formatAddress(parseAddresses(spec)[0]), spec);
  }
});
