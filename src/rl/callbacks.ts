/**
 * Training callbacks in Stable-Baselines3's shape. `learn()` calls, in order:
 *
 *   onTrainingStart(ctx)
 *   repeat: onRolloutStart(ctx); onStep(ctx) after every vector step (false stops training);
 *           onRolloutEnd(ctx)
 *   onTrainingEnd(ctx)
 *
 * `ctx.numTimesteps` counts env steps over all sub-envs. "Every N steps" means: whenever the
 * counter crosses a multiple of N (it moves by `numEnvs` per vector step).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../core/logger.js";
import type { Policy } from "../core/policy.js";
import { type EnvSource, type EvalResult, evaluatePolicyAsync } from "../eval/evaluate.js";

/** What a callback may use of the model being trained. */
export interface TrainableModel extends Policy {
  readonly envId: string;
  readonly envKwargs: Record<string, unknown>;
  readonly numTimesteps: number;
  /** Writes one artifact (atomically); resolves to the path written. */
  save(path: string, options?: { includeReplayBuffer?: boolean }): Promise<string>;
}

export interface CallbackContext {
  model: TrainableModel;
  logger: Logger;
  numTimesteps: number;
  totalTimesteps: number;
}

type MaybePromise<T> = T | Promise<T>;

export class BaseCallback {
  onTrainingStart(_ctx: CallbackContext): MaybePromise<void> {}
  onRolloutStart(_ctx: CallbackContext): MaybePromise<void> {}
  /** After each vector step. Return false to stop training. */
  onStep(_ctx: CallbackContext): MaybePromise<boolean> {
    return true;
  }
  onRolloutEnd(_ctx: CallbackContext): MaybePromise<void> {}
  onTrainingEnd(_ctx: CallbackContext): MaybePromise<void> {}
}

/** Runs several callbacks as one; stops when any of them asks to. */
export class CallbackList extends BaseCallback {
  readonly callbacks: BaseCallback[];
  constructor(callbacks: BaseCallback[]) {
    super();
    this.callbacks = callbacks;
  }
  override async onTrainingStart(ctx: CallbackContext): Promise<void> {
    for (const c of this.callbacks) await c.onTrainingStart(ctx);
  }
  override async onRolloutStart(ctx: CallbackContext): Promise<void> {
    for (const c of this.callbacks) await c.onRolloutStart(ctx);
  }
  override onStep(ctx: CallbackContext): MaybePromise<boolean> {
    // Synchronous fast path: most steps trigger nothing, and awaiting costs a microtask each.
    const pending: Promise<boolean>[] = [];
    let go = true;
    for (const c of this.callbacks) {
      const r = c.onStep(ctx);
      if (r instanceof Promise) pending.push(r);
      else if (r === false) go = false;
    }
    if (pending.length === 0) return go;
    return Promise.all(pending).then((rs) => go && rs.every((r) => r !== false));
  }
  override async onRolloutEnd(ctx: CallbackContext): Promise<void> {
    for (const c of this.callbacks) await c.onRolloutEnd(ctx);
  }
  override async onTrainingEnd(ctx: CallbackContext): Promise<void> {
    for (const c of this.callbacks) await c.onTrainingEnd(ctx);
  }
}

/** True when the step counter crossed a multiple of `every` since `last`. */
function crossed(last: number, now: number, every: number): boolean {
  return Math.floor(now / every) > Math.floor(last / every);
}

/** Saves the model every `saveFreq` steps to `<savePath>/<namePrefix>_<steps>_steps<ext>`. */
export class CheckpointCallback extends BaseCallback {
  readonly saveFreq: number;
  readonly savePath: string;
  readonly namePrefix: string;
  readonly extension: string;
  /** DQN: store the replay buffer too, so a run can resume exactly from a checkpoint. */
  readonly includeReplayBuffer: boolean;
  /** Paths written so far. */
  readonly saved: string[] = [];
  private last = 0;

  constructor(opts: {
    saveFreq: number;
    savePath: string;
    namePrefix?: string;
    extension?: string;
    /** Default false (SB3's save_replay_buffer). */
    includeReplayBuffer?: boolean;
  }) {
    super();
    if (!(Number.isInteger(opts.saveFreq) && opts.saveFreq >= 1)) {
      throw new RangeError(`CheckpointCallback: saveFreq must be an integer >= 1, got ${opts.saveFreq}`);
    }
    this.saveFreq = opts.saveFreq;
    this.savePath = opts.savePath;
    this.namePrefix = opts.namePrefix ?? "rl_model";
    this.extension = opts.extension ?? "";
    this.includeReplayBuffer = opts.includeReplayBuffer ?? false;
  }

  override onTrainingStart(ctx: CallbackContext): void {
    this.last = ctx.numTimesteps;
    mkdirSync(this.savePath, { recursive: true });
  }

  override async onStep(ctx: CallbackContext): Promise<boolean> {
    if (!crossed(this.last, ctx.numTimesteps, this.saveFreq)) {
      this.last = ctx.numTimesteps;
      return true;
    }
    this.last = ctx.numTimesteps;
    const path = join(this.savePath, `${this.namePrefix}_${ctx.numTimesteps}_steps${this.extension}`);
    this.saved.push(await ctx.model.save(path, { includeReplayBuffer: this.includeReplayBuffer }));
    return true;
  }
}

/** Called by `EvalCallback` after an evaluation; returns false to stop training. */
export interface EvalListener {
  onEvaluation(ctx: CallbackContext, result: EvalResult, bestMeanReward: number): boolean;
}

/** Stops training once the best evaluation mean reaches `rewardThreshold` (pass as `callbackOnNewBest`). */
export class StopTrainingOnRewardThreshold implements EvalListener {
  readonly rewardThreshold: number;
  readonly verbose: boolean;
  constructor(opts: { rewardThreshold: number; verbose?: boolean }) {
    this.rewardThreshold = opts.rewardThreshold;
    this.verbose = opts.verbose ?? false;
  }
  onEvaluation(ctx: CallbackContext, _result: EvalResult, bestMeanReward: number): boolean {
    const stop = bestMeanReward >= this.rewardThreshold;
    if (stop && this.verbose) {
      console.log(
        `Stopping training at step ${ctx.numTimesteps}: best mean reward ${bestMeanReward.toFixed(2)} >= ${this.rewardThreshold}`,
      );
    }
    return !stop;
  }
}

export interface EvalCallbackOptions {
  /** Evaluate every `evalFreq` env steps. */
  evalFreq: number;
  /** Episodes per evaluation. Default 5. */
  nEvalEpisodes?: number;
  /** Env to evaluate on. Default: the model's env id and kwargs. */
  evalEnv?: EnvSource;
  /** Greedy actions. Default true. */
  deterministic?: boolean;
  /** Directory where `best_model<ext>` is saved on each new best. */
  bestModelSavePath?: string;
  /** File extension of the best model, e.g. ".rldm". Default "". */
  extension?: string;
  /** Asked after each new best (SB3: `callback_on_new_best`). */
  callbackOnNewBest?: EvalListener;
  /** Seed of the first evaluation; each later one starts 1000 higher. Default 10_000. */
  seed?: number;
  /** Print one line per evaluation. Default false. */
  verbose?: boolean;
}

/** Evaluates every `evalFreq` steps, logs `eval/*`, and keeps the best model on disk. */
export class EvalCallback extends BaseCallback {
  readonly opts: EvalCallbackOptions;
  bestMeanReward = Number.NEGATIVE_INFINITY;
  /** Path of the best model saved, if any. */
  bestModelPath: string | undefined;
  /** Every evaluation: step and result. */
  readonly evaluations: Array<{ step: number; result: EvalResult }> = [];
  private last = 0;

  constructor(opts: EvalCallbackOptions) {
    super();
    if (!(Number.isInteger(opts.evalFreq) && opts.evalFreq >= 1)) {
      throw new RangeError(`EvalCallback: evalFreq must be an integer >= 1, got ${opts.evalFreq}`);
    }
    this.opts = opts;
  }

  override onTrainingStart(ctx: CallbackContext): void {
    this.last = ctx.numTimesteps;
    if (this.opts.bestModelSavePath) mkdirSync(this.opts.bestModelSavePath, { recursive: true });
  }

  override onStep(ctx: CallbackContext): MaybePromise<boolean> {
    const due = crossed(this.last, ctx.numTimesteps, this.opts.evalFreq);
    this.last = ctx.numTimesteps;
    return due ? this.evaluate(ctx) : true;
  }

  /** Runs one evaluation now; resolves to false when a listener asks training to stop. */
  async evaluate(ctx: CallbackContext): Promise<boolean> {
    const { model } = ctx;
    const source = this.opts.evalEnv ?? model.envId;
    // The async loop yields every 5 ms: a long evaluation does not hold back Ctrl-C.
    const result = await evaluatePolicyAsync(model, source, {
      episodes: this.opts.nEvalEpisodes ?? 5,
      deterministic: this.opts.deterministic ?? true,
      seed: (this.opts.seed ?? 10_000) + 1000 * this.evaluations.length,
      kwargs: typeof source === "string" ? model.envKwargs : undefined,
    });
    this.evaluations.push({ step: ctx.numTimesteps, result });
    ctx.logger.record("eval/mean_reward", result.meanReturn);
    ctx.logger.record("eval/std_reward", result.stdReturn);
    ctx.logger.record("eval/mean_ep_length", result.meanLength);
    if (this.opts.verbose) {
      console.log(
        `Eval at step ${ctx.numTimesteps}: reward ${result.meanReturn.toFixed(2)} +/- ${result.stdReturn.toFixed(2)}, length ${result.meanLength.toFixed(1)}`,
      );
    }
    if (result.meanReturn > this.bestMeanReward) {
      this.bestMeanReward = result.meanReturn;
      if (this.opts.bestModelSavePath) {
        this.bestModelPath = await model.save(
          join(this.opts.bestModelSavePath, `best_model${this.opts.extension ?? ""}`),
        );
      }
      if (
        this.opts.callbackOnNewBest &&
        !this.opts.callbackOnNewBest.onEvaluation(ctx, result, this.bestMeanReward)
      ) {
        return false;
      }
    }
    return true;
  }
}

/** Stops training as soon as `shouldStop()` is true (e.g. after SIGINT). */
export class StopTrainingWhen extends BaseCallback {
  private readonly shouldStop: () => boolean;
  constructor(shouldStop: () => boolean) {
    super();
    this.shouldStop = shouldStop;
  }
  override onStep(): boolean {
    return !this.shouldStop();
  }
}

/** A one-line progress bar on stderr-free stdout, drawn only when stdout is a terminal. */
export class ProgressBar extends BaseCallback {
  private lastDraw = 0;
  private start = 0;
  private startSteps = 0;
  readonly enabled: boolean;
  private readonly write: (s: string) => void;

  constructor(opts: { enabled?: boolean; write?: (s: string) => void } = {}) {
    super();
    this.enabled = opts.enabled ?? process.stdout.isTTY === true;
    this.write = opts.write ?? ((s) => process.stdout.write(s));
  }

  override onTrainingStart(ctx: CallbackContext): void {
    this.start = performance.now();
    this.startSteps = ctx.numTimesteps;
  }

  override onStep(ctx: CallbackContext): boolean {
    if (!this.enabled) return true;
    const now = performance.now();
    if (now - this.lastDraw < 200) return true;
    this.lastDraw = now;
    this.draw(ctx, now);
    return true;
  }

  override onTrainingEnd(ctx: CallbackContext): void {
    if (!this.enabled) return;
    this.draw(ctx, performance.now());
    this.write("\n");
  }

  private draw(ctx: CallbackContext, now: number): void {
    const frac = Math.min(1, ctx.numTimesteps / Math.max(1, ctx.totalTimesteps));
    const width = 30;
    const filled = Math.round(frac * width);
    const sps = ((ctx.numTimesteps - this.startSteps) * 1000) / Math.max(1, now - this.start);
    const eta = sps > 0 ? (ctx.totalTimesteps - ctx.numTimesteps) / sps : 0;
    this.write(
      `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${ctx.numTimesteps}/${ctx.totalTimesteps} ${sps.toFixed(0)} steps/s eta ${eta.toFixed(0)}s `,
    );
  }
}
