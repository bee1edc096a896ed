/**
 * `rldistill train`: trains a PPO or DQN teacher in a run folder. A thin shell over `trainRun`
 * (src/rl/run.ts): flags, --config and --set become one config layer over the per-env preset.
 *
 * Layers, later winning: CleanRL defaults < presets/<algo>.json[env] < --config FILE.json < --set.
 */
import { describeSchema, parseAssignment } from "../core/config.js";
import { ConfigError } from "../core/errors.js";
import { onInterrupt } from "../core/interrupt.js";
import { loadPreset, readPresetTable } from "../core/presets.js";
import { ALGORITHMS, type AlgoName, isAlgoName, readSavedAgent } from "../rl/algos.js";
import { trainRun } from "../rl/run.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs, wantsHelp } from "./args.js";
import { readConfigFile, writeRunReport } from "./common.js";

const flags: FlagSpecs = {
  algo: { type: "string", choices: Object.keys(ALGORITHMS), help: "algorithm" },
  env: { type: "string", help: "env id, e.g. CartPole-v1 (see `rldistill envs`)" },
  timesteps: {
    type: "integer",
    aliases: ["steps"],
    help: "total env steps (the step budget, as SB3's total_timesteps)",
    defaultText: "the preset's budget",
  },
  seed: { type: "integer", help: "seed of the whole run", defaultText: "0" },
  out: { type: "string", help: "run folder", defaultText: "runs/<algo>-<env>-s<seed>" },
  overwrite: {
    type: "boolean",
    help: "empty --out first if it holds an earlier run (else such a folder is refused)",
  },
  resume: {
    type: "string",
    help: "continue the run in this folder (its settings come back; flags given again override them and are recorded)",
  },
  "init-from": {
    type: "string",
    help: "a new run continuing this saved agent (e.g. DIR/model.rldistill): its weights, optimizer, step counter and config, with --set/--config changing training fields; --timesteps counts the steps beyond its own",
  },
  config: { type: "string", help: "JSON file of config fields (e.g. a previous run's config.json)" },
  set: { type: "string", repeat: true, help: "one config field, key=value (see the lists below)" },
  "no-preset": { type: "boolean", help: "ignore presets/<algo>.json (CleanRL defaults)" },
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
  quiet: { type: "boolean", help: "no log table, only the summary (kept by --resume)" },
  "no-report": {
    type: "boolean",
    help: "do not write report.html / report.md into the run folder (kept by --resume)",
  },
  help: { type: "boolean", help: "show this help (-h)" },
};

function requiredOut(): never {
  throw new ConfigError("--out", "required with --init-from (a new run folder)");
}

/** A previous run's config.json nests the fields under "config". */
function configLayer(path: string): Record<string, unknown> {
  const obj = readConfigFile(path);
  return typeof obj.config === "object" && obj.config !== null && "algo" in obj
    ? (obj.config as Record<string, unknown>)
    : obj;
}

/** The fields of each algorithm, with the values the chosen env's preset sets beside the defaults. */
function fieldLists(algo: string | undefined, env: string | undefined): string[] {
  const algos = isAlgoName(algo) ? [algo] : (Object.keys(ALGORITHMS) as AlgoName[]);
  const out: string[] = [];
  for (const a of algos) {
    const schema = ALGORITHMS[a].schema;
    let preset: Record<string, unknown> = {};
    let note = "";
    if (env) {
      try {
        const p = loadPreset(a, env, schema);
        preset = p.totalTimesteps ? { ...p.config, totalTimesteps: p.totalTimesteps } : p.config;
        note = Object.keys(preset).length
          ? ` (the ${env} preset of presets/${a}.json sets the values marked "${env} preset"${p.totalTimesteps ? `; budget ${p.totalTimesteps} steps` : ""})`
          : ` (presets/${a}.json has no ${env} entry: CleanRL defaults)`;
      } catch (err) {
        note = ` (the ${env} preset does not load: ${(err as Error).message})`;
      }
    } else {
      const envs = Object.keys(readPresetTable(a)).filter((k) => k !== "_comment");
      note = envs.length
        ? ` (presets for ${envs.join(", ")}: add --env ID to --help to see the values used)`
        : "";
    }
    out.push(
      "",
      `${a.toUpperCase()} config fields (--set)${note}:`,
      describeSchema(schema, preset, `${env} preset`),
    );
  }
  return out;
}

function usage(argv: readonly string[] = []): string {
  let f: Record<string, unknown> = {};
  try {
    f = parseArgs(argv, flags).flags;
  } catch {
    // Help is shown whatever else is wrong with the line.
  }
  return [
    "Usage: rldistill train --algo ppo|dqn|sac|td3 --env ID [--timesteps N] [--seed S] [--out DIR] [--overwrite]",
    "                       [--config FILE.json] [--set key=value ...] [--resume DIR]",
    "       rldistill train --init-from MODEL.rldistill --timesteps N --out DIR [--set key=value ...]",
    "",
    "Trains a teacher with the per-env preset of presets/<algo>.json (CleanRL's defaults where",
    "there is none). The run folder gets model.rldistill, best_model.rldistill, progress.jsonl,",
    "progress.csv, config.json, summary.json and report.html; a folder holding an earlier run needs",
    "--resume or --overwrite. Ctrl-C saves the model and stops (Ctrl-C twice: exit at once); --resume",
    "DIR continues from it (step counter, optimizer, statistics and settings carry on). To continue",
    "a model with changed training fields (SB3's load with custom_objects, e.g. --set entCoef=0 to",
    "fine-tune a teacher without the entropy bonus), start a new run with --init-from MODEL.",
    "",
    formatFlags(flags),
    ...fieldLists(f.algo as string | undefined, f.env as string | undefined),
  ].join("\n");
}

export const trainCommand: Command = {
  name: "train",
  summary: "train a PPO or DQN teacher (per-env presets, checkpoints, resume)",
  usage,
  async run(argv) {
    if (wantsHelp(argv)) {
      console.log(usage(argv));
      return 0;
    }
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (positionals.length > 0)
      throw new ConfigError("train", `unexpected argument "${positionals[0]}"; flags start with --`);
    const resume = f.resume as string | undefined;
    const initFrom = f["init-from"] as string | undefined;
    if (resume && initFrom) throw new ConfigError("--init-from", "cannot be combined with --resume");
    // With --init-from the algo and env are the saved agent's (given flags must agree with them).
    const algo =
      (f.algo as string | undefined) ?? (initFrom ? readSavedAgent(initFrom, "--init-from").algo : undefined);
    if (!resume && !algo)
      throw new ConfigError("--algo", `required; allowed: ${Object.keys(ALGORITHMS).join(", ")}`);
    if (!resume && !initFrom && !f.env)
      throw new ConfigError("--env", "required, e.g. CartPole-v1 (see `rldistill envs`)");
    const config: Record<string, unknown> = f.config ? configLayer(f.config as string) : {};
    const sets = (f.set as string[] | undefined) ?? [];
    if (sets.length > 0) {
      if (resume)
        throw new ConfigError(
          "--set",
          "a resumed run keeps its saved config; to change it, start a new run with --init-from DIR/model.rldistill",
        );
      if (!isAlgoName(algo))
        throw new ConfigError("--set", "needs --algo (the fields depend on the algorithm)");
      for (const a of sets) {
        const [key, value] = parseAssignment(ALGORITHMS[algo].schema, a, algo);
        config[key] = value;
      }
    }
    const seed = f.seed as number | undefined;
    const out =
      (f.out as string | undefined) ??
      (resume ? undefined : initFrom ? requiredOut() : `runs/${algo}-${f.env}-s${seed ?? 0}`);
    const quiet = f.quiet === true;
    const stop = onInterrupt({
      message: "\nrldistill train: interrupted; saving the model (Ctrl-C again to quit at once)",
    });
    let summary: Awaited<ReturnType<typeof trainRun>>;
    let report: string | undefined;
    try {
      summary = await trainRun({
        algo,
        env: f.env as string | undefined,
        timesteps: f.timesteps as number | undefined,
        seed,
        out,
        overwrite: f.overwrite === true,
        config,
        noPreset: f["no-preset"] === true,
        resume,
        initFrom,
        evalFreq: f["eval-freq"] as number | undefined,
        evalEpisodes: f["eval-episodes"] as number | undefined,
        finalEvalEpisodes: f["final-eval-episodes"] as number | undefined,
        checkpointFreq: f["checkpoint-freq"] as number | undefined,
        stopOnReward: f["stop-on-reward"] as number | undefined,
        trainingState: f["no-training-state"] === true ? false : undefined,
        // Given only when set, so that a resume without them keeps the run's own choice.
        verbose: quiet ? false : undefined,
        report: f["no-report"] === true ? false : undefined,
        progressBar: f.progress === true,
        signal: stop.signal,
        print: (l) => console.log(l),
        command: ["rldistill", "train", ...argv].join(" "),
        onFinish: async (folder, s, settings) => {
          if (settings.report) report = await writeRunReport(folder, `rldistill train: ${s.env}`);
        },
      });
    } finally {
      stop.dispose();
    }
    const dir = out ?? resume!;
    const lines: string[] = [];
    if (summary.interrupted) {
      lines.push(
        summary.num_timesteps >= summary.timesteps
          ? `interrupted during the final evaluation; training is complete and the model saved in ${dir}`
          : `interrupted at step ${summary.num_timesteps}; model saved in ${dir}`,
        `continue with: rldistill train --resume ${dir}`,
      );
    } else {
      const ev = summary.eval;
      const best = summary.best_eval;
      const from = summary.init_from;
      const steps = from
        ? `${summary.num_timesteps - from.step} steps (${from.step} -> ${summary.num_timesteps}, from ${from.file})`
        : `${summary.num_timesteps} steps`;
      lines.push(
        `${summary.algo} on ${summary.env}: ${steps} in ${summary.wall_s.toFixed(1)} s (${Math.round(summary.sps)} steps/s), ${summary.params} parameters`,
      );
      if (ev)
        lines.push(
          `final model: mean return ${ev.mean_return.toFixed(2)} +- ${ev.std_return.toFixed(2)} over ${ev.episodes} episodes`,
        );
      if (best?.mean_return !== undefined)
        lines.push(
          `best model (step ${best.step}): mean return ${best.mean_return.toFixed(2)} +- ${best.std_return!.toFixed(2)}`,
        );
      lines.push(`run folder: ${dir}`);
    }
    if (report) lines.push(`report:     ${report}`);
    for (const l of lines) console.log(l);
    return summary.interrupted ? 130 : 0;
  },
};
