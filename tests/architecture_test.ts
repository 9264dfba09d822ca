// The import graph is part of the design: the relay cannot read what it relays
// because it never loads the cipher or any audio code, and library modules never
// reach back into the entry files.
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);

async function graph(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, ROOT).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  return info.modules.map((m) => m.specifier).filter((s) => s.startsWith(ROOT.href))
    .map((s) => s.slice(ROOT.href.length));
}

Deno.test("the relay's import graph holds no cipher and no audio code", async () => {
  const modules = await graph("server.ts");
  assert.ok(modules.includes("lib/relay.ts"), `unexpected graph: ${modules}`);
  assert.ok(!modules.includes("lib/cipher.ts"), "server.ts must not load lib/cipher.ts");
  assert.deepEqual(modules.filter((m) => m.startsWith("audio/")), []);
});

Deno.test("lib/ and audio/ never import the entry files", async () => {
  const files: string[] = [];
  for (const dir of ["lib", "audio"]) {
    for await (const e of Deno.readDir(new URL(`${dir}/`, ROOT))) {
      if (e.isFile && e.name.endsWith(".ts")) files.push(`${dir}/${e.name}`);
    }
  }
  assert.ok(files.length > 20);
  for (const f of files) {
    const text = await Deno.readTextFile(new URL(f, ROOT));
    assert.doesNotMatch(
      text,
      /from\s+["'](\.\.\/)+(server|client)\.ts["']/,
      `${f} imports an entry file`,
    );
    assert.doesNotMatch(
      text,
      /import\(["'](\.\.\/)+(server|client)\.ts["']\)/,
      `${f} imports an entry file`,
    );
  }
});

Deno.test("audio/ does not depend on the messenger's protocol or cipher", async () => {
  for await (const e of Deno.readDir(new URL("audio/", ROOT))) {
    if (!e.isFile || !e.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(`audio/${e.name}`, ROOT));
    assert.doesNotMatch(text, /from\s+["']\.\.\/lib\//, `audio/${e.name} imports lib/`);
  }
});
