// `am-server --io`: what epoll and uring cannot serve is refused in one line that says what to do,
// exit 2, before anything listens (the real server.ts, run as its own process).
import assert from "node:assert/strict";

const SERVER = new URL("../../../server.ts", import.meta.url).pathname;

/** Runs am-server with `perms` and `args` on a free port; its exit code and stderr lines. */
async function amServer(perms: string[], args: string[], port = 0) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...perms,
      SERVER,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--no-web",
      ...args,
    ],
    env: { XDG_STATE_HOME: Deno.makeTempDirSync({ prefix: "am-io-" }) },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, lines: new TextDecoder().decode(out.stderr).trim().split("\n") };
}

const ALL = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi"];

for (
  const { why, perms, args, message } of [
    {
      why: "--io epoll with TLS",
      perms: ALL,
      args: ["--io", "epoll"],
      message: /^am-server: --io epoll serves plain TCP only: add --no-tls/,
    },
    {
      why: "--io epoll without --allow-ffi",
      perms: ALL.filter((p) => p !== "--allow-ffi"),
      args: ["--io", "epoll", "--no-tls"],
      message: /^am-server: --io epoll calls libc through FFI and needs --allow-ffi/,
    },
    {
      why: "--io uring with TLS",
      perms: ALL,
      args: ["--io", "uring"],
      message: /^am-server: --io uring serves plain TCP only: add --no-tls/,
    },
    {
      why: "--io uring without --allow-ffi",
      perms: ALL.filter((p) => p !== "--allow-ffi"),
      args: ["--io", "uring", "--no-tls"],
      message: /^am-server: --io uring calls libc through FFI and needs --allow-ffi/,
    },
    {
      why: "--io kqueue (no such backend)",
      perms: ALL,
      args: ["--io", "kqueue", "--no-tls"],
      message: /^am-server: --io must be one of deno, epoll, uring, not "kqueue"/,
    },
  ]
) {
  Deno.test(`${why}: one line saying what to do, exit 2`, async () => {
    const { code, lines } = await amServer(perms, args);
    assert.equal(code, 2, lines.join("\n"));
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], message);
  });
}

Deno.test("--io epoll on a port in use: the relay's one-line message, exit 2", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const { code, lines } = await amServer(ALL, ["--io", "epoll", "--no-tls"], port);
    assert.equal(code, 2, lines.join("\n"));
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], new RegExp(`^am-server: port ${port} is already in use`));
  } finally {
    taken.close();
  }
});

Deno.test("AM_IO=epoll selects the backend as --io does", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...ALL, SERVER, "--host", "127.0.0.1", "--port", "0", "--no-web", "--no-tls"],
    env: { AM_IO: "epoll", XDG_STATE_HOME: Deno.makeTempDirSync({ prefix: "am-io-" }) },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    text += decoder.decode(chunk);
    if (/ listening .*\n/.test(text)) break;
  }
  child.kill("SIGTERM");
  assert.equal((await child.status).code, 0);
  assert.match(text, / listening address=127\.0\.0\.1:\d+ .*io=epoll/);
});
