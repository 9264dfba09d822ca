/**
 * Keeps native audio libraries quiet. PortAudio's device probing makes ALSA print
 * dozens of "ALSA lib …" lines and JACK print "jack server is not running" on stderr;
 * users must never see them, so we install no-op error handlers in both libraries
 * (when present) before PortAudio starts. Linux only: elsewhere nothing chatters.
 *
 * @module
 */

// Held for the life of the process: native libraries keep calling these pointers, and a
// call may come from a PortAudio worker thread, which Deno queues to the event loop.
const keptCallbacks: object[] = [];

/** Opens `path` with `symbols`, or returns null when it is absent (silencing is optional). */
function tryOpen<S extends Deno.ForeignLibraryInterface>(path: string, symbols: S) {
  try {
    return Deno.dlopen(path, symbols);
  } catch {
    return null;
  }
}

/**
 * Installs no-op error handlers in ALSA and JACK so that PortAudio's device probing
 * prints nothing: users must never see "ALSA lib …" or "jack server is not running".
 * ALSA's handler is variadic in C; a callee declared with only the fixed parameters
 * is safe on every ABI we run on because it never touches the variadic ones.
 */
export function silenceNativeChatter(): void {
  if (Deno.build.os !== "linux") return;
  const asound = tryOpen("libasound.so.2", {
    snd_lib_error_set_handler: { parameters: ["function"], result: "i32" },
  });
  if (asound) {
    const cb = new Deno.UnsafeCallback(
      { parameters: ["pointer", "i32", "pointer", "i32", "pointer"], result: "void" },
      () => {},
    );
    cb.unref();
    keptCallbacks.push(cb);
    asound.symbols.snd_lib_error_set_handler(cb.pointer);
  }
  const jack = tryOpen("libjack.so.0", {
    jack_set_error_function: { parameters: ["function"], result: "void" },
    jack_set_info_function: { parameters: ["function"], result: "void" },
  });
  if (jack) {
    const cb = new Deno.UnsafeCallback({ parameters: ["pointer"], result: "void" }, () => {});
    cb.unref();
    keptCallbacks.push(cb);
    jack.symbols.jack_set_error_function(cb.pointer);
    jack.symbols.jack_set_info_function(cb.pointer);
  }
}
