#!/usr/bin/env node
/**
 * The `rldistill` command: a thin shell over the library. Each command lives in its own file
 * and is loaded only when used, so `rldistill envs` does not pay for loading tfjs.
 */
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RlDistillError } from "../core/errors.js";
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
    "Run `rldistill <command> --help` for the flags of one command.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(mainHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-v") {
    console.log(version());
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`rldistill: unknown command "${name}"; known: ${Object.keys(commands).join(", ")}`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command.run(rest);
  } catch (err) {
    if (err instanceof RlDistillError) {
      console.error(`rldistill ${name}: ${err.message}`);
      return 2;
    }
    throw err;
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
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
