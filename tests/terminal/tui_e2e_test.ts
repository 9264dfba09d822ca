// The full-screen terminal UI end to end: the real client in a real terminal
// (tmux), against a real relay process, with real peers. Screens are read with
// capture-pane (plain, and with -e for the styling) and polled until the
// expected text shows.
import assert from "node:assert/strict";
import { ClientProcess, RelayProcess } from "../support/harness.ts";
import { synthWav } from "../support/pulse_session.ts";
import { TmuxClient } from "../support/tmux.ts";
import { nickColour } from "../../lib/terminal/style.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const rows = (screen: string) => screen.replace(/\n$/, "").split("\n");
const statusRow = (screen: string) => rows(screen).at(-2)!;

/** The SGR codes in force right before `text` in a captured line (tmux may merge sequences). */
function codesBefore(line: string, text: string): Set<number> {
  let head = line.slice(0, line.indexOf(text));
  const codes = new Set<number>();
  // deno-lint-ignore no-control-regex
  for (let m; (m = /\x1b\[([0-9;]*)m$/.exec(head)); head = head.slice(0, m.index)) {
    for (const c of m[1].split(";")) codes.add(Number(c));
  }
  return codes;
}

Deno.test(
  "terminal UI: own text pending until the relay is back, then plain; mentions stand out and ring",
  opts,
  async () => {
    const relay = await RelayProcess.start();
    const tui = await TmuxClient.start({ port: relay.port, nick: "alice" });
    const bob = ClientProcess.start(relay.port, { nick: "bob" });
    try {
      await tui.waitFor("joined [lobby] as alice");
      await bob.ready();
      await tui.waitFor((s) => statusRow(s).includes("connected │ [lobby] 2 here"), "2 here");

      // Delivered at once: shown with a time, no pending mark once acknowledged.
      await tui.line("first words");
      await bob.waitFor((e) => e.event === "text" && e.text === "first words", "bob gets it");
      const shown = await tui.waitFor(
        /\d\d:\d\d <alice> first words\n/.test.bind(
          /\d\d:\d\d <alice> first words\n/,
        ),
        "own line",
      );
      assert.ok(!shown.includes("(sending…)"), shown);

      // No relay: the text stays on screen, marked pending, until a relay takes it.
      await relay.stop();
      await tui.waitFor((s) => /reconnecting in \d+ s/.test(statusRow(s)), "reconnecting");
      await tui.line("while the relay is away");
      await tui.waitFor("<alice> while the relay is away (sending…)", "pending mark");
      await tui.waitFor((s) => statusRow(s).includes("1 sending"), "pending count");
      const again = await RelayProcess.start([], relay.port);
      try {
        await bob.waitFor(
          (e) => e.event === "text" && e.text === "while the relay is away",
          "the pending text arrives after the reconnect",
          60_000,
        );
        const after = await tui.waitFor(
          (s) => s.includes("<alice> while the relay is away\n") && !s.includes("(sending…)"),
          "pending mark gone once acknowledged",
          60_000,
        );
        assert.ok(!statusRow(after).includes("sending"), after);

        // A mention: highlighted (bold, reverse) and the terminal bell rings.
        await tui.rawOutput();
        await bob.send("hey alice, look at this");
        const styled = await tui.waitFor(
          "hey alice, look at this",
          "mention",
          30_000,
          true,
        );
        const line = styled.split("\n").find((l) => l.includes("hey alice, look"))!;
        const mention = codesBefore(line, "hey alice, look");
        assert.ok(mention.has(1) && mention.has(7), `bold, reverse: ${JSON.stringify(line)}`);
        assert.ok(codesBefore(line, "bob").has(nickColour("bob")), `bob's colour: ${line}`);
        const own = styled.split("\n").find((l) => l.includes("first words"))!;
        const ownNick = codesBefore(own, "alice");
        assert.ok(ownNick.has(1) && ownNick.has(nickColour("alice")), `own nick bold: ${own}`);
        await tui.waitForRaw("\x07", "the bell a mention rings");

        // /me is sealed like any text and shown as an action on both sides.
        await tui.line("/me waves");
        const me = await bob.waitFor((e) => e.event === "text" && e.text === "waves", "action");
        assert.equal(me.event === "text" && me.action, true);
        await tui.waitFor("* alice waves\n", "own action");
        await bob.send("/me nods");
        await tui.waitFor("* bob nods", "peer action");

        await tui.line("/quit");
        await tui.waitFor("am-client exited with 0", "clean exit");
        const end = await tui.screen();
        assert.ok(!end.includes("[lobby] 2 here"), `main screen restored: ${end}`);
      } finally {
        await bob.kill();
        await again.stop();
      }
    } finally {
      await tui.kill();
      await relay.stop();
    }
  },
);

Deno.test(
  "terminal UI: status line shows a talker, then own level meter and talk time; follows a resize",
  opts,
  async () => {
    const dir = await Deno.makeTempDir();
    const tone = await synthWav(`${dir}/tone.wav`, "6", "sine", "440", "vol", "0.5");
    const relay = await RelayProcess.start();
    const tui = await TmuxClient.start({
      port: relay.port,
      nick: "alice",
      args: ["--mic", tone, "--speaker", `${dir}/heard.wav`],
    });
    const bob = ClientProcess.start(relay.port, { nick: "bob", args: ["--mic", tone] });
    try {
      await tui.waitFor("joined [lobby] as alice");
      await bob.ready();
      await bob.send("[audio]");
      const talking = await tui.waitFor(
        (s) => statusRow(s).includes("bob talking"),
        "bob on the status line",
      );
      assert.match(
        statusRow(talking),
        /127\.0\.0\.1:\d+ connected │ \[lobby\] 2 here │ bob talking/,
      );
      await tui.waitFor((s) => !statusRow(s).includes("bob talking"), "bob done", 60_000);

      await tui.keys("C-t");
      const own = await tui.waitFor(
        (s) => /● [▮▯]{8} 0:0[1-9]/.test(statusRow(s)),
        "own level meter and talk time of a second or more",
      );
      assert.ok(statusRow(own).includes("alice talking"), statusRow(own));
      await tui.type("typed while talking");
      const typing = await tui.waitFor("> typed while talking");
      assert.equal(rows(typing).at(-1), "> typed while talking", "the input line is intact");

      await tui.resize(60, 20);
      const small = await tui.waitFor(
        (s) => rows(s).length === 20 && statusRow(s).includes("[lobby] 2 here"),
        "the status line on the last-but-one row of 20",
      );
      assert.ok(rows(small).every((r) => [...r].length <= 60), small);
      assert.equal(rows(small).at(-1), "> typed while talking");
      await tui.resize(100, 30);
      await tui.waitFor((s) => rows(s).length === 30 && statusRow(s).includes("2 here"), "grown");
      await tui.keys("C-u", "C-d");
      await tui.waitFor("am-client exited with 0", "clean exit on Ctrl-D");
    } finally {
      await bob.kill();
      await tui.kill();
      await relay.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "terminal UI: /join another room and back; a taken nick keeps the old one",
  opts,
  async () => {
    const relay = await RelayProcess.start();
    const tui = await TmuxClient.start({ port: relay.port, nick: "alice" });
    const bob = ClientProcess.start(relay.port, { nick: "bob", room: "other" });
    try {
      await tui.waitFor("joined [lobby] as alice");
      await bob.ready();
      await tui.line("/join other");
      await tui.waitFor((s) => statusRow(s).includes("[other] 2 here"), "in other");
      await bob.send("welcome to other");
      await tui.waitFor("<bob> welcome to other", "a text of the new room, opened");

      await tui.line("/nick bob");
      await tui.waitFor("you are still alice in [other]", "nick taken");
      await tui.line("still me");
      const e = await bob.waitFor((e) => e.event === "text" && e.text === "still me", "text");
      assert.equal(e.event === "text" && e.from, "alice");

      // Tab completes commands and nicks.
      await tui.type("/jo");
      await tui.keys("Tab");
      await tui.waitFor((s) => rows(s).at(-1) === "> /join", "command completed");
      await tui.keys("C-u");
      await tui.type("b");
      await tui.keys("Tab");
      await tui.waitFor((s) => rows(s).at(-1) === "> bob:", "nick completed");
      await tui.keys("C-u");

      await tui.line("/join lobby");
      await tui.waitFor((s) => statusRow(s).includes("[lobby] 1 here"), "back in lobby");
      await bob.waitFor((e) => e.event === "left" && e.nick === "alice", "alice left other");

      await tui.line("/clear");
      await tui.waitFor((s) => !s.includes("welcome to other"), "cleared");
      await tui.line("/help");
      const help = await tui.waitFor("PageUp/PageDown", "help");
      for (const c of ["/me", "/nick", "/join", "/clear", "Tab"]) assert.ok(help.includes(c), c);
      await tui.keys("C-c");
      await tui.waitFor("am-client exited with 0", "clean exit on Ctrl-C");
    } finally {
      await bob.kill();
      await tui.kill();
      await relay.stop();
    }
  },
);

Deno.test("terminal UI: NO_COLOR turns every style off", opts, async () => {
  const relay = await RelayProcess.start();
  const tui = await TmuxClient.start({ port: relay.port, nick: "alice", noColor: true });
  const bob = ClientProcess.start(relay.port, { nick: "bob" });
  try {
    // Both in the room before bob speaks: a text sent before alice joined is not hers.
    await tui.waitFor("joined [lobby] as alice");
    await bob.ready();
    await tui.waitFor((s) => statusRow(s).includes("connected │ [lobby] 2 here"), "2 here");
    await bob.send("alice: plain please");
    const styled = await tui.waitFor("<bob> alice: plain please", "mention", 30_000, true);
    assert.ok(!styled.includes("\x1b"), `no escape sequence: ${JSON.stringify(styled)}`);
    assert.match(statusRow(styled), /connected │ \[lobby\] 2 here/);
  } finally {
    await bob.kill();
    await tui.kill();
    await relay.stop();
  }
});
