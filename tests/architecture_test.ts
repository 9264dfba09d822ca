// The import graph is part of the design: the relay cannot read what it relays
// because it never loads the cipher or any audio code, and library modules never
// reach back into the entry files. The folders under lib/ are the parts of the
// architecture, so the rules are checked against them.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

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

/** Every .ts file under `dir` (relative to the root), recursively. */
async function sources(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const e of Deno.readDir(new URL(`${dir}/`, ROOT))) {
    if (e.isDirectory) files.push(...await sources(`${dir}/${e.name}`));
    else if (e.isFile && e.name.endsWith(".ts")) files.push(`${dir}/${e.name}`);
  }
  return files;
}

/** Relative imports of one file, resolved to paths from the root. */
async function importsOf(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(new URL(file, ROOT));
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)];
  return specs.map((m) => new URL(m[1], new URL(file, ROOT)).href.slice(ROOT.href.length));
}

Deno.test("the relay's import graph holds no cipher, no audio and no client code", async () => {
  const modules = await graph("server.ts");
  assert.ok(modules.includes("lib/relay/relay.ts"), `unexpected graph: ${modules}`);
  assert.ok(modules.includes("lib/relay/web_server.ts"), "the relay serves the web port");
  assert.ok(!modules.includes("lib/cipher.ts"), "server.ts must not load lib/cipher.ts");
  // The browser client is served as files (web/), never loaded by the relay.
  for (const part of ["audio/", "lib/client/", "lib/terminal/", "lib/voice/", "lib/browser/"]) {
    assert.deepEqual(modules.filter((m) => m.startsWith(part)), [], `server.ts loads ${part}`);
  }
});

Deno.test("lib/relay/, lib/cluster/ and lib/workers/ import neither the cipher nor client-side parts", async () => {
  const files = [
    ...await sources("lib/relay"),
    ...await sources("lib/cluster"),
    ...await sources("lib/workers"),
  ];
  assert.ok(files.length >= 10, `unexpected file list: ${files}`);
  for (const f of files) {
    for (const target of await importsOf(f)) {
      assert.notEqual(target, "lib/cipher.ts", `${f} imports the cipher`);
      assert.ok(
        !/^(audio|lib\/client|lib\/terminal|lib\/voice|lib\/browser|web)\//.test(target),
        `${f} imports ${target}`,
      );
    }
  }
});

Deno.test("a relay worker loads no cipher, audio or client code, and no NATS client without --nats", async () => {
  // Workers are started by URL (new Worker), so their graph is not part of server.ts's.
  const modules = await graph("lib/workers/worker_main.ts");
  assert.ok(modules.includes("lib/relay/relay.ts"), `unexpected graph: ${modules}`);
  assert.ok(!modules.includes("lib/cipher.ts"), "a worker must not load lib/cipher.ts");
  for (const part of ["audio/", "lib/e2e/", "lib/client/", "lib/terminal/", "lib/voice/"]) {
    assert.deepEqual(modules.filter((m) => m.startsWith(part)), [], `a worker loads ${part}`);
  }
  // What workers share with the NATS cluster knows no NATS (cluster.ts itself is imported lazily).
  const shared = ["lib/cluster/room.ts", "lib/cluster/remote_member.ts", "lib/cluster/id_range.ts"];
  for (const f of [...shared, ...await sources("lib/workers")]) {
    const text = await Deno.readTextFile(new URL(f, ROOT));
    assert.ok(!/from "nats"/.test(text), `${f} imports NATS`);
    // Static imports only: worker_main.ts loads cluster.ts by import() for --nats.
    for (const m of text.matchAll(/from\s+"(\.{1,2}\/[^"]+)"/g)) {
      const target = new URL(m[1], new URL(f, ROOT)).href.slice(ROOT.href.length);
      assert.ok(
        !target.startsWith("lib/cluster/") || shared.includes(target),
        `${f} imports ${target}`,
      );
    }
  }
});

Deno.test("lib/ and audio/ never import the entry files", async () => {
  const files = [...await sources("lib"), ...await sources("audio")];
  assert.ok(files.length > 40, `unexpected file list: ${files}`);
  for (const f of files) {
    for (const target of await importsOf(f)) {
      assert.ok(!["server.ts", "client.ts"].includes(target), `${f} imports ${target}`);
      assert.ok(!target.startsWith("tests/") && !target.startsWith("bench/"), `${f} -> ${target}`);
    }
  }
});

Deno.test("the shared modules stay where the design card names them", async () => {
  for (const f of ["lib/framing.ts", "lib/protocol.ts", "lib/cipher.ts"]) {
    assert.ok((await Deno.stat(new URL(f, ROOT))).isFile, `${f} is missing`);
  }
  // Both sides use the one framing module.
  assert.ok((await graph("server.ts")).includes("lib/framing.ts"));
  assert.ok((await graph("client.ts")).includes("lib/framing.ts"));
});

Deno.test("audio/ does not depend on the messenger's protocol or cipher", async () => {
  for (const f of await sources("audio")) {
    for (const target of await importsOf(f)) {
      assert.ok(target.startsWith("audio/"), `${f} imports ${target}`);
    }
  }
});

Deno.test("the browser client never reaches into the relay, the terminal or a device", async () => {
  const files = await sources("lib/browser");
  assert.ok(files.length >= 3, `unexpected file list: ${files}`);
  // The page shares the pure audio modules (codec, silence detection, jitter
  // buffer, fades, mixer) and the voice loops; what opens devices or files
  // uses Deno's APIs and cannot run in a page.
  const shared = ["lib/voice/session.ts", "lib/voice/playout.ts"];
  for (const f of [...files, ...shared]) {
    for (const target of await importsOf(f)) {
      assert.ok(!/^(lib\/relay|lib\/cluster|lib\/terminal)\//.test(target), `${f} -> ${target}`);
      if (target.startsWith("audio/")) {
        const text = await Deno.readTextFile(new URL(target, ROOT));
        assert.ok(!/\bDeno\./.test(text), `${f} -> ${target}, which uses Deno's APIs`);
      }
    }
  }
});
