// The capture processor of web/voice_worklet.js, run in Deno: the worklet's
// global scope (AudioWorkletProcessor with its port, registerProcessor) is a
// stand-in here, since only a browser's audio thread has the real one; the
// processor's own code runs unchanged. Firefox hands a render quantum of a
// stream without audio as an input with no channels: such quanta must still
// make frames (silence, marked), or the page's talk loop waits forever.
import assert from "node:assert/strict";

type Posted = Int16Array | { empty: Int16Array };
interface Processor {
  process(inputs: Float32Array[][]): boolean;
}

const posted: Posted[] = [];
const processors = new Map<string, new () => Processor>();
Object.assign(globalThis, {
  AudioWorkletProcessor: class {
    port = { postMessage: (m: Posted) => posted.push(m), onmessage: null };
  },
  registerProcessor: (name: string, ctor: new () => Processor) => processors.set(name, ctor),
});
await import("../../web/voice_worklet.js");

const QUANTUM = 128;
/** Quanta that make `frames` frames of 960 samples (7.5 quanta each). */
const quantaFor = (frames: number) => frames * 960 / QUANTUM;

Deno.test("capture worklet: a stream without audio still yields a frame per 20 ms, marked empty", () => {
  posted.length = 0;
  const capture = new (processors.get("am-capture")!)();
  for (let i = 0; i < quantaFor(2); i++) assert.equal(capture.process([[]]), true);
  assert.equal(posted.length, 2);
  for (const m of posted) {
    assert.ok(
      !(m instanceof Int16Array) && m.empty.length === 960 && m.empty.every((s) => s === 0),
    );
  }
});

Deno.test("capture worklet: sound makes plain frames; a frame with a quantum of no audio is marked", () => {
  posted.length = 0;
  const capture = new (processors.get("am-capture")!)();
  const tone = new Float32Array(QUANTUM).fill(0.5);
  for (let i = 0; i < quantaFor(2); i++) capture.process([[tone]]);
  assert.equal(posted.length, 2);
  assert.ok(posted.every((m) => m instanceof Int16Array && m[0] === Math.round(0.5 * 32767)));
  // One quantum without audio in the third frame: that frame is marked, the next is not.
  posted.length = 0;
  capture.process([[]]);
  for (let i = 1; i < quantaFor(2); i++) capture.process([[tone]]);
  assert.equal(posted.length, 2);
  assert.ok(!(posted[0] instanceof Int16Array));
  assert.ok(posted[1] instanceof Int16Array);
});
