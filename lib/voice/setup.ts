/**
 * Opens what the voice side plays from and to, from the client's flags: a WAV
 * file stands in for a device when the name ends in `.wav`; otherwise
 * PortAudio opens a device by index or name (loaded only here, so text-only
 * use never touches the sound system). Anything missing becomes one notice and
 * text chat goes on. With a microphone or speaker open (a WAV file is paced in real
 * time like a device), the process asks for a higher scheduling priority (see
 * audio/priority.ts), quietly keeping its own if refused.
 *
 * @module
 */

import type { AudioSink, AudioSource } from "../../audio/audio_io.ts";
import type { ChatClient } from "../client/chat_client.ts";
import type { VoiceControl } from "../client/app.ts";
import { VoiceController } from "./session.ts";
import { levelBar } from "../terminal/level_meter.ts";

/** Voice flags of the client. */
export interface VoiceFlags {
  /** `--mic`: a WAV file or a device; undefined for the default device. */
  mic?: string;
  /** `--speaker`: a WAV file or a device; undefined for the default device. */
  speaker?: string;
  /** Open the default devices when no flag names one (true on a terminal). */
  defaultDevices: boolean;
  /** `--vad-threshold`. */
  vadThreshold: number;
  /** `--vad-hangover-ms`. */
  vadHangoverMs: number;
  /** The echo bot replays what it hears. */
  echo: boolean;
}

const isWav = (name: string | undefined): name is string => !!name && /\.wav$/i.test(name);
const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Opens the microphone the flags ask for; null (with a notice) when there is none. */
async function openSource(f: VoiceFlags, notice: (m: string) => void): Promise<AudioSource | null> {
  if (isWav(f.mic)) {
    const { WavFileSource } = await import("../../audio/wav_file_io.ts");
    return await WavFileSource.open(f.mic);
  }
  if (f.mic === undefined && !f.defaultDevices) return null;
  try {
    const { PortAudioSource } = await import("../../audio/portaudio_io.ts");
    return new PortAudioSource({ device: f.mic });
  } catch (err) {
    notice(`no microphone: ${reason(err)}`);
    return null;
  }
}

/** Opens the speaker the flags ask for; null (with a notice) when there is none. */
async function openSink(f: VoiceFlags, notice: (m: string) => void): Promise<AudioSink | null> {
  if (isWav(f.speaker)) {
    const { WavFileSink } = await import("../../audio/wav_file_io.ts");
    return await WavFileSink.create(f.speaker);
  }
  if (f.speaker === undefined && !f.defaultDevices) return null;
  try {
    const { PortAudioSink } = await import("../../audio/portaudio_io.ts");
    // One frame of cushion: the jitter buffer already absorbs network jitter, and the
    // playout loop writes every 20 ms whether or not anyone talks, so the device never
    // starts from empty; more cushion would only add latency.
    return new PortAudioSink({ device: f.speaker, prefillFrames: 1 });
  } catch (err) {
    notice(`no speaker: ${reason(err)}`);
    return null;
  }
}

/** Builds the voice side, or returns null (after a notice) when neither end exists. */
export async function openVoice(
  client: ChatClient,
  f: VoiceFlags,
  notice: (message: string) => void,
  setStatus: (status: string | null) => void,
): Promise<VoiceControl | null> {
  const problems: string[] = [];
  const source = await openSource(f, (m) => problems.push(m));
  const sink = await openSink(f, (m) => problems.push(m));
  if (!source && !sink) {
    // One notice, not one per device: the cause is usually the same.
    const causes = [...new Set(problems.map((p) => p.replace(/^no (microphone|speaker): /, "")))];
    if (causes.length) notice(`voice is off: ${causes.join("; ")}`);
    if (!f.echo) return null;
  } else for (const p of problems) notice(p);
  if (source || sink) {
    const { raiseAudioPriority } = await import("../../audio/priority.ts");
    raiseAudioPriority();
  }
  const voice = new VoiceController(client, {
    source,
    sink,
    vadThreshold: f.vadThreshold,
    vadHangoverMs: f.vadHangoverMs,
    echo: f.echo,
    onLevel: (peak) => setStatus(peak === null ? null : levelBar(peak)),
    notice,
  });
  await voice.warmedUp;
  return voice;
}

/** Prints the audio devices, or why there are none; returns the exit code. */
export async function listAudioDevices(): Promise<number> {
  try {
    const { listDevices, formatDeviceList } = await import("../../audio/devices.ts");
    console.log(formatDeviceList(listDevices()));
    return 0;
  } catch (err) {
    console.error(`am-client: ${reason(err)}`);
    return 1;
  }
}
