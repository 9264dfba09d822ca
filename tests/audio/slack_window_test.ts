import assert from "node:assert/strict";
import { SlackWindow } from "../../audio/slack_window.ts";

Deno.test("slack window: least of the last n, undefined while filling, shifted with the depth", () => {
  const w = new SlackWindow(4);
  w.add(30);
  w.add(12);
  assert.equal(w.least(), undefined, "not judged before the window is full");
  assert.equal(w.least(2), 12);
  w.add(25);
  w.add(40);
  assert.equal(w.least(), 12);
  w.add(33); // 30 falls out, then 12
  w.add(28);
  assert.equal(w.least(), 25);
  assert.equal(w.least(2), 28);
  // A skipped frame: every remembered frame would have waited 20 ms less.
  w.shift(-20);
  assert.equal(w.least(), 5);
  w.clear();
  assert.equal(w.least(1), undefined);
});
