/**
 * One training run in a folder, as rl-baselines3-zoo's `train.py` does it: the per-env preset,
 * config layers, logs, periodic evaluation keeping the best model, checkpoints, a final
 * evaluation and a summary. `rldistill train` is a thin shell over `trainRun`.
 *
 *   const summary = await trainRun({ algo: "ppo", env: "CartPole-v1", timesteps: 100_000, seed: 1, out: "runs/cp" });
 *
 * The folder holds: config.json (resolved config), progress.jsonl / progress.csv, model.rldistill
 * (final), best_model.rldistill (with evaluation), checkpoints/ (with checkpointFreq) and
 * summary.json. With `handleSignals`, SIGINT stops training at the next step, saves the model
 * (DQN: with its replay buffer) and returns `interrupted: true`; `resume` continues it: the step
 * counter, optimizer, generators and statistics carry on from the file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../core/config.js";
import { ConfigError, describeValue } from "../core/errors.js";
import { ConsoleWriter, CsvWriter, JsonlWriter, Logger, type LogWriter } from "../core/logger.js";
import { loadPreset } from "../core/presets.js";
import { prepareEnv } from "../envs/registry.js";
import { evaluatePolicy } from "../eval/evaluate.js";
import type { Algorithm } from "./algorithm.js";
import { MODEL_EXTENSION } from "./algorithm.js";
import { ALGORITHMS, isAlgoName } from "./algos.js";
import {
  type BaseCallback,
  CheckpointCallback,
  EvalCallback,
  ProgressBar,
  StopTrainingOnRewardThreshold,
  StopTrainingWhen,
} from "./callbacks.js";

export interface TrainRunOptions {
  /** "ppo" or "dqn". Taken from the run folder when resuming. */
  algo?: string;
  /** Env id. Taken from the run folder when resuming. */
  env?: string;
  /** Total env steps. Default: the preset's `totalTimesteps` (or the resumed run's target). */
  timesteps?: number;
  /** Default 0. */
  seed?: number;
  /** Run folder. Default: `resume` when resuming. */
  out?: string;
  /** Config fields over the preset (what --config and --set give). */
  config?: Record<string, unknown>;
  /** Skip presets/<algo>.json. Default false. */
  noPreset?: boolean;
  /** A run folder to continue from its model.rldistill. */
  resume?: string;
  /** Evaluate every N env steps and keep best_model; 0 disables. Default 10_000. */
  evalFreq?: number;
  /**
   * Stop training once a periodic evaluation reaches this mean return (SB3's
   * StopTrainingOnRewardThreshold on EvalCallback); needs evalFreq > 0. Default: never.
   */
  stopOnReward?: number;
  /** Episodes per periodic evaluation. Default 10. */
  evalEpisodes?: number;
  /** Episodes of the final evaluation in summary.json. Default 100 (the solved-threshold convention). */
  finalEvalEpisodes?: number;
  /** Save checkpoints/rl_model_<steps>_steps every N env steps; 0 disables. Default 0. */
  checkpointFreq?: number;
  /** Print the log table at each dump. Default true. */
  verbose?: boolean;
  /** Progress bar when stdout is a terminal. Default false. */
  progressBar?: boolean;
  /** On SIGINT, stop, save and return. Default false (the CLI turns it on). */
  handleSignals?: boolean;
  /**
   * Keep the training state (Adam moments, DQN target network) in model.rldistill and
   * best_model.rldistill. Default true; false makes files about 3x smaller (shipped teachers).
   * An interrupted run always keeps it.
   */
  trainingState?: boolean;
  /** Recorded in config.json (e.g. the command line). */
  command?: string;
}

export interface EvalSummary {
  mean_return: number;
  std_return: number;
  episodes: number;
  iqm: number;
  success_rate: number | null;
}

export interface TrainSummary {
  algo: string;
  env: string;
  /** Target number of env steps. */
  timesteps: number;
  /** Env steps actually taken (less than `timesteps` when interrupted or stopped by a callback). */
  num_timesteps: number;
  seed: number;
  /** Env steps per second of this invocation's training (evaluations included, final evaluation not). */
  sps: number;
  /** Wall time of this invocation's training, seconds. */
  wall_s: number;
  params: number;
  /** Final model, `finalEvalEpisodes` greedy episodes (absent when interrupted). */
  eval?: EvalSummary;
  /** Best model kept by the periodic evaluation (step, its periodic score), re-evaluated like the final one. */
  best_eval?: { step: number; periodic_mean_return: number } & Partial<EvalSummary>;
  interrupted: boolean;
  resumed_from_step?: number;
  model: string;
  best_model?: string;
}

const MODEL_FILE = `model${MODEL_EXTENSION}`;
const BEST_FILE = `best_model${MODEL_EXTENSION}`;

interface SavedRun {
  algo: string;
  env: string;
  seed: number;
  timesteps: number;
  config: Record<string, unknown>;
}

function readJson(path: string, field: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(field, `cannot read ${path}: ${(err as Error).message}`);
  }
}

function checkCount(field: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!(Number.isInteger(v) && v >= min))
    throw new ConfigError(field, `expected an integer >= ${min}, got ${describeValue(v)}`);
  return v;
}

function summarise(r: ReturnType<typeof evaluatePolicy>): EvalSummary {
  return {
    mean_return: r.meanReturn,
    std_return: r.stdReturn,
    episodes: r.episodes,
    iqm: r.iqm,
    success_rate: r.successRate,
  };
}

export async function trainRun(opts: TrainRunOptions): Promise<TrainSummary> {
  const evalFreq = checkCount("evalFreq", opts.evalFreq, 10_000, 0);
  const evalEpisodes = checkCount("evalEpisodes", opts.evalEpisodes, 10, 1);
  const finalEpisodes = checkCount("finalEvalEpisodes", opts.finalEvalEpisodes, 100, 0);
  const checkpointFreq = checkCount("checkpointFreq", opts.checkpointFreq, 0, 0);

  let run: SavedRun;
  let model: Algorithm<object>;
  let out: string;
  const resumed = opts.resume !== undefined;
  if (opts.resume !== undefined) {
    const saved = readJson(join(opts.resume, "config.json"), "resume") as unknown as SavedRun;
    for (const [field, given, kept] of [
      ["algo", opts.algo, saved.algo],
      ["env", opts.env, saved.env],
      ["seed", opts.seed, saved.seed],
    ] as const) {
      if (given !== undefined && given !== kept) {
        throw new ConfigError(
          field,
          `${describeValue(given)} differs from the resumed run's ${describeValue(kept)}`,
        );
      }
    }
    if (opts.config && Object.keys(opts.config).length > 0) {
      throw new ConfigError("config", "a resumed run keeps its saved config; start a new run to change it");
    }
    const file = join(opts.resume, MODEL_FILE);
    if (!existsSync(file)) throw new ConfigError("resume", `${file} does not exist; nothing to resume`);
    if (!isAlgoName(saved.algo))
      throw new ConfigError("resume", `config.json names an unknown algo ${describeValue(saved.algo)}`);
    await prepareEnv(saved.env);
    model = ALGORITHMS[saved.algo].load(file);
    run = { ...saved, timesteps: checkCount("timesteps", opts.timesteps, saved.timesteps, 1) };
    out = opts.out ?? opts.resume;
  } else {
    if (!isAlgoName(opts.algo)) {
      throw new ConfigError(
        "algo",
        `${describeValue(opts.algo)} is not allowed; allowed: ${Object.keys(ALGORITHMS).join(", ")}`,
      );
    }
    if (typeof opts.env !== "string")
      throw new ConfigError("env", "required, e.g. CartPole-v1 (see `rldistill envs`)");
    if (opts.out === undefined) throw new ConfigError("out", "required: the run folder");
    const entry = ALGORITHMS[opts.algo];
    const preset = opts.noPreset ? { config: {} } : loadPreset(opts.algo, opts.env, entry.schema);
    const config = resolveConfig(entry.schema, { ...preset.config, ...(opts.config ?? {}) }, opts.algo);
    const timesteps = opts.timesteps ?? preset.totalTimesteps;
    if (timesteps === undefined)
      throw new ConfigError("timesteps", `required: presets/${opts.algo}.json has no budget for ${opts.env}`);
    run = {
      algo: opts.algo,
      env: opts.env,
      seed: opts.seed ?? 0,
      timesteps: checkCount("timesteps", timesteps, 0, 1),
      config,
    };
    await prepareEnv(run.env);
    model = entry.create({ env: run.env, seed: run.seed, ...config });
    out = opts.out;
  }

  model.saveTrainingState = opts.trainingState ?? true;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "config.json"), `${JSON.stringify({ ...run, command: opts.command }, null, 2)}\n`);
  const writers: LogWriter[] = [
    new JsonlWriter(join(out, "progress.jsonl"), { append: resumed }),
    new CsvWriter(join(out, "progress.csv"), { append: resumed }),
  ];
  if (opts.verbose ?? true) writers.push(new ConsoleWriter());
  const logger = new Logger(writers);

  let interrupted = false;
  const callbacks: BaseCallback[] = [new StopTrainingWhen(() => interrupted)];
  const evalCallback =
    evalFreq > 0
      ? new EvalCallback({
          evalFreq,
          nEvalEpisodes: evalEpisodes,
          bestModelSavePath: out,
          extension: MODEL_EXTENSION,
          seed: 1_000_000 + run.seed,
          callbackOnNewBest:
            opts.stopOnReward === undefined
              ? undefined
              : new StopTrainingOnRewardThreshold({
                  rewardThreshold: opts.stopOnReward,
                  verbose: opts.verbose ?? true,
                }),
        })
      : undefined;
  if (opts.stopOnReward !== undefined && !evalCallback) {
    throw new ConfigError("stopOnReward", "needs periodic evaluation (evalFreq > 0)");
  }
  const previous =
    resumed && existsSync(join(out, "summary.json"))
      ? readJson(join(out, "summary.json"), "resume")
      : undefined;
  const previousBest = previous?.["best_eval"] as TrainSummary["best_eval"] | undefined;
  if (evalCallback && previousBest) {
    evalCallback.bestMeanReward = previousBest.periodic_mean_return;
    evalCallback.bestModelPath = join(out, BEST_FILE);
  }
  if (evalCallback) callbacks.push(evalCallback);
  if (checkpointFreq > 0) {
    callbacks.push(
      new CheckpointCallback({
        saveFreq: checkpointFreq,
        savePath: join(out, "checkpoints"),
        extension: MODEL_EXTENSION,
      }),
    );
  }
  if (opts.progressBar) callbacks.push(new ProgressBar());

  const onSignal = () => {
    if (!interrupted) console.error(`\nrldistill train: interrupted; saving ${join(out, MODEL_FILE)}`);
    interrupted = true;
  };
  if (opts.handleSignals) process.on("SIGINT", onSignal);
  const startStep = model.numTimesteps;
  const t0 = performance.now();
  try {
    const remaining = run.timesteps - model.numTimesteps;
    if (remaining > 0)
      await model.learn({ totalTimesteps: remaining, resetNumTimesteps: !resumed, callbacks, logger });
  } finally {
    if (opts.handleSignals) process.off("SIGINT", onSignal);
    logger.close();
  }
  const wall = (performance.now() - t0) / 1000;
  model.close();
  await model.save(
    join(out, MODEL_FILE),
    interrupted ? { includeReplayBuffer: true, includeTrainingState: true } : {},
  );

  const summary: TrainSummary = {
    algo: run.algo,
    env: run.env,
    timesteps: run.timesteps,
    num_timesteps: model.numTimesteps,
    seed: run.seed,
    sps: wall > 0 ? (model.numTimesteps - startStep) / wall : 0,
    wall_s: wall,
    params: model.paramCount(),
    interrupted,
    model: MODEL_FILE,
  };
  if (resumed) summary.resumed_from_step = startStep;
  const evalSeed = 2_000_000 + run.seed;
  if (!interrupted && finalEpisodes > 0) {
    summary.eval = summarise(evaluatePolicy(model, run.env, { episodes: finalEpisodes, seed: evalSeed }));
  }
  const bestPath = evalCallback?.bestModelPath;
  if (evalCallback && bestPath && existsSync(bestPath)) {
    summary.best_model = BEST_FILE;
    const best = evalCallback.evaluations.find((e) => e.result.meanReturn === evalCallback.bestMeanReward);
    summary.best_eval = {
      step: best?.step ?? previousBest?.step ?? 0,
      periodic_mean_return: evalCallback.bestMeanReward,
    };
    if (!interrupted && finalEpisodes > 0) {
      const bestModel = ALGORITHMS[run.algo as keyof typeof ALGORITHMS].load(bestPath);
      Object.assign(
        summary.best_eval,
        summarise(evaluatePolicy(bestModel, run.env, { episodes: finalEpisodes, seed: evalSeed })),
      );
    }
  }
  writeFileSync(join(out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
