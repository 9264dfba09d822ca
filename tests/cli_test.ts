import assert from "node:assert/strict";
import {
  choiceValue,
  type FlagSpec,
  formatHelp,
  intValue,
  parseCli,
  UsageError,
} from "../lib/cli.ts";

const SPEC: Record<string, FlagSpec> = {
  port: {
    type: "string",
    short: "p",
    default: "9001",
    env: "AM_PORT",
    value: "N",
    help: "TCP port to use",
  },
  host: { type: "string", env: "AM_HOST", default: "0.0.0.0", value: "ADDR", help: "address" },
  duplex: { type: "string", env: "AM_DUPLEX", default: "half", help: "floor mode" },
  json: { type: "boolean", env: "AM_JSON", default: false, help: "JSON output" },
  color: { type: "boolean", env: "AM_COLOR", default: true, help: "colours" },
  help: { type: "boolean", short: "h", help: "this help" },
};

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

const NO_ENV = envOf({});

Deno.test("defaults apply when neither flag nor env is set", () => {
  const { values, positionals } = parseCli(SPEC, [], NO_ENV);
  assert.deepEqual(values, {
    port: "9001",
    host: "0.0.0.0",
    duplex: "half",
    json: false,
    color: true,
    help: undefined,
  });
  assert.deepEqual(positionals, []);
});

Deno.test("env beats default; flag beats env", () => {
  const env = envOf({ AM_PORT: "7000", AM_HOST: "127.0.0.1" });
  assert.equal(parseCli(SPEC, [], env).values.port, "7000");
  assert.equal(parseCli(SPEC, [], env).values.host, "127.0.0.1");
  assert.equal(parseCli(SPEC, ["--port", "8000"], env).values.port, "8000");
  assert.equal(parseCli(SPEC, ["-p", "8001"], env).values.port, "8001");
  assert.equal(parseCli(SPEC, ["--port=8002"], env).values.port, "8002");
  assert.equal(parseCli(SPEC, ["--port", "8000"], env).values.host, "127.0.0.1");
});

Deno.test("an empty env value counts as unset", () => {
  assert.equal(parseCli(SPEC, [], envOf({ AM_PORT: "" })).values.port, "9001");
  assert.equal(parseCli(SPEC, [], envOf({ AM_COLOR: "" })).values.color, true);
});

Deno.test("boolean env values: 0/false/no (any case) are false, anything else true", () => {
  for (const v of ["0", "false", "FALSE", "No", "no"]) {
    assert.equal(parseCli(SPEC, [], envOf({ AM_COLOR: v })).values.color, false, v);
  }
  for (const v of ["1", "true", "yes", "on", "TRUE"]) {
    assert.equal(parseCli(SPEC, [], envOf({ AM_JSON: v })).values.json, true, v);
  }
  // The flag still wins over a false env.
  assert.equal(parseCli(SPEC, ["--json"], envOf({ AM_JSON: "0" })).values.json, true);
});

Deno.test("positionals are kept", () => {
  assert.deepEqual(parseCli(SPEC, ["a", "--json", "b"], NO_ENV).positionals, ["a", "b"]);
});

Deno.test("unknown flags and missing values are one-line UsageErrors", () => {
  for (const args of [["--nope"], ["-x"], ["--port"], ["--json=yes"]]) {
    assert.throws(() => parseCli(SPEC, args, NO_ENV), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${args}: ${err}`);
      assert.ok(!err.message.includes("\n"), err.message);
      assert.match(err.message, /see --help$/);
      return true;
    });
  }
});

Deno.test("intValue accepts whole numbers in range only", () => {
  assert.equal(intValue("port", "9001", 1, 65535), 9001);
  assert.equal(intValue("port", 1, 1, 65535), 1);
  assert.equal(intValue("port", "65535", 1, 65535), 65535);
  for (const bad of ["0", "65536", "-1", "1.5", "abc", "", " 80", "0x10", "1e3", undefined]) {
    assert.throws(() => intValue("port", bad, 1, 65535), UsageError, String(bad));
  }
  assert.throws(() => intValue("port", "0", 1, 9), /--port must be a whole number from 1 to 9/);
});

Deno.test("choiceValue accepts only the listed choices", () => {
  assert.equal(choiceValue("duplex", "half", ["half", "full"] as const), "half");
  assert.equal(choiceValue("duplex", "full", ["half", "full"] as const), "full");
  for (const bad of ["HALF", "", "both", undefined]) {
    assert.throws(() => choiceValue("duplex", bad, ["half", "full"]), UsageError, String(bad));
  }
  assert.throws(() => choiceValue("duplex", "x", ["half", "full"]), /half, full/);
});

Deno.test("formatHelp lists every flag with its env variable and default", () => {
  const help = formatHelp("usage: am-server [options]", SPEC);
  assert.ok(help.startsWith("usage: am-server [options]\n\nOptions:\n"));
  const lines = help.trimEnd().split("\n").slice(3);
  assert.equal(lines.length, Object.keys(SPEC).length);
  for (const [name, f] of Object.entries(SPEC)) {
    const line = lines.find((l) => l.includes(`--${name}`));
    assert.ok(line, `--${name} listed`);
    assert.ok(line.includes(f.help), `${name} help`);
    if (f.env) assert.ok(line.includes(`env ${f.env}`), `${name} env`);
    if (f.short) assert.ok(line.includes(`-${f.short}, --${name}`), `${name} short`);
    if (typeof f.default === "string") assert.ok(line.includes(`default ${f.default}`));
  }
  assert.ok(help.includes("--port N"));
  // A false boolean default is not shown as a default.
  assert.ok(!lines.find((l) => l.includes("--json"))!.includes("default"));
  // Help texts line up in one column.
  const starts = new Set(Object.values(SPEC).map((f, i) => lines[i].lastIndexOf(f.help)));
  assert.equal(starts.size, 1, "aligned");
});
