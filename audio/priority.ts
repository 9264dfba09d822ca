/**
 * Asks the operating system to schedule this process's audio ahead of ordinary
 * work. The voice loops must meet a deadline every 20 ms; on a machine whose cores
 * are busy with equal-priority work, the scheduler let them wait 100–900 ms at a
 * time (measured with `stress-ng --cpu 2` and other test runs on 2 cores), longer than
 * any device buffer we can keep without adding that much latency. Sound servers do the same for their own threads (PulseAudio runs at
 * nice −11). This uses a nice value, not a real-time class, so a client that
 * misbehaves can still be preempted; where the system refuses (an unprivileged user
 * without an `RLIMIT_NICE` allowance), nothing changes and voice works as before.
 *
 * @module
 */

/** Nice value asked for: just below ordinary work, one step gentler than PulseAudio. */
export const AUDIO_NICE = -10;

const PRIO_PROCESS = 0;

/**
 * Sets the calling thread, the one running the event loop and so every voice loop, to
 * `nice`. On Linux a nice value belongs to a thread; threads started afterwards
 * inherit it (those already running, such as idle pool threads, keep theirs: reaching
 * them needs /proc, which Deno grants only with --allow-all). Returns null when
 * granted, else why not; never throws.
 */
export function raiseAudioPriority(nice = AUDIO_NICE): string | null {
  if (Deno.build.os !== "linux") return `not supported on ${Deno.build.os}`;
  let libc: Deno.DynamicLibrary<{ setpriority: Deno.ForeignFunction }> | undefined;
  try {
    libc = Deno.dlopen(
      "libc.so.6",
      {
        setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
      } as const,
    );
    // who = 0: the calling thread (Linux applies PRIO_PROCESS to a thread id).
    return libc.symbols.setpriority(PRIO_PROCESS, 0, nice) === 0
      ? null
      : "the system refused a higher priority";
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    libc?.close();
  }
}
