// The audio priority request, in a subprocess: the main thread's nice value, and that
// of a thread started afterwards (a Worker), are read back from /proc (which Deno
// opens only with --allow-all; am-client itself needs no /proc access for this). As
// root (our CI machines) the request is granted; elsewhere it must be refused quietly
// and leave the process as it was.
import assert from "node:assert/strict";

const priorityUrl = new URL("../../audio/priority.ts", import.meta.url).href;

Deno.test("raiseAudioPriority raises every thread of the process and those started later, or changes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/snippet.ts`;
  await Deno.writeTextFile(
    file,
    `import { AUDIO_NICE, raiseAudioPriority } from "${priorityUrl}";
const nices = () => [...Deno.readDirSync("/proc/self/task")].map((e) =>
  Number(Deno.readTextFileSync("/proc/self/task/" + e.name + "/stat").split(") ")[1].split(" ")[16])
);
const main = () =>
  Number(Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ")[16]);
const before = { main: main(), threads: nices().length };
const refused = raiseAudioPriority();
const after = { main: main(), threads: nices().length };
// A thread started now must inherit the value.
const code = "postMessage(0)";
const w = new Worker(URL.createObjectURL(new Blob([code])), { type: "module" });
await new Promise((r) => (w.onmessage = r));
const later = nices();
w.terminate();
console.log(JSON.stringify({ before, refused, after, later, wanted: AUDIO_NICE }));`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-lock", "--allow-all", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(dir, { recursive: true });
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const { before, refused, after, later, wanted } = JSON.parse(text);
  console.log(`main thread nice ${before.main} -> ${after.main} (${refused ?? "granted"})`);
  if (refused === null) {
    assert.equal(after.main, wanted);
    // Every thread, those that existed before and those started later.
    assert.deepEqual(later.filter((n: number) => n !== wanted), [], `threads at ${later}`);
  } else {
    assert.equal(after.main, before.main, "a refused request changes nothing");
  }
});
