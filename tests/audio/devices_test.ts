/**
 * Tests of device listing and picking: the rules on a made-up list, then the real
 * list PortAudio gives through the test ALSA config and a private PulseAudio daemon.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type AudioDevice,
  type DeviceList,
  DeviceNotFoundError,
  formatDeviceList,
  listDevices,
  NO_DEVICES_NOTICE,
  pickDevice,
} from "../../audio/devices.ts";
import { AudioUnavailableError } from "../../audio/portaudio_ffi.ts";
import { FIXTURE_ALSA_CONFIG, usePulse } from "../support/pulse_session.ts";

function device(index: number, name: string, ins: number, outs: number): AudioDevice {
  return {
    index,
    name,
    hostApi: "ALSA",
    inputChannels: ins,
    outputChannels: outs,
    defaultSampleRate: 48000,
    lowInputLatency: 0.01,
    lowOutputLatency: 0.01,
    isDefaultInput: index === 2,
    isDefaultOutput: index === 3,
  };
}

const all = [
  device(0, "USB Headset Mic", 1, 0),
  device(1, "USB Headset Speakers", 0, 2),
  device(2, "Built-in Microphone", 2, 0),
  device(3, "Built-in Output", 0, 2),
];
const list: DeviceList = {
  inputs: all.filter((d) => d.inputChannels > 0),
  outputs: all.filter((d) => d.outputChannels > 0),
};

Deno.test("pickDevice: default, index, exact and partial names, case-insensitive", () => {
  assert.equal(pickDevice(undefined, "input", list).index, 2);
  assert.equal(pickDevice("", "output", list).index, 3);
  assert.equal(pickDevice("default", "output", list).index, 3);
  assert.equal(pickDevice(0, "input", list).name, "USB Headset Mic");
  assert.equal(pickDevice("1", "output", list).name, "USB Headset Speakers");
  assert.equal(pickDevice("built-in microphone", "input", list).index, 2);
  assert.equal(pickDevice("SPEAKERS", "output", list).index, 1);
});

Deno.test("pickDevice: clear errors that list what exists", () => {
  assert.throws(() => pickDevice(1, "input", list), (e: Error) => {
    assert.ok(e instanceof DeviceNotFoundError);
    assert.match(e.message, /No input device with index 1/);
    assert.match(e.message, /USB Headset Mic/);
    assert.match(e.message, /Built-in Microphone/);
    return true;
  });
  assert.throws(() => pickDevice("headset", "input", { inputs: all, outputs: [] }), {
    name: "DeviceNotFoundError",
    message: /matches several input devices.*give its index/,
  });
  assert.throws(() => pickDevice("bluetooth", "output", list), {
    name: "DeviceNotFoundError",
    message: /No output device matches "bluetooth".*Built-in Output/s,
  });
  assert.throws(() => pickDevice(undefined, "input", { inputs: [], outputs: list.outputs }), (
    e: Error,
  ) => {
    assert.ok(e instanceof AudioUnavailableError);
    assert.equal(e.message, NO_DEVICES_NOTICE);
    assert.ok(e.cause instanceof Error);
    return true;
  });
});

Deno.test("formatDeviceList: sections, defaults marked, empty list explained", () => {
  const text = formatDeviceList(list);
  assert.match(text, /^Input devices \(microphones\):\n\s+0 {2}USB Headset Mic/);
  assert.match(text, /\* {3}2 {2}Built-in Microphone {2}\(ALSA, 2 ch, 48000 Hz\)/);
  assert.match(text, /Output devices \(speakers\):[^]*\* {3}3 {2}Built-in Output/);
  assert.equal(formatDeviceList({ inputs: [], outputs: [] }), NO_DEVICES_NOTICE);
});

Deno.test("listDevices finds the fixture devices of the test PulseAudio daemon", async () => {
  const pulse = await usePulse();
  // Must precede PortAudio's first load in this process (the list is fixed then).
  Deno.env.set("ALSA_CONFIG_PATH", FIXTURE_ALSA_CONFIG);
  try {
    const real = listDevices();
    console.log(formatDeviceList(real));
    const inputs = real.inputs.map((d) => d.name);
    const outputs = real.outputs.map((d) => d.name);
    for (const name of ["am_mic", "am_spk_monitor", "default"]) assert.ok(inputs.includes(name));
    for (const name of ["am_spk", "default"]) assert.ok(outputs.includes(name));
    assert.equal(pickDevice("am_mic", "input", real).name, "am_mic");
    assert.equal(pickDevice(undefined, "output", real).name, "default");
    assert.ok(real.inputs.every((d) => d.hostApi === "ALSA" && d.defaultSampleRate > 0));
  } finally {
    pulse.stop();
  }
});
