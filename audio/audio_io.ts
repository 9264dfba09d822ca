/**
 * The shape every microphone and speaker takes, whether a PortAudio device or a
 * WAV file standing in for one: 48 kHz mono 16-bit audio in 20 ms frames.
 * Sources and sinks pace themselves (a device by its clock, a file by the wall
 * clock), so the voice loops in the client simply read and write in turn.
 *
 * @module
 */

/** Sample rate of all audio inside the messenger. */
export const SAMPLE_RATE = 48000;
/** Length of one frame in milliseconds. */
export const FRAME_MS = 20;
/** Samples in one 20 ms mono frame. */
export const FRAME_SAMPLES = 960;

/** A microphone: yields 20 ms frames in real time while started. */
export interface AudioSource {
  /** Human-readable name (device name or file path). */
  readonly name: string;
  /** Begins capture (a file starts again from its beginning). */
  start(): Promise<void>;
  /**
   * Waits for and returns the next frame of {@linkcode FRAME_SAMPLES} samples.
   * A file past its end yields silence, so that silence detection ends the talk.
   */
  read(): Promise<Int16Array>;
  /** Ends capture; `start` may be called again. */
  stop(): Promise<void>;
  /** Releases the device or file. */
  close(): Promise<void>;
}

/** A speaker: takes 20 ms frames and plays them in real time. */
export interface AudioSink {
  /** Human-readable name (device name or file path). */
  readonly name: string;
  /** Audio queued in the device ahead of the latest frame when it was written, in ms (if known). */
  readonly queuedMs?: number;
  /** Size of the device's output buffer in ms (if known). */
  readonly bufferMs?: number;
  /**
   * Whether a frame shorter than {@linkcode FRAME_SAMPLES} plays as just that much
   * audio, so the next write is taken that much sooner (a device); a sink that pads
   * short frames or counts whole frames leaves this unset.
   */
  readonly shortFrames?: boolean;
  /** Plays one frame (see `shortFrames`); resolves when the sink can take the next one. */
  write(frame: Int16Array): Promise<void>;
  /** Flushes and releases the device or file (a WAV file is complete afterwards). */
  close(): Promise<void>;
}
