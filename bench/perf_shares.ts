/**
 * Where a relay's CPU went, from a `perf record -g` file (`bench/fanout_ab.ts
 * --perf DIR` writes one per run): each sample sorted into the parts a write
 * is made of, the kernel's send split by whether it is the loopback's softirq
 * (the receiver's side of TCP, run in the sender's context) or the send path
 * itself, and the rest by thread and code (JavaScript, Deno's native code, V8's
 * worker threads, the epoll helper thread); under `--io uring` a send is the ring's
 * `io_send`, and the rest of `io_uring_enter` a part of its own. bench/analysis.md, "Text CPU at
 * 1/16 of the top rate, … third round", is this over two runs.
 *
 *   deno run -A bench/perf_shares.ts DIR/am-1.perf.data [DIR/before-1.perf.data ...]
 *
 * @module
 */

/** The part of the relay's work one sample was in. */
function part(thread: string, frames: string[]): string {
  const stack = frames.join(" ");
  const leaf = frames[0] ?? "";
  if (thread.startsWith("V8 DefaultWorke")) return "V8 worker threads (GC, compiler)";
  if (thread.startsWith("tokio")) return "helper thread (blocking epoll_wait)";
  // A send is a sendto system call (epoll, Deno), or an io_uring send (--io uring).
  const inSend = /__x64_sys_sendto| io_send[+ ]/.test(stack);
  if (inSend && /handle_softirqs/.test(stack)) return "send: loopback receive in softirq";
  if (inSend) return "send: TCP send path";
  const kernel = /\[kernel\.kallsyms\]/.test(leaf);
  if (/ __send\+/.test(stack)) return "send: syscall entry/exit, libc";
  if (/__x64_sys_io_uring_enter/.test(stack)) return "io_uring_enter besides sends";
  if (/sys_epoll_wait|sys_futex|sys_recvfrom|sys_write|sys_read/.test(stack) || kernel) {
    return "kernel besides send";
  }
  if (/perf-\d+\.map/.test(leaf)) return "JavaScript (JIT code)";
  if (/\/deno\)$/.test(leaf)) return "deno native (V8 runtime, event loop, ops, FFI)";
  if (/libc\.so/.test(leaf)) return "libc besides send";
  return "other";
}

for (const file of Deno.args) {
  const { stdout, success } = await new Deno.Command("perf", {
    args: ["script", "-i", file],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) throw new Error(`perf script could not read ${file}`);
  const counts = new Map<string, number>();
  let total = 0;
  // One sample: a header line (thread name first), its frames indented, a blank line.
  for (const sample of new TextDecoder().decode(stdout).split("\n\n")) {
    const [header, ...frames] = sample.split("\n").filter((l) => l.trim() !== "");
    if (!header) continue;
    const name = part(header.slice(0, 16), frames.map((f) => f.trim()));
    counts.set(name, (counts.get(name) ?? 0) + 1);
    total++;
  }
  console.log(`${file}: ${total} samples`);
  for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${(n * 100 / total).toFixed(1).padStart(5)} %  ${name}`);
  }
}
