#!/usr/bin/env node
/**
 * The `rldistill` command: a thin shell over the library. Each command lives in its own file
 * and is loaded only when used, so `rldistill envs` does not pay for loading tfjs.
 */
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RlDistillError } from "../core/errors.js";
import { InterruptedError } from "../core/interrupt.js";
import type { Command } from "./args.js";

type Loader = () => Promise<Command>;

/** Command name -> loader. Order is the order of `--help`. */
export const commands: Record<string, { summary: string; load: Loader }> = {
  quickstart: {
    summary: "distill the shipped CartPole-v1 teacher into a tiny student and show the numbers",
    load: async () => (await import("./quickstart.js")).quickstartCommand,
  },
  envs: {
    summary: "list the registered environments with their spaces",
    load: async () => (await import("./envs.js")).envsCommand,
  },
  train: {
    summary: "train a PPO or DQN teacher (per-env presets, checkpoints, resume)",
    load: async () => (await import("./train.js")).trainCommand,
  },
  distill: {
    summary: "distill one or more teachers into a small student policy",
    load: async () => (await import("./distill.js")).distillCommand,
  },
  search: {
    summary: "find the smallest student that meets a target (architecture search on workers or a queue)",
    load: async () => (await import("./search.js")).searchCommand,
  },
  federated: {
    summary: "federated distillation (FedAvg) over clients with private env variants and local teachers",
    load: async () => (await import("./federated.js")).federatedCommand,
  },
  worker: {
    summary: "run search and federated trials from a BullMQ queue on Redis (rldistill search --queue)",
    load: async () => (await import("./worker.js")).workerCommand,
  },
  eval: {
    summary: "evaluate a policy (and a teacher beside it): returns, agreement, latency, robustness",
    load: async () => (await import("./eval.js")).evalCommand,
  },
  report: {
    summary: "write an HTML report (with charts) and a Markdown summary of run folders",
    load: async () => (await import("./report.js")).reportCommand,
  },
  import: {
    summary: "convert an ONNX model, Stable-Baselines3 .zip or PyTorch state_dict into a checkpoint",
    load: async () => (await import("./import.js")).importCommand,
  },
  export: {
    summary: "export a policy to ONNX or a standalone JavaScript runtime (float32 or int8)",
    load: async () => (await import("./export.js")).exportCommand,
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length)) + 4;
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return [
    "rldistill: distill reinforcement-learning policies into small, fast students.",
    "",
    "Usage: rldistill <command> [flags]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `rldistill <command> --help` (or -h, or `rldistill help <command>`) for the flags of one command.",
  ].join("\n");
}

/** Errno codes of expected I/O failures: reported in one line, exit code 2. */
const IO_ERRORS: Record<string, string> = {
  EEXIST: "already exists",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  ENOENT: "no such file or directory",
  ENOTDIR: "a path component is not a folder",
  EISDIR: "is a folder, not a file",
  EMFILE: "too many open files",
  EIO: "input/output error",
  ENAMETOOLONG: "file name too long",
};

/**
 * Control characters and replacement characters (bytes that did not decode) shown as escapes, so
 * an error about a binary file stays one readable line.
 */
export function printable(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c === 0xfffd) out += "?";
    else if ((c < 0x20 && c !== 0x0a && c !== 0x09) || (c >= 0x7f && c <= 0x9f))
      out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

/**
 * The one top-level error handler: an expected failure (a bad flag or value, an unreadable or
 * corrupt file, a locked run folder, a full disk, a missing permission) becomes one line without a
 * stack trace and exit code 2; Ctrl-C in abortable work exits 130; anything else is a bug: its
 * stack trace is printed and the exit code is 1.
 */
export function reportError(command: string, err: unknown): number {
  const prefix = command ? `rldistill ${command}` : "rldistill";
  if (err instanceof InterruptedError) {
    console.error(`${prefix}: ${err.message}`);
    return 130;
  }
  if (err instanceof RlDistillError) {
    console.error(`${prefix}: ${printable(err.message)}`);
    return 2;
  }
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (e && typeof e.code === "string" && e.code in IO_ERRORS) {
    const what = e.path
      ? `${e.syscall ? `cannot ${e.syscall} ` : ""}${e.path}${e.dest ? ` -> ${e.dest}` : ""}: `
      : "";
    console.error(`${prefix}: ${printable(what)}${IO_ERRORS[e.code]} (${e.code})`);
    return 2;
  }
  console.error(`${prefix}: unexpected error (a bug: please report it with this trace)`);
  console.error(err instanceof Error ? (err.stack ?? String(err)) : String(err));
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || (name === "help" && rest.length === 0)) {
    console.log(mainHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-v") {
    console.log(version());
    return 0;
  }
  const target = name === "help" ? rest[0]! : name;
  const entry = commands[target];
  if (!entry) {
    console.error(`rldistill: unknown command "${target}"; known: ${Object.keys(commands).join(", ")}`);
    return 2;
  }
  try {
    const command = await entry.load();
    if (name === "help") {
      console.log(command.usage(rest.slice(1)));
      return 0;
    }
    return await command.run(rest);
  } catch (err) {
    return reportError(target, err);
  }
}

// Run when executed directly (not when imported by tests).
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  // Blocking stdout/stderr (pipes are asynchronous on POSIX): every line printed reaches the reader
  // even when a second Ctrl-C ends the process with process.exit right after it.
  for (const stream of [process.stdout, process.stderr]) {
    (stream as unknown as { _handle?: { setBlocking?: (b: boolean) => void } })._handle?.setBlocking?.(true);
  }
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.exitCode = reportError("", err);
    },
  );
}
