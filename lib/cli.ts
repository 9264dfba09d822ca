/**
 * Command-line flags for both executables: `node:util` parseArgs plus the
 * project's conventions: every flag may also come from an `AM_*` environment
 * variable (the flag wins), numbers are range-checked, and mistakes become one
 * {@linkcode UsageError} line instead of a stack trace.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One flag. */
export interface FlagSpec {
  /** Whether the flag takes a value. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Default when neither the flag nor its environment variable is set. */
  default?: string | boolean;
  /** Environment variable that supplies it (flags win). */
  env?: string;
  /** Placeholder for the value in help text. */
  value?: string;
  /** One line for `--help`. */
  help: string;
}

/** A mistake on the command line or in the environment. */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Parsed flags (by name) and positional arguments. */
export interface ParsedCli {
  /** Flag values after defaults and environment. */
  values: Record<string, string | boolean | undefined>;
  /** Arguments that are not flags. */
  positionals: string[];
}

/** Parses `args` against `spec`, filling gaps from `env` and then from defaults. */
export function parseCli(
  spec: Record<string, FlagSpec>,
  args: string[],
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): ParsedCli {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, f] of Object.entries(spec)) {
    options[name] = f.short ? { type: f.type, short: f.short } : { type: f.type };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError(`${(cause as Error).message.split("\n")[0]}; see --help`, { cause });
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, f] of Object.entries(spec)) {
    let v: string | boolean | undefined = parsed.values[name] as string | boolean | undefined;
    if (v === undefined && f.env) {
      const e = env(f.env);
      if (e !== undefined && e !== "") v = f.type === "boolean" ? !/^(0|false|no)$/i.test(e) : e;
    }
    values[name] = v ?? f.default;
  }
  return { values, positionals: parsed.positionals };
}

/** Reads an integer flag value within [min, max]. */
export function intValue(name: string, value: unknown, min: number, max: number): number {
  const s = String(value);
  if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${s}"`);
  }
  return Number(s);
}

/** Reads a flag value that must be one of `choices`. */
export function choiceValue<T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (!choices.includes(value as T)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, not "${value}"`);
  }
  return value as T;
}

/** Help text: usage lines, then one line per flag with its environment variable and default. */
export function formatHelp(usage: string, spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([name, f]) => {
    const flag = `${f.short ? `-${f.short}, ` : "    "}--${name}${f.value ? ` ${f.value}` : ""}`;
    const extra = [
      f.env ? `env ${f.env}` : "",
      f.default !== undefined && f.default !== false ? `default ${f.default}` : "",
    ].filter(Boolean).join(", ");
    return { flag, text: f.help + (extra ? ` (${extra})` : "") };
  });
  const width = Math.max(...rows.map((r) => r.flag.length)) + 2;
  return `${usage}\n\nOptions:\n${
    rows.map((r) => `  ${r.flag.padEnd(width)}${r.text}`).join("\n")
  }\n`;
}
