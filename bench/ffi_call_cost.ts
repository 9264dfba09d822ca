/**
 * What one libc call through Deno's FFI costs, by how its arguments are
 * passed: a 64-bit length (`usize`) given as a plain number leaves V8's fast
 * call for Deno's slow path, given as a bigint it stays on it
 * (bench/analysis.md, "Text CPU at 1/16 of the top rate, third round"). Each
 * call is a `write` of 1,400 bytes to /dev/null, so the figures include one
 * real system call; `getppid` is a bare system call for scale.
 *
 *   taskset -c 1 deno run -A bench/ffi_call_cost.ts
 *
 * @module
 */

const lib = Deno.dlopen("libc.so.6", {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  getppid: { parameters: [], result: "i32" },
  write_usize: { name: "write", parameters: ["i32", "buffer", "usize"], result: "i32" },
}).symbols;

const O_WRONLY = 1;
const fd = lib.open(new TextEncoder().encode("/dev/null\0"), O_WRONLY);
if (fd < 0) throw new Error("cannot open /dev/null");
const buf = new Uint8Array(1400);

/** Nanoseconds per call of `fn`, after a warm-up that lets V8 optimise it. */
function perCall(fn: () => void): number {
  for (let i = 0; i < 20_000; i++) fn();
  const n = 300_000;
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t) * 1e6 / n;
}

const cases: [string, () => void][] = [
  ["getppid (a bare system call)", () => lib.getppid()],
  ["write, length a number", () => lib.write_usize(fd, buf, buf.length as unknown as bigint)],
  ["write, length BigInt(n)", () => lib.write_usize(fd, buf, BigInt(buf.length))],
  ["write, length a bigint constant", () => lib.write_usize(fd, buf, 1400n)],
];
for (let round = 1; round <= 2; round++) {
  for (const [name, fn] of cases) {
    console.log(`${round} ${name.padEnd(32)} ${perCall(fn).toFixed(0)} ns`);
  }
}
lib.close(fd);
