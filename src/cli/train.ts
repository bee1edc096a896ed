/**
 * `rldistill train`: trains a PPO or DQN teacher in a run folder. A thin shell over `trainRun`
 * (src/rl/run.ts): flags, --config and --set become one config layer over the per-env preset.
 *
 * Layers, later winning: CleanRL defaults < presets/<algo>.json[env] < --config FILE.json < --set.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeSchema, parseAssignment } from "../core/config.js";
import { ConfigError, describeValue } from "../core/errors.js";
import { ALGORITHMS, isAlgoName } from "../rl/algos.js";
import { trainRun } from "../rl/run.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs } from "./args.js";

const flags: FlagSpecs = {
  algo: { type: "string", choices: Object.keys(ALGORITHMS), help: "algorithm" },
  env: { type: "string", help: "env id, e.g. CartPole-v1 (see `rldistill envs`)" },
  timesteps: { type: "integer", help: "total env steps", defaultText: "the preset's budget" },
  seed: { type: "integer", help: "seed of the whole run", defaultText: "0" },
  out: { type: "string", help: "run folder", defaultText: "runs/<algo>-<env>-s<seed>" },
  config: { type: "string", help: "JSON file of config fields (e.g. a previous run's config.json)" },
  set: { type: "string", repeat: true, help: "one config field, key=value (see the lists below)" },
  "no-preset": { type: "boolean", help: "ignore presets/<algo>.json (CleanRL defaults)" },
  resume: { type: "string", help: "continue the run in this folder from its model.rldistill" },
  "eval-freq": {
    type: "integer",
    help: "evaluate every N steps and keep best_model; 0 = off",
    defaultText: "10000",
  },
  "eval-episodes": { type: "integer", help: "episodes per periodic evaluation", defaultText: "10" },
  "final-eval-episodes": {
    type: "integer",
    help: "episodes of the final evaluation (summary.json)",
    defaultText: "100",
  },
  "stop-on-reward": { type: "number", help: "stop once a periodic evaluation reaches this mean return" },
  "checkpoint-freq": { type: "integer", help: "save checkpoints/ every N steps; 0 = off", defaultText: "0" },
  "no-training-state": {
    type: "boolean",
    help: "save models without Adam/target-network state (3x smaller)",
  },
  progress: { type: "boolean", help: "progress bar (only when stdout is a terminal)" },
  quiet: { type: "boolean", help: "no log table, only the summary" },
  "no-report": { type: "boolean", help: "do not write report.html / report.md into the run folder" },
  help: { type: "boolean", help: "show this help" },
};

function readConfigFile(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError("--config", `cannot read ${path} as JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(
      "--config",
      `${path} must hold a JSON object of config fields, got ${describeValue(value)}`,
    );
  }
  // A previous run's config.json nests the fields under "config".
  const obj = value as Record<string, unknown>;
  return typeof obj.config === "object" && obj.config !== null && "algo" in obj
    ? (obj.config as Record<string, unknown>)
    : obj;
}

function usage(): string {
  return [
    "Usage: rldistill train --algo ppo|dqn|sac|td3 --env ID [--timesteps N] [--seed S] [--out DIR]",
    "                       [--config FILE.json] [--set key=value ...] [--resume DIR]",
    "                       [--eval-freq N] [--eval-episodes N]",
    "",
    "Trains a teacher with the per-env preset of presets/<algo>.json (CleanRL's defaults where",
    "there is none). The run folder gets model.rldistill, best_model.rldistill, progress.jsonl,",
    "progress.csv, config.json, summary.json and report.html. Ctrl-C saves the model and stops; --resume DIR",
    "continues from it (step counter, optimizer and statistics carry on).",
    "",
    formatFlags(flags),
    "",
    "PPO config fields (--set):",
    describeSchema(ALGORITHMS.ppo.schema),
    "",
    "DQN config fields (--set):",
    describeSchema(ALGORITHMS.dqn.schema),
  ].join("\n");
}

export const trainCommand: Command = {
  name: "train",
  summary: "train a PPO or DQN teacher (per-env presets, checkpoints, resume)",
  usage,
  async run(argv) {
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (f.help) {
      console.log(usage());
      return 0;
    }
    if (positionals.length > 0) throw new ConfigError("train", `unexpected argument "${positionals[0]}"`);
    const resume = f.resume as string | undefined;
    const algo = f.algo as string | undefined;
    if (!resume && !algo)
      throw new ConfigError("--algo", `required; allowed: ${Object.keys(ALGORITHMS).join(", ")}`);
    if (!resume && !f.env)
      throw new ConfigError("--env", "required, e.g. CartPole-v1 (see `rldistill envs`)");
    const config: Record<string, unknown> = f.config ? readConfigFile(f.config as string) : {};
    const sets = (f.set as string[] | undefined) ?? [];
    if (sets.length > 0) {
      if (!isAlgoName(algo))
        throw new ConfigError("--set", "needs --algo (the fields depend on the algorithm)");
      for (const a of sets) {
        const [key, value] = parseAssignment(ALGORITHMS[algo].schema, a, algo);
        config[key] = value;
      }
    }
    const seed = f.seed as number | undefined;
    const out = (f.out as string | undefined) ?? (resume ? undefined : `runs/${algo}-${f.env}-s${seed ?? 0}`);
    const summary = await trainRun({
      algo,
      env: f.env as string | undefined,
      timesteps: f.timesteps as number | undefined,
      seed,
      out,
      config,
      noPreset: f["no-preset"] === true,
      resume,
      evalFreq: f["eval-freq"] as number | undefined,
      evalEpisodes: f["eval-episodes"] as number | undefined,
      finalEvalEpisodes: f["final-eval-episodes"] as number | undefined,
      checkpointFreq: f["checkpoint-freq"] as number | undefined,
      stopOnReward: f["stop-on-reward"] as number | undefined,
      trainingState: f["no-training-state"] !== true,
      verbose: f.quiet !== true,
      progressBar: f.progress === true,
      handleSignals: true,
      command: ["rldistill", "train", ...argv].join(" "),
    });
    const dir = out ?? resume!;
    if (summary.interrupted) {
      console.log(`interrupted at step ${summary.num_timesteps}; model saved in ${dir}`);
      console.log(`continue with: rldistill train --resume ${dir}`);
      return 130;
    }
    const ev = summary.eval;
    const best = summary.best_eval;
    console.log(
      [
        `${summary.algo} on ${summary.env}: ${summary.num_timesteps} steps in ${summary.wall_s.toFixed(1)} s (${Math.round(summary.sps)} steps/s), ${summary.params} parameters`,
        ev
          ? `final model: mean return ${ev.mean_return.toFixed(2)} +- ${ev.std_return.toFixed(2)} over ${ev.episodes} episodes`
          : "",
        best?.mean_return !== undefined
          ? `best model (step ${best.step}): mean return ${best.mean_return.toFixed(2)} +- ${best.std_return!.toFixed(2)}`
          : "",
        `run folder: ${dir}`,
      ]
        .filter((l) => l)
        .join("\n"),
    );
    if (f["no-report"] !== true) {
      const { writeReport } = await import("../report/write.js");
      const { html } = writeReport([dir], join(dir, "report.html"), {
        title: `rldistill train: ${summary.env}`,
      });
      console.log(`report:     ${html}`);
    }
    return 0;
  },
};
