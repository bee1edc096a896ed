/**
 * A small flag parser shared by every command, so they all behave alike:
 * `--name value`, `--name=value`, repeatable flags, boolean switches, and errors that name the
 * flag and what is allowed.
 */
import { ConfigError } from "../core/errors.js";

export interface FlagSpec {
  /** "string" | "number" | "integer" | "boolean"; lists allowed for `repeat: true`. */
  type: "string" | "number" | "integer" | "boolean";
  /** Allowed values for string flags. */
  choices?: readonly string[];
  /** May be given more than once; the value is then an array. */
  repeat?: boolean;
  /** One line for `--help`. */
  help: string;
  /** Shown in help; applied by the command, not by the parser. */
  defaultText?: string;
  /** Other names of the flag (without --); the parsed value is stored under the main name. */
  aliases?: readonly string[];
}

export type FlagSpecs = Record<string, FlagSpec>;
export type ParsedFlags = Record<string, string | number | boolean | Array<string | number>>;

export interface ParsedArgs {
  flags: ParsedFlags;
  positionals: string[];
}

function convert(name: string, spec: FlagSpec, raw: string): string | number {
  if (spec.type === "number" || spec.type === "integer") {
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(v))
      throw new ConfigError(`--${name}`, `expected a number, got "${raw}"`);
    if (spec.type === "integer" && !Number.isInteger(v)) {
      throw new ConfigError(`--${name}`, `expected an integer, got "${raw}"`);
    }
    return v;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new ConfigError(`--${name}`, `"${raw}" is not allowed; allowed: ${spec.choices.join(", ")}`);
  }
  return raw;
}

/** Whether argv asks for help (`-h` or `--help` anywhere before `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "-h" || a === "--help") return true;
  }
  return false;
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const flags: ParsedFlags = {};
  const positionals: string[] = [];
  const byAlias = new Map<string, string>();
  for (const [name, s] of Object.entries(specs)) for (const a of s.aliases ?? []) byAlias.set(a, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h" && specs.help) {
      flags.help = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const given = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const name = byAlias.get(given) ?? given;
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs)
        .map((k) => `--${k}`)
        .join(", ");
      throw new ConfigError(arg, `unknown flag; known: ${known || "(none)"}`);
    }
    let raw: string | undefined;
    if (spec.type === "boolean") {
      if (eq >= 0) {
        const v = arg.slice(eq + 1);
        if (v !== "true" && v !== "false")
          throw new ConfigError(`--${name}`, `expected true or false, got "${v}"`);
        flags[name] = v === "true";
      } else flags[name] = true;
      continue;
    }
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      raw = argv[i + 1];
      if (raw === undefined || (raw.startsWith("--") && raw.length > 2)) {
        throw new ConfigError(`--${name}`, "needs a value");
      }
      i++;
    }
    const value = convert(name, spec, raw);
    if (spec.repeat) {
      const list = (flags[name] as Array<string | number> | undefined) ?? [];
      list.push(value);
      flags[name] = list;
    } else {
      if (name in flags)
        throw new ConfigError(
          `--${name}`,
          `given more than once${spec.aliases?.length ? ` (also as --${spec.aliases.join(", --")})` : ""}`,
        );
      flags[name] = value;
    }
  }
  return { flags, positionals };
}

/** Formats the flag table for a command's `--help`. */
export function formatFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const value = s.type === "boolean" ? "" : s.choices ? ` ${s.choices.join("|")}` : ` <${s.type}>`;
    const left = `  --${name}${value}${s.repeat ? " ..." : ""}`;
    const alias = s.aliases?.length ? ` (also --${s.aliases.join(", --")})` : "";
    const right = s.help + alias + (s.defaultText !== undefined ? ` (default: ${s.defaultText})` : "");
    return [left, right] as const;
  });
  const width = Math.min(36, Math.max(...rows.map(([l]) => l.length)) + 2);
  return rows
    .map(([l, r]) => (l.length >= width ? `${l}\n${" ".repeat(width)}${r}` : l.padEnd(width) + r))
    .join("\n");
}

/**
 * A plain-text table: columns padded to their widest cell, two spaces apart, and a dashed rule
 * under the first row (the header).
 */
export function alignRows(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines;
}

/** A CLI command: a thin shell over a library call. */
export interface Command {
  name: string;
  /** One line for `rldistill --help`. */
  summary: string;
  /**
   * Full usage text for `rldistill <name> --help` (also `-h`, `rldistill help <name>`); `argv`, when
   * given, lets it show what applies to the chosen options (e.g. the preset of `--env`).
   */
  usage(argv?: readonly string[]): string;
  /** Runs the command; returns the process exit code. */
  run(argv: string[]): Promise<number>;
}
