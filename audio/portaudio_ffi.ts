/**
 * Deno FFI binding to the system PortAudio library (libportaudio), the one audio
 * back end used on every OS. It finds the library by its usual name per OS (or the
 * path in `AM_PORTAUDIO_LIB`), silences the ALSA and JACK probing chatter that
 * `Pa_Initialize` would otherwise print on stderr, and wraps the blocking read/write
 * API with `nonblocking` symbols so audio I/O runs on worker threads and never stalls
 * the event loop. Needs `--allow-ffi` (and `--allow-env` for the override).
 *
 * @module
 */

import { silenceNativeChatter } from "./native_chatter.ts";

/** Thrown when audio cannot be used at all: no PortAudio library, or it fails to start. */
export class AudioUnavailableError extends Error {
  override name = "AudioUnavailableError";
}

/** A PortAudio call returned an error code. */
export class PortAudioError extends Error {
  override name = "PortAudioError";
  /** The PortAudio `PaError` code. */
  readonly code: number;
  /** Builds the error from the failing call's name, its code and PortAudio's text. */
  constructor(call: string, code: number, text: string, options?: ErrorOptions) {
    super(`${call} failed: ${text} (PaError ${code})`, options);
    this.code = code;
  }
}

/** `paInt16` sample format (a 64-bit `PaSampleFormat` bit outside Windows). */
export const PA_INT16 = 8;
/** `paClipOff`: our samples are already 16-bit, so no clipping pass is needed. */
export const PA_CLIP_OFF = 1;
/** `paInputOverflowed`: some input was lost, but the read did deliver data. */
export const PA_INPUT_OVERFLOWED = -9981;
/** `paOutputUnderflowed`: the device ran dry before this write, which still played. */
export const PA_OUTPUT_UNDERFLOWED = -9980;

// `unsigned long` is 32-bit on Windows (LLP64) and 64-bit on macOS/Linux (LP64).
const IS_WINDOWS = Deno.build.os === "windows";
const UL = (IS_WINDOWS ? "u32" : "u64") as "u64";
/** Converts to the FFI type used for C `unsigned long` on this OS. */
export function ul(n: number): bigint {
  return (IS_WINDOWS ? n : BigInt(n)) as unknown as bigint;
}

const SYMBOLS = {
  Pa_Initialize: { parameters: [], result: "i32" },
  Pa_Terminate: { parameters: [], result: "i32" },
  Pa_GetErrorText: { parameters: ["i32"], result: "pointer" },
  Pa_GetDeviceCount: { parameters: [], result: "i32" },
  Pa_GetDeviceInfo: { parameters: ["i32"], result: "pointer" },
  Pa_GetDefaultInputDevice: { parameters: [], result: "i32" },
  Pa_GetDefaultOutputDevice: { parameters: [], result: "i32" },
  Pa_GetHostApiInfo: { parameters: ["i32"], result: "pointer" },
  Pa_OpenStream: {
    parameters: ["buffer", "buffer", "buffer", "f64", UL, UL, "pointer", "pointer"],
    result: "i32",
  },
  Pa_StartStream: { parameters: ["pointer"], result: "i32" },
  Pa_StopStream: { parameters: ["pointer"], result: "i32" },
  Pa_CloseStream: { parameters: ["pointer"], result: "i32" },
  Pa_GetStreamInfo: { parameters: ["pointer"], result: "pointer" },
  Pa_GetStreamWriteAvailable: {
    parameters: ["pointer"],
    result: (IS_WINDOWS ? "i32" : "i64") as "i64",
  },
  Pa_ReadStream: { parameters: ["pointer", "buffer", UL], result: "i32", nonblocking: true },
  Pa_WriteStream: { parameters: ["pointer", "buffer", UL], result: "i32", nonblocking: true },
} as const;

/** The raw PortAudio symbols. */
export type PaLib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** One device as PortAudio describes it (`PaDeviceInfo` plus its host API's name). */
export interface PaDeviceInfo {
  /** Device index, valid until the process ends (the list is fixed at initialisation). */
  index: number;
  /** Device name, e.g. `pulse` or an ALSA PCM name. */
  name: string;
  /** Host API name, e.g. `ALSA`, `Core Audio`, `Windows WASAPI`. */
  hostApi: string;
  /** Input channels the device offers (0: output only). */
  maxInputChannels: number;
  /** Output channels the device offers (0: input only). */
  maxOutputChannels: number;
  /** Suggested latency for interactive input, in seconds. */
  defaultLowInputLatency: number;
  /** Suggested latency for interactive output, in seconds. */
  defaultLowOutputLatency: number;
  /** The device's native sample rate. */
  defaultSampleRate: number;
}

/** Latencies and rate of an open stream, as PortAudio reports them (seconds, Hz). */
export interface PaStreamInfo {
  /** Input latency in seconds (0 for an output-only stream). */
  inputLatency: number;
  /** Output latency in seconds (0 for an input-only stream). */
  outputLatency: number;
  /** Actual sample rate. */
  sampleRate: number;
}

/** Library names to try for this OS, best first; `AM_PORTAUDIO_LIB` replaces them. */
export function libraryCandidates(os: typeof Deno.build.os = Deno.build.os): string[] {
  let override: string | undefined;
  try {
    override = Deno.env.get("AM_PORTAUDIO_LIB");
  } catch {
    // Without --allow-env there is no override: the usual names still work.
  }
  if (override) return [override];
  switch (os) {
    case "darwin":
      return [
        "libportaudio.2.dylib",
        "/opt/homebrew/lib/libportaudio.2.dylib",
        "/usr/local/lib/libportaudio.2.dylib",
        "/opt/local/lib/libportaudio.2.dylib",
      ];
    case "windows":
      return ["portaudio.dll", "libportaudio-2.dll", "portaudio_x64.dll"];
    default:
      return ["libportaudio.so.2", "libportaudio.so"];
  }
}

let shared: PortAudio | null = null;

/** An initialised PortAudio library: devices, and streams opened on them. */
export class PortAudio {
  /** The raw symbols, for {@linkcode PaStream}. */
  readonly lib: PaLib;
  /** The path or name the library was loaded from. */
  readonly path: string;

  private constructor(lib: PaLib, path: string) {
    this.lib = lib;
    this.path = path;
  }

  /**
   * Loads and initialises PortAudio once per process (the device list is fixed then).
   * Throws {@linkcode AudioUnavailableError} when no library loads or it fails to start.
   */
  static load(): PortAudio {
    if (shared) return shared;
    const tried: string[] = [];
    let lastError: unknown;
    for (const path of libraryCandidates()) {
      let dl: Deno.DynamicLibrary<typeof SYMBOLS>;
      try {
        dl = Deno.dlopen(path, SYMBOLS);
      } catch (err) {
        tried.push(path);
        lastError = err;
        continue;
      }
      silenceNativeChatter();
      const pa = new PortAudio(dl.symbols, path);
      const code = dl.symbols.Pa_Initialize();
      if (code !== 0) {
        dl.close();
        throw new AudioUnavailableError(
          `PortAudio (${path}) failed to initialise: ${pa.errorText(code)}. ` +
            "Check the audio system (e.g. PulseAudio) is running; text chat still works.",
          { cause: new PortAudioError("Pa_Initialize", code, pa.errorText(code)) },
        );
      }
      shared = pa;
      return pa;
    }
    throw new AudioUnavailableError(
      `PortAudio library not found (tried ${tried.join(", ")}). Install it ` +
        "(Debian/Ubuntu: apt-get install libportaudio2; macOS: brew install portaudio; " +
        "Windows: put portaudio.dll next to am-client) or set AM_PORTAUDIO_LIB to its path.",
      { cause: lastError },
    );
  }

  /** Ends PortAudio (closing any open streams); a later {@linkcode PortAudio.load} starts anew. */
  terminate(): void {
    if (shared === this) shared = null;
    this.check("Pa_Terminate", this.lib.Pa_Terminate());
  }

  /** PortAudio's text for an error code. */
  errorText(code: number): string {
    const p = this.lib.Pa_GetErrorText(code);
    return p ? Deno.UnsafePointerView.getCString(p) : `unknown error ${code}`;
  }

  /** Throws {@linkcode PortAudioError} unless `code` is success or a tolerated warning. */
  check(call: string, code: number, tolerated: number[] = []): number {
    if (code < 0 && !tolerated.includes(code)) {
      throw new PortAudioError(call, code, this.errorText(code));
    }
    return code;
  }

  /** Number of devices (0 when, e.g., the sound server is down). */
  deviceCount(): number {
    return Math.max(0, this.lib.Pa_GetDeviceCount());
  }

  /** Describes device `index`; throws RangeError for an index that does not exist. */
  deviceInfo(index: number): PaDeviceInfo {
    const p = this.lib.Pa_GetDeviceInfo(index);
    if (!p) throw new RangeError(`No audio device with index ${index}.`);
    const v = new Deno.UnsafePointerView(p);
    const hostApiIndex = v.getInt32(16);
    const hp = this.lib.Pa_GetHostApiInfo(hostApiIndex);
    const hostApi = hp
      ? Deno.UnsafePointerView.getCString(new Deno.UnsafePointerView(hp).getPointer(8)!)
      : `host API ${hostApiIndex}`;
    return {
      index,
      name: Deno.UnsafePointerView.getCString(v.getPointer(8)!),
      hostApi,
      maxInputChannels: v.getInt32(20),
      maxOutputChannels: v.getInt32(24),
      defaultLowInputLatency: v.getFloat64(32),
      defaultLowOutputLatency: v.getFloat64(40),
      defaultSampleRate: v.getFloat64(64),
    };
  }

  /** Index of the default input device, or -1 (`paNoDevice`). */
  defaultInputDevice(): number {
    return this.lib.Pa_GetDefaultInputDevice();
  }

  /** Index of the default output device, or -1 (`paNoDevice`). */
  defaultOutputDevice(): number {
    return this.lib.Pa_GetDefaultOutputDevice();
  }
}
