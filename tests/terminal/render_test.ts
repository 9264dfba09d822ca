import assert from "node:assert/strict";
import { renderEvent } from "../../lib/terminal/render.ts";

Deno.test("voice-ready names the devices, and says which one is missing", () => {
  assert.equal(
    renderEvent({ event: "voice-ready", mic: "USB Mic", speaker: "Speakers" }),
    "voice: microphone USB Mic, speaker Speakers",
  );
  assert.equal(
    renderEvent({ event: "voice-ready", mic: null, speaker: "Speakers" }),
    "voice: no microphone (listening only), speaker Speakers",
  );
  assert.equal(
    renderEvent({ event: "voice-ready", mic: "in.wav", speaker: null }),
    "voice: microphone in.wav, no speaker",
  );
  // A device name is shown as text, never as terminal control sequences.
  const line = renderEvent({ event: "voice-ready", mic: "evil\x1b[2J", speaker: null })!;
  assert.ok(!line.includes("\x1b"), JSON.stringify(line));
});
