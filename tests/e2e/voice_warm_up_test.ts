import assert from "node:assert/strict";
import { warmUpVoiceCipher } from "../../lib/e2e/voice_warm_up.ts";

Deno.test("the voice cipher's warm-up seals and opens its frames, once per process", () => {
  // It throws when a sealed frame does not open to what was sealed, or its tag fails.
  assert.doesNotThrow(() => warmUpVoiceCipher());
  assert.doesNotThrow(() => warmUpVoiceCipher(), "a second call does nothing");
});
