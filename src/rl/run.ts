/**
 * One training run in a folder, as rl-baselines3-zoo's `train.py` does it: the per-env preset,
 * config layers, logs, periodic evaluation keeping the best model, checkpoints, a final
 * evaluation and a summary. `rldistill train` is a thin shell over `trainRun`.
 *
 *   const summary = await trainRun({ algo: "ppo", env: "CartPole-v1", timesteps: 100_000, seed: 1, out: "runs/cp" });
 *
 * The folder (owned through src/core/run-dir.ts: locked while the run writes, every file written
 * atomically) holds: config.json (resolved config and run settings), progress.jsonl /
 * progress.csv, model.rldistill (final), best_model.rldistill (with evaluation), checkpoints/
 * (with checkpointFreq) and summary.json. A folder that already holds files needs `resume` or
 * `overwrite`. Everything is validated before the folder is touched.
 *
 * With `signal` (the CLI aborts it at Ctrl-C), training stops at the next step, the model is saved
 * (DQN: with its replay buffer) and the summary says `interrupted: true`; `resume` continues it
 * with exact bookkeeping (see run-resume.ts).
 */
import { join } from "node:path";
import { resolveConfig } from "../core/config.js";
import { ConfigError, describeValue } from "../core/errors.js";
import { InterruptedError } from "../core/interrupt.js";
import { ConsoleWriter, CsvWriter, JsonlWriter, Logger, type LogWriter } from "../core/logger.js";
import { loadPreset } from "../core/presets.js";
import { openRunFolder, type RunFolder } from "../core/run-dir.js";
import { prepareEnv } from "../envs/registry.js";
import { describeNetwork } from "../eval/describe.js";
import { evaluatePolicyAsync } from "../eval/evaluate.js";
import { MODEL_EXTENSION } from "./agent-file.js";
import type { Algorithm } from "./algorithm.js";
import { ALGORITHMS, isAlgoName, readSavedAgent } from "./algos.js";
import {
  type BaseCallback,
  CheckpointCallback,
  EvalCallback,
  ProgressBar,
  StopTrainingOnRewardThreshold,
  StopTrainingWhen,
} from "./callbacks.js";
import {
  BEST_FILE,
  CHECKPOINT_DIR,
  checkCount,
  checkSameIdentity,
  DEFAULT_SETTINGS,
  MODEL_FILE,
  type Prepared,
  prepareResume,
  type RunSettings,
  type SavedRun,
  SETTING_KEYS,
} from "./run-resume.js";

export interface TrainRunOptions extends Partial<Omit<RunSettings, "stopOnReward">> {
  /** "ppo" or "dqn". Taken from the run folder when resuming. */
  algo?: string;
  /** Env id. Taken from the run folder when resuming. */
  env?: string;
  /** Total env steps. Default: the preset's `totalTimesteps` (or the resumed run's target). */
  timesteps?: number;
  /** Default 0. */
  seed?: number;
  /** Run folder (required unless resuming). */
  out?: string;
  /** Config fields over the preset (what --config and --set give). */
  config?: Record<string, unknown>;
  /** Skip presets/<algo>.json. Default false. */
  noPreset?: boolean;
  /** A run folder to continue (its settings come back from config.json unless given here). */
  resume?: string;
  /**
   * A saved agent (model.rldistill with its training state, or a shipped teacher) whose training a
   * new run continues in `out`, as SB3's `load(path, custom_objects=...)` then
   * `learn(N, reset_num_timesteps=False)`: weights, optimizer (when saved), generators and step
   * counter carry on, `config` changes training fields (e.g. entCoef, learningRate; not the
   * networks), the learning-rate schedule continues, and `timesteps` counts the steps beyond the
   * agent's own. Algo, env and seed are the agent's.
   */
  initFrom?: string;
  /** Empty `out` first when it holds an earlier run. Default false (such a folder is refused). */
  overwrite?: boolean;
  /**
   * Stop once a periodic evaluation reaches this mean return (SB3's StopTrainingOnRewardThreshold
   * on EvalCallback); needs evalFreq > 0. Default: never.
   */
  stopOnReward?: number | null;
  /** Progress bar when stdout is a terminal. Default false. */
  progressBar?: boolean;
  /** Aborted = stop, save and return `interrupted: true` (the CLI aborts it at Ctrl-C). */
  signal?: AbortSignal;
  /** Lines for the user: what was built, notes about the folder. Default: none. */
  print?: (line: string) => void;
  /** Recorded in config.json (e.g. the command line). */
  command?: string;
  /**
   * Called after summary.json is written, while the folder is still locked, with the run's
   * settings as resolved (the CLI writes the report when `settings.report`).
   */
  onFinish?: (folder: RunFolder, summary: TrainSummary, settings: RunSettings) => void | Promise<void>;
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
  /** num_timesteps / wall_s: cumulative over resumes (evaluations during training included). */
  sps: number;
  /** Wall time of training over the whole run (resumes included), seconds; the final evaluation is not in it. */
  wall_s: number;
  params: number;
  /** Final model, `finalEvalEpisodes` greedy episodes (absent when interrupted). */
  eval?: EvalSummary;
  /** Best model kept by the periodic evaluation (step, its periodic score), re-evaluated like the final one. */
  best_eval?: { step: number; periodic_mean_return: number } & Partial<EvalSummary>;
  /** True when Ctrl-C stopped training or the final evaluation. */
  interrupted: boolean;
  resumed_from_step?: number;
  /** With `initFrom`: the agent file and the step its training continued from. */
  init_from?: { file: string; step: number };
  model: string;
  best_model?: string;
}

function summarise(r: Awaited<ReturnType<typeof evaluatePolicyAsync>>): EvalSummary {
  return {
    mean_return: r.meanReturn,
    std_return: r.stdReturn,
    episodes: r.episodes,
    iqm: r.iqm,
    success_rate: r.successRate,
  };
}

/** Settings given in `opts` (undefined = not given). */
function givenSettings(opts: TrainRunOptions): Partial<RunSettings> {
  const out: Partial<RunSettings> = {};
  for (const k of SETTING_KEYS) if (opts[k] !== undefined) (out as Record<string, unknown>)[k] = opts[k];
  checkCount("evalFreq", out.evalFreq, 0);
  checkCount("evalEpisodes", out.evalEpisodes, 1);
  checkCount("finalEvalEpisodes", out.finalEvalEpisodes, 0);
  checkCount("checkpointFreq", out.checkpointFreq, 0);
  if (out.stopOnReward !== undefined && out.stopOnReward !== null && !Number.isFinite(out.stopOnReward))
    throw new ConfigError("stopOnReward", `expected a finite number, got ${describeValue(out.stopOnReward)}`);
  return out;
}

/** A new run: everything validated (config, env, model) before the folder is opened. */
async function prepareNew(opts: TrainRunOptions, settings: RunSettings): Promise<Prepared> {
  if (opts.initFrom !== undefined) return prepareFromAgent(opts, opts.initFrom, settings);
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
  checkCount("timesteps", timesteps, 1);
  const run: SavedRun = {
    algo: opts.algo,
    env: opts.env,
    seed: opts.seed ?? 0,
    timesteps,
    config,
    settings,
    command: opts.command,
  };
  await prepareEnv(run.env); // e.g. loads MuJoCo
  const model = entry.create({ env: run.env, seed: run.seed, ...config });
  const folder = openRunFolder(opts.out, {
    mode: opts.overwrite ? "overwrite" : "new",
    command: opts.command,
  });
  return { run, model, folder };
}

/** A new run continuing a saved agent's training (`initFrom`). */
async function prepareFromAgent(
  opts: TrainRunOptions,
  file: string,
  settings: RunSettings,
): Promise<Prepared> {
  if (opts.out === undefined) throw new ConfigError("out", "required: the run folder");
  if (opts.noPreset)
    throw new ConfigError("noPreset", "does not apply with initFrom (the agent's config is used)");
  const { algo, artifact } = readSavedAgent(file, "initFrom");
  const kept = artifact.config as { env?: unknown; seed?: unknown };
  const saved = { algo, env: String(kept.env), seed: Number(kept.seed ?? 0) };
  checkSameIdentity(opts, saved, `${file}'s`, " (initFrom continues that agent)");
  if (opts.timesteps === undefined)
    throw new ConfigError(
      "timesteps",
      "required with initFrom: the env steps to train beyond the agent's own",
    );
  checkCount("timesteps", opts.timesteps, 1);
  await prepareEnv(saved.env); // e.g. loads MuJoCo
  const model = ALGORITHMS[algo].load(file, opts.config ?? {});
  const initFrom = { file, step: model.numTimesteps, trainingSeconds: model.trainingSeconds };
  const run: SavedRun = {
    ...saved,
    timesteps: model.numTimesteps + opts.timesteps,
    config: { ...model.config },
    settings,
    command: opts.command,
    initFrom,
  };
  const folder = openRunFolder(opts.out, {
    mode: opts.overwrite ? "overwrite" : "new",
    command: opts.command,
  });
  return { run, model, folder };
}

export async function trainRun(opts: TrainRunOptions): Promise<TrainSummary> {
  const given = givenSettings(opts);
  const notes: string[] = [];
  const print = opts.print ?? (() => {});
  const resumed = opts.resume !== undefined;
  const prepared = resumed
    ? await prepareResume(opts, given, notes)
    : await prepareNew(opts, { ...DEFAULT_SETTINGS, ...given });
  const { run, model, folder } = prepared;
  try {
    const s = run.settings;
    if (s.stopOnReward !== null && s.evalFreq === 0)
      throw new ConfigError("stopOnReward", "needs periodic evaluation (evalFreq > 0)");
    for (const n of [...folder.notes, ...notes]) print(`note: ${n}`);
    folder.writeJson("config.json", run);
    print(
      `built: ${run.algo.toUpperCase()} on ${run.env}, ${describeNetwork(model.toPolicySpec())}, float32 weights, ` +
        `${model.paramCount()} parameters, ${run.timesteps} steps`,
    );
    const summary = await train(opts, prepared, folder);
    await opts.onFinish?.(folder, summary, run.settings);
    return summary;
  } finally {
    folder.release();
  }
}

async function train(opts: TrainRunOptions, p: Prepared, folder: RunFolder): Promise<TrainSummary> {
  const { run, model } = p;
  const s = run.settings;
  const out = folder.dir;
  model.saveTrainingState = s.trainingState;
  const resumed = p.resumedFrom !== undefined;
  const writers: LogWriter[] = [
    new JsonlWriter(join(out, "progress.jsonl"), { append: resumed }),
    new CsvWriter(join(out, "progress.csv"), { append: resumed }),
  ];
  if (s.verbose) writers.push(new ConsoleWriter());
  const logger = new Logger(writers);

  const aborted = () => opts.signal?.aborted === true;
  const callbacks: BaseCallback[] = [new StopTrainingWhen(aborted)];
  const evalCallback =
    s.evalFreq > 0
      ? new EvalCallback({
          evalFreq: s.evalFreq,
          nEvalEpisodes: s.evalEpisodes,
          bestModelSavePath: out,
          extension: MODEL_EXTENSION,
          seed: 1_000_000 + run.seed,
          callbackOnNewBest:
            s.stopOnReward === null
              ? undefined
              : new StopTrainingOnRewardThreshold({
                  rewardThreshold: s.stopOnReward,
                  verbose: s.verbose,
                }),
        })
      : undefined;
  if (evalCallback && p.previousBest) {
    evalCallback.bestMeanReward = p.previousBest.meanReward;
    if (p.previousBest.step > 0) evalCallback.bestModelPath = join(out, BEST_FILE);
  }
  if (evalCallback) callbacks.push(evalCallback);
  if (s.checkpointFreq > 0) {
    callbacks.push(
      new CheckpointCallback({
        saveFreq: s.checkpointFreq,
        savePath: join(out, CHECKPOINT_DIR),
        extension: MODEL_EXTENSION,
        includeReplayBuffer: true, // so a run killed before its final save resumes exactly
      }),
    );
  }
  if (opts.progressBar) callbacks.push(new ProgressBar());

  try {
    const remaining = run.timesteps - model.numTimesteps;
    if (remaining > 0 && !aborted())
      await model.learn({
        totalTimesteps: remaining,
        resetNumTimesteps: !resumed && run.initFrom === undefined,
        callbacks,
        logger,
      });
  } finally {
    logger.close();
    model.close();
  }
  let interrupted = aborted();
  await model.save(
    join(out, MODEL_FILE),
    interrupted ? { includeReplayBuffer: true, includeTrainingState: true } : {},
  );

  // A run started from a saved agent counts its own steps and time, not the agent's before it.
  const start = run.initFrom ?? { step: 0, trainingSeconds: 0 };
  const wall = model.trainingSeconds - start.trainingSeconds;
  const summary: TrainSummary = {
    algo: run.algo,
    env: run.env,
    timesteps: run.timesteps,
    num_timesteps: model.numTimesteps,
    seed: run.seed,
    sps: wall > 0 ? (model.numTimesteps - start.step) / wall : 0,
    wall_s: wall,
    params: model.paramCount(),
    interrupted,
    model: MODEL_FILE,
  };
  if (resumed) summary.resumed_from_step = p.resumedFrom;
  if (run.initFrom) summary.init_from = { file: run.initFrom.file, step: run.initFrom.step };
  const evalSeed = 2_000_000 + run.seed;
  const evaluate = async (policy: Algorithm<object>) =>
    summarise(
      await evaluatePolicyAsync(policy, run.env, {
        episodes: s.finalEvalEpisodes,
        seed: evalSeed,
        signal: opts.signal,
      }),
    );
  const bestPath = evalCallback?.bestModelPath;
  if (evalCallback && bestPath && evalCallback.bestMeanReward > Number.NEGATIVE_INFINITY) {
    summary.best_model = BEST_FILE;
    const best = evalCallback.evaluations.find((e) => e.result.meanReturn === evalCallback.bestMeanReward);
    summary.best_eval = {
      step: best?.step ?? p.previousBest?.step ?? 0,
      periodic_mean_return: evalCallback.bestMeanReward,
    };
  }
  try {
    if (!interrupted && s.finalEvalEpisodes > 0) {
      summary.eval = await evaluate(model);
      if (summary.best_eval && bestPath)
        Object.assign(
          summary.best_eval,
          await evaluate(ALGORITHMS[run.algo as keyof typeof ALGORITHMS].load(bestPath)),
        );
    }
  } catch (err) {
    if (!(err instanceof InterruptedError)) throw err;
    // Ctrl-C during the final evaluation: training is complete and saved, the evaluation is not.
    interrupted = true;
    summary.interrupted = true;
    delete summary.eval;
    if (summary.best_eval)
      summary.best_eval = {
        step: summary.best_eval.step,
        periodic_mean_return: summary.best_eval.periodic_mean_return,
      };
  }
  folder.writeJson("summary.json", summary);
  return summary;
}
