/**
 * The three servers under test and how the benchmark configures them: our relay
 * (`server.ts` with its per-connection limits raised by flags), ngircd and
 * InspIRCd (configs written here, bound to 127.0.0.1 only, flood throttling
 * lifted as far as each allows). Each call builds the spec of one fresh process.
 *
 * @module
 */

import { RELAY_RUN_ARGS } from "../tests/support/harness.ts";
import type { ServerSpec } from "./proc.ts";

/** Which server a benchmark drives. */
export type ServerKind = "am" | "ngircd" | "inspircd";

/** Flags that lift our relay's defaults (text 10/s burst 20, 64 per IP, 10000 clients). */
export const AM_BENCH_FLAGS = [
  "--max-clients",
  "100000",
  "--max-per-ip",
  "100000",
  "--text-rate",
  "1000000000",
  "--text-burst",
  "1000000000",
  "--idle-timeout",
  "3600000",
];

/**
 * Our relay on `port`; `extra` flags go last (e.g. `--duplex full`). It serves
 * plain TCP unless `extra` gives it a certificate (bench/bench_tls.ts). It reads
 * the `AM_*` variables of the benchmark's environment like any flag:
 * `AM_IO=epoll` measures the epoll socket I/O (docs/EPOLL.md).
 */
export function amSpec(
  port: number,
  core: number | string | null,
  extra: string[] = [],
): ServerSpec {
  return {
    name: "am-server",
    port,
    core,
    cmd: [
      Deno.execPath(),
      ...RELAY_RUN_ARGS,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      ...AM_BENCH_FLAGS,
      ...(extra.includes("--tls-cert") ? [] : ["--no-tls"]),
      ...extra,
    ],
  };
}

/** ngircd's config: loopback only, no DNS/ident/PAM, no connection limits, penalties off. */
export function ngircdConfig(port: number, dir: string): string {
  return `# Written by bench/servers.ts for one benchmark run.
[Global]
  Name = bench.ngircd.local
  Info = Audio Messenger benchmark
  Listen = 127.0.0.1
  Ports = ${port}
  MotdPhrase = bench
  AdminInfo1 = benchmark
  AdminInfo2 = loopback
  AdminEMail = bench@localhost
[Limits]
  MaxConnections = 0
  MaxConnectionsIP = 0
  MaxJoins = 0
  MaxPenaltyTime = 0
  PingTimeout = 3600
  PongTimeout = 3600
[Options]
  DNS = no
  Ident = no
  PAM = no
  IncludeDir = ${dir}/ngircd.conf.d
`;
}

/** ngircd on `port`, config in `dir` (written by this call). */
export function ngircdSpec(port: number, core: number | null, dir: string): ServerSpec {
  Deno.mkdirSync(`${dir}/ngircd.conf.d`, { recursive: true });
  const conf = `${dir}/ngircd-${port}.conf`;
  Deno.writeTextFileSync(conf, ngircdConfig(port, dir));
  return { name: "ngircd", port, core, cmd: ["ngircd", "--nodaemon", "--config", conf] };
}

/**
 * InspIRCd 3's config: loopback bind, no DNS or ident lookups, clone limits off,
 * command-rate throttling lifted (`threshold`/`commandrate` huge, `fakelag="no"`),
 * send queues raised to 16 MiB.
 */
export function inspircdConfig(port: number, dir: string): string {
  return `# Written by bench/servers.ts for one benchmark run.
<server name="bench.inspircd.local" description="Audio Messenger benchmark" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="${port}" type="clients">
<connect name="bench" allow="127.0.0.1" timeout="60" pingfreq="3600"
         hardsendq="16777216" softsendq="16777216" recvq="16777216"
         threshold="1000000000" commandrate="1000000000" fakelag="no"
         localmax="1000000" globalmax="1000000" maxconnwarn="no" limit="1000000"
         resolvehostnames="no" useident="no" maxchans="20">
<performance somaxconn="4096" softlimit="100000" clonesonconnect="no" quietbursts="yes">
<dns server="127.0.0.1" timeout="1">
<pid file="${dir}/inspircd-${port}.pid">
<files motd="${dir}/motd.txt">
<channels users="20" opers="60">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes">
<security hideserver="" userstats="Pu" customversion="" flatlinks="no" maxtargets="20">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxquit="255"
        maxtopic="307" maxkick="255" maxgecos="128" maxaway="200">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default"
     target="${dir}/inspircd-${port}.log">
`;
}

/** InspIRCd on `port`, config in `dir` (written by this call). */
export function inspircdSpec(port: number, core: number | null, dir: string): ServerSpec {
  const conf = `${dir}/inspircd-${port}.conf`;
  Deno.writeTextFileSync(`${dir}/motd.txt`, "bench\n");
  Deno.writeTextFileSync(conf, inspircdConfig(port, dir));
  return {
    name: "inspircd",
    port,
    core,
    cmd: ["inspircd", "--runasroot", "--nofork", `--config=${conf}`],
  };
}

/** The spec of a fresh process of `kind`; `dir` holds IRC configs. */
export function serverSpec(
  kind: ServerKind,
  port: number,
  core: number | null,
  dir: string,
  extra: string[] = [],
): ServerSpec {
  if (kind === "am") return amSpec(port, core, extra);
  if (kind === "ngircd") return ngircdSpec(port, core, dir);
  return inspircdSpec(port, core, dir);
}

/** Version line of each server, for the report. */
export async function serverVersions(): Promise<Record<string, string>> {
  const run = async (cmd: string, args: string[]) => {
    try {
      const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      return text.split("\n").find((l) => l.trim() !== "")?.trim() ?? "unknown";
    } catch {
      return "not installed";
    }
  };
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    ngircd: await run("ngircd", ["--version"]),
    inspircd: await run("inspircd", ["--version"]),
  };
}
