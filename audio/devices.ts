/**
 * The audio devices PortAudio offers, split into inputs and outputs, printed for
 * `am-client --list-devices` and picked by index or by name for `--mic-device` and
 * `--speaker-device`. No devices (say, the sound server is down) is a normal state:
 * the listing says so and voice stays off while text chat goes on.
 *
 * @module
 */

import { AudioUnavailableError, PortAudio } from "./portaudio_ffi.ts";

/** Which way audio flows through a device. */
export type Direction = "input" | "output";

/** One device, as shown to users and used to open streams. */
export interface AudioDevice {
  /** PortAudio device index (fixed for the life of the process). */
  index: number;
  /** Device name. */
  name: string;
  /** Host API name (ALSA, Core Audio, WASAPI, …). */
  hostApi: string;
  /** Input channels (0 for an output-only device). */
  inputChannels: number;
  /** Output channels (0 for an input-only device). */
  outputChannels: number;
  /** The device's native sample rate in Hz. */
  defaultSampleRate: number;
  /** Suggested low input latency in seconds. */
  lowInputLatency: number;
  /** Suggested low output latency in seconds. */
  lowOutputLatency: number;
  /** Whether this is the system's default input device. */
  isDefaultInput: boolean;
  /** Whether this is the system's default output device. */
  isDefaultOutput: boolean;
}

/** All devices, split by direction (a duplex device appears in both lists). */
export interface DeviceList {
  /** Devices that can capture. */
  inputs: AudioDevice[];
  /** Devices that can play. */
  outputs: AudioDevice[];
}

/** No device matches what the user asked for; the message lists what exists. */
export class DeviceNotFoundError extends Error {
  override name = "DeviceNotFoundError";
}

/** Lists PortAudio's devices (throws `AudioUnavailableError` if PortAudio is missing). */
export function listDevices(pa: PortAudio = PortAudio.load()): DeviceList {
  const defIn = pa.defaultInputDevice();
  const defOut = pa.defaultOutputDevice();
  const all: AudioDevice[] = [];
  for (let i = 0; i < pa.deviceCount(); i++) {
    const d = pa.deviceInfo(i);
    all.push({
      index: i,
      name: d.name,
      hostApi: d.hostApi,
      inputChannels: d.maxInputChannels,
      outputChannels: d.maxOutputChannels,
      defaultSampleRate: d.defaultSampleRate,
      lowInputLatency: d.defaultLowInputLatency,
      lowOutputLatency: d.defaultLowOutputLatency,
      isDefaultInput: i === defIn,
      isDefaultOutput: i === defOut,
    });
  }
  return {
    inputs: all.filter((d) => d.inputChannels > 0),
    outputs: all.filter((d) => d.outputChannels > 0),
  };
}

/** What to tell users when there is nothing to list. */
export const NO_DEVICES_NOTICE = "No audio devices found: is the sound server (e.g. PulseAudio) " +
  "running? Text chat works without them; voice needs an input and an output device.";

function line(d: AudioDevice, direction: Direction): string {
  const isDefault = direction === "input" ? d.isDefaultInput : d.isDefaultOutput;
  const channels = direction === "input" ? d.inputChannels : d.outputChannels;
  return `${isDefault ? "*" : " "} ${String(d.index).padStart(3)}  ${d.name}  ` +
    `(${d.hostApi}, ${channels} ch, ${d.defaultSampleRate} Hz)`;
}

/** Formats the list for `am-client --list-devices` (`*` marks the defaults). */
export function formatDeviceList(list: DeviceList): string {
  if (list.inputs.length === 0 && list.outputs.length === 0) return NO_DEVICES_NOTICE;
  const section = (
    title: string,
    devices: AudioDevice[],
    direction: Direction,
  ) => [`${title}:`, ...(devices.length ? devices.map((d) => line(d, direction)) : ["    (none)"])];
  return [
    ...section("Input devices (microphones)", list.inputs, "input"),
    ...section("Output devices (speakers)", list.outputs, "output"),
    "(* = default; choose one by index or by part of its name)",
  ].join("\n");
}

/**
 * Picks a device by index (`"3"` or `3`), by case-insensitive name or unique part of
 * one, or the default when `spec` is empty, undefined or `"default"` and no device is
 * literally named so. Throws {@linkcode DeviceNotFoundError} listing the choices, or
 * `AudioUnavailableError` when there is no device of that direction at all.
 */
export function pickDevice(
  spec: string | number | undefined,
  direction: Direction,
  list: DeviceList = listDevices(),
): AudioDevice {
  const devices = direction === "input" ? list.inputs : list.outputs;
  const choices = () =>
    `Available ${direction} devices:\n${devices.map((d) => line(d, direction)).join("\n")}`;
  if (devices.length === 0) {
    throw new AudioUnavailableError(NO_DEVICES_NOTICE, {
      cause: new Error(
        `PortAudio lists ${list.inputs.length} input and ` +
          `${list.outputs.length} output devices; none can be the ${direction}.`,
      ),
    });
  }
  const text = spec === undefined ? "" : String(spec).trim();
  if (/^\d+$/.test(text)) {
    const found = devices.find((d) => d.index === Number(text));
    if (found) return found;
    throw new DeviceNotFoundError(`No ${direction} device with index ${text}. ${choices()}`);
  }
  const wanted = text.toLowerCase();
  const exact = devices.find((d) => d.name.toLowerCase() === wanted);
  if (exact) return exact;
  if (wanted === "" || wanted === "default") {
    const def = devices.find((d) => direction === "input" ? d.isDefaultInput : d.isDefaultOutput);
    return def ?? devices[0];
  }
  const partial = devices.filter((d) => d.name.toLowerCase().includes(wanted));
  if (partial.length === 1) return partial[0];
  if (partial.length > 1) {
    throw new DeviceNotFoundError(
      `"${text}" matches several ${direction} devices (${
        partial.map((d) => `${d.index}: ${d.name}`).join(", ")
      }); give its index or a longer part of its name.`,
    );
  }
  throw new DeviceNotFoundError(`No ${direction} device matches "${text}". ${choices()}`);
}
