/// <reference lib="dom" />
/**
 * The browser client's page: a join form, then the transcript, the member
 * list and the message field. Everything end to end runs in the page through
 * the terminal client's own code (lib/client/chat_client.ts over lib/e2e/),
 * bundled into web/app.js by scripts/build_web.sh; the relay only forwards
 * frames over the WebSocket. The passphrase is read from the form into
 * memory: it never goes into the URL, storage or any request.
 *
 * @module
 */

import { ChatClient } from "../client/chat_client.ts";
import type { ClientEvent } from "../client/events.ts";
import { openWebSocket } from "../websocket_conn.ts";
import { clock, type LineKind, lineOf } from "./event_lines.ts";
import { loadStoredIdentity } from "./identity_store.ts";
import { MemberMarks, runLine } from "./safety.ts";
import { PageVoice } from "./voice.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const joinForm = $<HTMLFormElement>("join");
const joinStatus = $("join-status");
const chat = $("chat");
const status = $("status");
const transcript = $("transcript");
const members = $("members");
const sayForm = $<HTMLFormElement>("say");
const message = $<HTMLInputElement>("message");
const nickField = $<HTMLInputElement>("nick");
const roomField = $<HTMLInputElement>("room");
const passField = $<HTMLInputElement>("passphrase");

roomField.value = new URLSearchParams(location.search).get("room") ?? "";
(roomField.value ? nickField : roomField).focus();

const voice = new PageVoice();

/** Own messages by number, to mark them sent when the relay acknowledges them. */
const pending = new Map<number, HTMLElement>();
const marks = new MemberMarks(members);

function addLine(ts: number, text: string, kind: LineKind): HTMLElement {
  const li = document.createElement("li");
  li.className = kind;
  const time = document.createElement("time");
  time.dateTime = new Date(ts).toISOString();
  time.textContent = clock(ts);
  li.append(time, " ", text);
  const atBottom = transcript.scrollTop + transcript.clientHeight >= transcript.scrollHeight - 4;
  transcript.append(li);
  if (atBottom) transcript.scrollTop = transcript.scrollHeight;
  return li;
}

function setMembers(nicks: string[]): void {
  members.replaceChildren(...nicks.map((nick) => {
    const li = document.createElement("li");
    li.dataset.nick = nick;
    li.textContent = nick;
    return li;
  }));
  marks.refresh();
}

function member(nick: string): HTMLElement | undefined {
  return [...members.children].find((li) => (li as HTMLElement).dataset.nick === nick) as
    | HTMLElement
    | undefined;
}

function onEvent(e: ClientEvent): void {
  const extra = marks.onEvent(e);
  if (extra) addLine(Date.now(), extra, "system");
  voice.onEvent(e);
  switch (e.event) {
    case "ready":
      setMembers(e.members);
      status.textContent = `${e.nick} in ${e.room}`;
      break;
    case "joined":
      if (!member(e.nick)) {
        setMembers([...[...members.children].map((li) => li.textContent!), e.nick]);
      }
      break;
    case "left":
      member(e.nick)?.remove();
      break;
    case "talk-start":
    case "talk-end":
      member(e.nick)?.classList.toggle("talking", e.event === "talk-start");
      break;
    case "sent": {
      const li = addLine(e.ts, `<${e.nick}> ${e.text}`, "own");
      li.classList.add("pending");
      li.setAttribute("aria-label", "pending");
      pending.set(e.n, li);
      return;
    }
    case "acked": {
      const li = pending.get(e.n);
      pending.delete(e.n);
      li?.classList.remove("pending");
      li?.setAttribute("aria-label", "sent");
      return;
    }
    case "who":
      setMembers(e.members);
      return;
  }
  const line = lineOf(e);
  if (line) addLine(e.event === "text" ? e.ts : Date.now(), line.text, line.kind);
}

async function join(nick: string, room: string, passphrase: string): Promise<void> {
  const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  const stored = await loadStoredIdentity();
  if (stored.warning) addLine(Date.now(), stored.warning, "error");
  const client = await ChatClient.create({
    addresses: [{ hostname: location.hostname, port: Number(location.port) }],
    nick,
    room,
    passphrase,
    identity: stored.identity,
    knownMembers: stored.known,
    onEvent,
    onVoice: voice.receive,
    connect: async () => (await openWebSocket(wsUrl)) as unknown as Deno.Conn,
  });
  await client.start();
  client.who(); // brings the members' trust marks
  await voice.attach(client);
  sayForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    runLine(client, marks, message.value.trim(), (text, kind) => addLine(Date.now(), text, kind));
    message.value = "";
  });
  globalThis.addEventListener("pagehide", () => {
    void voice.close();
    void client.close();
  });
}

joinForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const nick = nickField.value.trim();
  const room = roomField.value.trim();
  const passphrase = passField.value;
  // Out of the form at once: nothing later (autofill, history) finds it there.
  passField.value = "";
  joinStatus.textContent = "deriving the room key and joining…";
  joinForm.querySelector("button")!.disabled = true;
  try {
    chat.hidden = false;
    await join(nick, room, passphrase);
    joinForm.hidden = true;
    message.focus();
  } catch (err) {
    chat.hidden = true;
    transcript.replaceChildren();
    joinForm.querySelector("button")!.disabled = false;
    joinStatus.textContent = `could not join: ${(err as Error).message}`;
  }
});
