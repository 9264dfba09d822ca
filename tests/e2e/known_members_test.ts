// Trust on first use (lib/e2e/known_members.ts) and the identity file
// (lib/e2e/identity_file.ts), each in a temporary directory of its own.
import assert from "node:assert/strict";
import { join } from "node:path";
import { KnownMembers } from "../../lib/e2e/known_members.ts";
import { configDir, IdentityError, loadOrCreateIdentity } from "../../lib/e2e/identity_file.ts";
import type { Identity } from "../../lib/e2e/identity.ts";

Deno.test("known members: first identity remembered, a change reported, trust and accept kept on disk", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "am", "known_members");
  const k = await KnownMembers.load(path);
  assert.deepEqual(k.check("lobby", "ann", "aa"), { kind: "new" });
  assert.deepEqual(k.check("lobby", "ann", "aa"), { kind: "same", verified: false });
  assert.deepEqual(k.check("other", "ann", "bb"), { kind: "new" }, "per room");
  assert.deepEqual(k.check("lobby", "ann", "bb"), { kind: "changed", old: "aa" });
  assert.deepEqual(k.check("lobby", "ann", "bb"), { kind: "changed", old: "aa" }, "until accepted");
  k.accept("lobby", "ann", "bb");
  assert.equal(k.verified("lobby", "ann", "bb"), false);
  k.trust("lobby", "ann", "bb");
  assert.equal(k.verified("lobby", "ann", "bb"), true);
  assert.equal(k.verified("lobby", "ann", "aa"), false, "verified is for that identity only");
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  const again = await KnownMembers.load(path);
  assert.deepEqual(again.check("lobby", "ann", "bb"), { kind: "same", verified: true });
  assert.deepEqual(again.check("other", "ann", "bb"), { kind: "same", verified: false });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("known members kept elsewhere (the page's IndexedDB): each change is the room's whole entry", () => {
  const saved: [string, unknown][] = [];
  const k = KnownMembers.inMemory(
    { lobby: { ann: { identity: "aa", verified: true } } },
    (room, members) => saved.push([room, members]),
  );
  assert.deepEqual(k.check("lobby", "ann", "aa"), { kind: "same", verified: true });
  assert.deepEqual(saved, [], "a check of a known member changes nothing");
  assert.deepEqual(k.check("lobby", "bob", "bb"), { kind: "new" });
  assert.deepEqual(k.check("lobby", "ann", "cc"), { kind: "changed", old: "aa" });
  k.accept("lobby", "ann", "cc");
  assert.deepEqual(saved, [
    ["lobby", {
      ann: { identity: "aa", verified: true },
      bob: { identity: "bb", verified: false },
    }],
    ["lobby", {
      ann: { identity: "cc", verified: false },
      bob: { identity: "bb", verified: false },
    }],
  ]);
});

Deno.test("known members: a corrupt file starts afresh instead of failing", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "known_members");
  for (const junk of ["{not json", "[1,2]", "null", ""]) {
    await Deno.writeTextFile(path, junk);
    const k = await KnownMembers.load(path);
    assert.deepEqual(k.check("lobby", "ann", "aa"), { kind: "new" }, junk);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("identity file: made once with mode 0600, the same key after; refused when others may read it", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "am", "identity");
  const a = await loadOrCreateIdentity(path);
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(join(dir, "am"))).mode! & 0o077, 0, "its directory is private");
  const b = await loadOrCreateIdentity(path);
  assert.deepEqual(b.publicKey, a.publicKey);
  for (const mode of [0o640, 0o604, 0o644]) {
    await Deno.chmod(path, mode);
    await assert.rejects(
      () => loadOrCreateIdentity(path),
      (e) => e instanceof IdentityError && e.message.includes(`chmod 600 ${path}`),
      `mode ${mode.toString(8)}`,
    );
  }
  await Deno.chmod(path, 0o400);
  assert.deepEqual((await loadOrCreateIdentity(path)).publicKey, a.publicKey, "0400 is fine");
  await Deno.chmod(path, 0o600);
  await Deno.writeTextFile(path, "garbage");
  await assert.rejects(
    () => loadOrCreateIdentity(path),
    (e) => e instanceof IdentityError && /move it away/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("identity file: two clients starting at once end up with the same key", async () => {
  // A reader once caught the file half written in a suite run on a loaded machine;
  // twenty rounds give such a window more chances to show.
  for (let round = 0; round < 20; round++) {
    const dir = await Deno.makeTempDir();
    const path = join(dir, "identity");
    const ids: Identity[] = await Promise.all(
      Array.from({ length: 4 }, () => loadOrCreateIdentity(path)),
    );
    for (const id of ids) assert.deepEqual(id.publicKey, ids[0].publicKey);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["identity"], "no temp left");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("identity file: XDG_CONFIG_HOME, else HOME/.config; neither is a clear error", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assert.equal(configDir(env({ XDG_CONFIG_HOME: "/x", HOME: "/h" })), join("/x", "am"));
  assert.equal(configDir(env({ HOME: "/h" })), join("/h", ".config", "am"));
  assert.throws(() => configDir(env({})), IdentityError);
});
