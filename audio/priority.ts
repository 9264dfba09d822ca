/**
 * Asks the operating system to schedule this process's audio ahead of ordinary
 * work. The voice loops must meet a deadline every 20 ms; on a machine whose cores
 * are busy with equal-priority work, the scheduler let them wait 100–900 ms at a
 * time (measured with `stress-ng --cpu 2` and other test runs on 2 cores), longer than
 * any device buffer we can keep without adding that much latency. Sound servers do
 * the same for their own threads (PulseAudio runs at nice −11). This uses a nice
 * value, not a real-time class, so a client that misbehaves can still be preempted;
 * where the system refuses (an unprivileged user without an `RLIMIT_NICE`
 * allowance), nothing changes and voice works as before.
 *
 * @module
 */

/** Nice value asked for: just below ordinary work, one step gentler than PulseAudio. */
export const AUDIO_NICE = -10;

const PRIO_PROCESS = 0;
/** Offset of `d_name` in glibc's `struct dirent` on 64-bit Linux. */
const DIRENT_NAME = 19;

const LIBC = {
  setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
} as const;

/** Ids of this process's threads, read through libc (Deno opens /proc only with --allow-all). */
function threadIds(libc: Deno.DynamicLibrary<typeof LIBC>): number[] {
  const dir = libc.symbols.opendir(new TextEncoder().encode("/proc/self/task\0"));
  if (!dir) return [];
  const ids: number[] = [];
  try {
    for (let e = libc.symbols.readdir(dir); e; e = libc.symbols.readdir(dir)) {
      const id = Number(new Deno.UnsafePointerView(e).getCString(DIRENT_NAME));
      if (Number.isInteger(id) && id > 0) ids.push(id);
    }
  } finally {
    libc.symbols.closedir(dir);
  }
  return ids;
}

/**
 * Sets every thread of this process to `nice`: the one running the event loop and so
 * every voice loop, the worker threads that wait on the sound devices for it, and
 * the sound library's own threads. On Linux a nice value belongs to a thread, and
 * threads started afterwards inherit the value of the thread that starts them.
 * Returns null when granted, else why not; never throws.
 */
export function raiseAudioPriority(nice = AUDIO_NICE): string | null {
  if (Deno.build.os !== "linux") return `not supported on ${Deno.build.os}`;
  let libc: Deno.DynamicLibrary<typeof LIBC> | undefined;
  try {
    libc = Deno.dlopen("libc.so.6", LIBC);
    // who = 0: the calling thread (Linux applies PRIO_PROCESS to a thread id).
    if (libc.symbols.setpriority(PRIO_PROCESS, 0, nice) !== 0) {
      return "the system refused a higher priority";
    }
    // Threads that already run (Deno's worker pool, which runs the blocking device
    // reads and writes) keep their own value unless set one by one.
    for (const id of threadIds(libc)) libc.symbols.setpriority(PRIO_PROCESS, id, nice);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    libc?.close();
  }
}
