/**
 * What every algorithm shares (the one level of base class; SAC and TD3 add off-policy.ts): the env and its spaces, the seeded
 * generators, the step counter, the callback and logger plumbing of `learn()`, episode
 * statistics, observation normalisation, acting through the fast Float32Array forward, and
 * save/load of one artifact. The algorithm files hold only their math and their loop.
 *
 *   const model = new PPO({ env: "CartPole-v1", seed: 1 });
 *   await model.learn({ totalTimesteps: 50_000, callbacks: [new EvalCallback({ evalFreq: 10_000 })] });
 *   const action = model.predict(obs, { deterministic: true });
 *   await model.save("runs/cartpole/model.rldistill");
 *   const again = PPO.load("runs/cartpole/model.rldistill");
 */
import { ConfigError } from "../core/errors.js";
import { yieldIfDue } from "../core/interrupt.js";
import { ConsoleWriter, Logger } from "../core/logger.js";
import type { Action, ActionDistribution, ActOptions, DistributionPolicy } from "../core/policy.js";
import { Rng } from "../core/rng.js";
import type { AnySpace, ObsStorageDtype } from "../core/spaces.js";
import { make } from "../envs/registry.js";
import {
  decodePolicySpec,
  encodePolicySpec,
  type LoadedArtifact,
  type PolicyStructure,
  type StoredTensor,
} from "../nn/checkpoint.js";
import type { PolicySpec } from "../nn/spec.js";
import { loadNormalizer, normalizerTensors, type SaveOptions, writeAgentFile } from "./agent-file.js";
import {
  BaseCallback,
  type CallbackContext,
  CallbackList,
  ProgressBar,
  type TrainableModel,
} from "./callbacks.js";
import { VecNormalize } from "./normalize.js";
import { describeSpaces, type SpaceInfo } from "./spaces.js";
import { mean } from "./stats.js";
import { VecEnvAdapter, type VecStep } from "./vec-env.js";

/** Fields every algorithm's constructor takes besides its own config. */
export interface CommonOptions {
  /** Env id for `make()`, e.g. "CartPole-v1". */
  env: string;
  /** Keyword arguments for `make()` (physical parameters). Default {}. */
  envKwargs?: Record<string, unknown>;
  /** Seeds weights, envs (env i from seed + i), exploration and minibatch shuffles. Default 0. */
  seed?: number;
  /** 1 prints the logger table at each dump. Default 0. */
  verbose?: 0 | 1;
}

export { MODEL_EXTENSION, type SaveOptions, withModelExtension } from "./agent-file.js";
export { describeSpaces, type SpaceInfo } from "./spaces.js";

export const COMMON_KEYS = ["env", "envKwargs", "seed", "verbose"] as const;

export interface LearnOptions {
  /** Env steps to train for (over all sub-envs). */
  totalTimesteps: number;
  callbacks?: BaseCallback | BaseCallback[];
  /** Default: a console table when verbose, else silent. */
  logger?: Logger;
  /** Start the counter at 0 (default true). False continues a loaded model's counter and schedules. */
  resetNumTimesteps?: boolean;
  /** Draw a progress bar when stdout is a terminal. Default false. */
  progressBar?: boolean;
}

/** How the vector env and the normaliser are set up (from each algorithm's config). */
export interface EnvSetup {
  numEnvs: number;
  normalizeObs: boolean;
  normalizeReward: boolean;
  gamma: number;
}

export abstract class Algorithm<C extends object> implements DistributionPolicy, TrainableModel {
  abstract readonly algo: string;
  readonly envId: string;
  readonly envKwargs: Record<string, unknown>;
  readonly seed: number;
  readonly config: Readonly<C>;
  readonly spaces: SpaceInfo;
  readonly verbose: 0 | 1;
  /** Env steps taken so far (over all sub-envs). */
  numTimesteps = 0;
  /** Default of `SaveOptions.includeTrainingState` (also for saves made by callbacks). */
  saveTrainingState = true;
  /** Target of the current `learn()` call, in the same counter as `numTimesteps`. */
  totalTimesteps = 0;
  /** The one generator of the run; everything random is derived from it. */
  protected readonly rng: Rng;
  /** For `predict`/`act` without an rng of the caller's. */
  protected readonly actRng: Rng;
  protected normalizer: VecNormalize | null = null;
  protected vecEnv: VecEnvAdapter | null = null;
  /** The normalised current observation of every sub-env. */
  protected obs: Float32Array = new Float32Array(0);
  protected logger: Logger = new Logger();
  /** Returns and lengths of the last 100 finished training episodes. */
  readonly episodeReturns: number[] = [];
  readonly episodeLengths: number[] = [];
  private curReturns = new Float64Array(0);
  private curLengths = new Int32Array(0);
  private dones = new Uint8Array(0);
  private callback: BaseCallback = new BaseCallback();
  private ctx: CallbackContext | null = null;
  private startTime = 0;
  private startSteps = 0;
  /** Training seconds of earlier `learn()` calls (also of the run a loaded model comes from). */
  private trainingSecondsBefore = 0;
  private learning = false;

  protected constructor(opts: CommonOptions, config: C) {
    this.envId = opts.env;
    this.envKwargs = { ...(opts.envKwargs ?? {}) };
    this.seed = opts.seed ?? 0;
    if (!Number.isInteger(this.seed) || this.seed < 0)
      throw new ConfigError("seed", `expected an integer >= 0, got ${opts.seed}`);
    this.verbose = opts.verbose ?? 0;
    this.config = config;
    const probe = make(this.envId, this.envKwargs);
    this.spaces = describeSpaces(
      probe.observationSpace as unknown as AnySpace,
      probe.actionSpace as unknown as AnySpace,
      this.envId,
    );
    probe.close();
    this.rng = new Rng(this.seed);
    this.actRng = new Rng(this.seed + 1);
  }

  /** The algorithm's loop: steps envs and trains until `totalTimesteps`, or a callback says stop. */
  protected abstract trainLoop(): Promise<void>;
  abstract toPolicySpec(): PolicySpec;
  /** Vector env size and normalisation, from the config. */
  protected abstract envSetup(): EnvSetup;
  /** Algorithm state beyond the policy for the artifact: optimizer, target network, replay buffer. */
  protected abstract stateTensors(opts: SaveOptions): Record<string, StoredTensor>;
  protected abstract stateMeta(): Record<string, unknown>;
  /** Inverse of stateTensors/stateMeta; `policy` is the decoded policy spec of the artifact. */
  protected abstract restoreState(artifact: LoadedArtifact, policy: PolicySpec): void;
  abstract distribution(obs: Float32Array): ActionDistribution;

  /** Builds the vector env and normaliser (once, at the first `learn()`). */
  protected setupEnv(): void {
    if (this.vecEnv) return;
    const setup = this.envSetup();
    const N = setup.numEnvs;
    this.vecEnv = new VecEnvAdapter(this.envId, this.envKwargs, N);
    this.normalizer ??= this.newNormalizer();
    this.obs = new Float32Array(N * this.spaces.obsSize);
    // CleanRL seeds the vector env with the run seed (env i from seed + i); a resumed run reseeds
    // from its generator so it does not replay the first episodes.
    const seed = this.numTimesteps === 0 ? this.seed : this.rng.nextSeed();
    this.normalizer.observe(this.vecEnv.reset(seed), N, this.obs);
    this.curReturns = new Float64Array(N);
    this.curLengths = new Int32Array(N);
    this.dones = new Uint8Array(N);
  }

  private newNormalizer(): VecNormalize {
    const s = this.envSetup();
    return new VecNormalize(s.numEnvs, this.spaces.obsSize, {
      normalizeObs: s.normalizeObs,
      normalizeReward: s.normalizeReward,
      gamma: s.gamma,
    });
  }

  /** Closes the training envs (a later `learn()` opens new ones). */
  close(): void {
    this.vecEnv?.close();
    this.vecEnv = null;
  }

  async learn(opts: LearnOptions): Promise<this> {
    const total = opts.totalTimesteps;
    if (!(Number.isInteger(total) && total >= 1))
      throw new ConfigError("totalTimesteps", `expected an integer >= 1, got ${total}`);
    if (opts.resetNumTimesteps ?? true) this.numTimesteps = 0;
    this.totalTimesteps = this.numTimesteps + total;
    this.logger = opts.logger ?? new Logger(this.verbose ? [new ConsoleWriter()] : []);
    const list = Array.isArray(opts.callbacks) ? [...opts.callbacks] : opts.callbacks ? [opts.callbacks] : [];
    if (opts.progressBar) list.push(new ProgressBar());
    this.callback = new CallbackList(list);
    const ctx: CallbackContext = {
      model: this,
      logger: this.logger,
      numTimesteps: this.numTimesteps,
      totalTimesteps: this.totalTimesteps,
    };
    this.ctx = ctx;
    this.startTime = performance.now();
    this.startSteps = this.numTimesteps;
    if (this.normalizer) this.normalizer.training = true;
    this.learning = true;
    try {
      await this.callback.onTrainingStart(ctx);
      await this.trainLoop();
      ctx.numTimesteps = this.numTimesteps;
      await this.callback.onTrainingEnd(ctx);
    } finally {
      this.trainingSecondsBefore += (performance.now() - this.startTime) / 1000;
      this.learning = false;
    }
    return this;
  }

  /**
   * Wall-clock seconds spent in `learn()` over the model's whole life, resumed runs included (saved
   * in the artifact): with `numTimesteps`, a cumulative steps-per-second figure.
   */
  get trainingSeconds(): number {
    return this.trainingSecondsBefore + (this.learning ? (performance.now() - this.startTime) / 1000 : 0);
  }

  /** Training progress in [0, 1] for schedules. */
  protected progress(): number {
    return this.totalTimesteps > 0 ? Math.min(1, this.numTimesteps / this.totalTimesteps) : 0;
  }

  /**
   * Bookkeeping right after one vector step, before the algorithm stores it: the step counter,
   * episode statistics (from the raw rewards), then reward normalisation (when on), which
   * rescales `step.rewards` in place.
   */
  protected recordStep(step: VecStep): void {
    const N = this.vecEnv!.numEnvs;
    this.numTimesteps += N;
    const dones = this.dones;
    for (let i = 0; i < N; i++) {
      this.curReturns[i] = this.curReturns[i]! + step.rewards[i]!;
      this.curLengths[i] = this.curLengths[i]! + 1;
      dones[i] = step.terminated[i]! | step.truncated[i]!;
      if (dones[i]) {
        this.episodeReturns.push(this.curReturns[i]!);
        this.episodeLengths.push(this.curLengths[i]!);
        if (this.episodeReturns.length > 100) {
          this.episodeReturns.shift();
          this.episodeLengths.shift();
        }
        this.curReturns[i] = 0;
        this.curLengths[i] = 0;
      }
    }
    this.normalizer!.reward(step.rewards, dones);
  }

  /**
   * Moves to the next observations (normalised into `this.obs`) and runs the callbacks.
   * Resolves to false when a callback asks training to stop.
   */
  protected advance(step: VecStep): boolean | Promise<boolean> {
    this.normalizer!.observe(step.obs, this.vecEnv!.numEnvs, this.obs);
    const ctx = this.ctx!;
    ctx.numTimesteps = this.numTimesteps;
    return this.callback.onStep(ctx);
  }

  /**
   * Lets the event loop run (signal handlers, timers, I/O) when the process's last yield is more
   * than 5 ms old (src/core/interrupt.ts), else returns undefined (nothing to await): training
   * loops call it between steps, so Ctrl-C is seen (tsx kills a child that does not acknowledge a
   * signal within 30 ms).
   */
  protected maybeYield(): Promise<void> | undefined {
    return yieldIfDue();
  }

  protected async rolloutStart(): Promise<void> {
    await this.maybeYield();
    this.ctx!.numTimesteps = this.numTimesteps;
    await this.callback.onRolloutStart(this.ctx!);
  }

  protected async rolloutEnd(): Promise<void> {
    this.ctx!.numTimesteps = this.numTimesteps;
    await this.callback.onRolloutEnd(this.ctx!);
  }

  /**
   * Env i's real next state after `step`: its final observation (normalised) where the episode
   * ended, since the auto-reset replaced it; else its current observation.
   */
  protected nextObs(step: VecStep, i: number): Float32Array {
    const fin = step.finalObs[i];
    const O = this.spaces.obsSize;
    return fin ? this.normalizeOne(fin) : this.obs.subarray(i * O, (i + 1) * O);
  }

  /** Normalises final observations with the current (frozen for this call) statistics; float32 out. */
  protected normalizeOne(raw: Float32Array | Uint8Array): Float32Array {
    if (this.normalizer) return this.normalizer.normalizeObs(raw, 1, new Float32Array(raw.length));
    return raw instanceof Float32Array ? raw : Float32Array.from(raw);
  }

  /**
   * Element type for stored observations: uint8 when the env's observations are uint8 and are not
   * normalised (then the float copies hold exactly the env's integers), else float32.
   */
  protected obsStorageDtype(normalizeObs: boolean): ObsStorageDtype {
    return this.spaces.obsDtype === "uint8" && !normalizeObs ? "uint8" : "float32";
  }

  /** Records rollout/ and time/ keys, then dumps. */
  protected dumpLogs(extra: Record<string, number> = {}): void {
    const l = this.logger;
    if (this.episodeReturns.length > 0) {
      l.record("rollout/ep_rew_mean", mean(this.episodeReturns));
      l.record("rollout/ep_len_mean", mean(this.episodeLengths));
    }
    const elapsed = (performance.now() - this.startTime) / 1000;
    l.record("time/fps", Math.round((this.numTimesteps - this.startSteps) / Math.max(elapsed, 1e-9)));
    l.record("time/time_elapsed", Math.round(elapsed * 100) / 100);
    l.record("time/total_timesteps", this.numTimesteps);
    for (const [k, v] of Object.entries(extra)) l.record(k, v);
    l.dump(this.numTimesteps);
  }

  /** Steps per second of the last `learn()` call so far. */
  get sps(): number {
    const elapsed = (performance.now() - this.startTime) / 1000;
    return elapsed > 0 ? (this.numTimesteps - this.startSteps) / elapsed : 0;
  }

  /** Normalises one raw observation with the frozen statistics. */
  protected prepare(obs: Float32Array): Float32Array {
    if (obs.length !== this.spaces.obsSize) {
      throw new ConfigError(
        "obs",
        `expected ${this.spaces.obsSize} values for ${this.envId}, got ${obs.length}`,
      );
    }
    return this.normalizeOne(obs);
  }

  /** Chooses an action for one raw observation (the Policy interface). */
  abstract act(obs: Float32Array, opts?: ActOptions): Action;

  /**
   * SB3's `predict`: one action for one raw observation. Stochastic unless `deterministic`; the
   * model's own generator is used when no `rng` is given.
   */
  predict(obs: Float32Array, opts: { deterministic?: boolean; rng?: Rng } = {}): Action {
    return this.act(obs, { deterministic: opts.deterministic ?? false, rng: opts.rng ?? this.actRng });
  }

  /**
   * Writes the model as one artifact (src/nn/checkpoint.ts's format, kind "<algo>-agent"):
   * the policy (with critic and obs-norm statistics) under "policy/", so `loadPolicy` reads it
   * for distillation; plus the config, step counters, generator states, running statistics and
   * the algorithm's own state (optimizer, target network). Resolves to the path written.
   */
  async save(path: string, options: SaveOptions = {}): Promise<string> {
    const opts = { includeTrainingState: this.saveTrainingState, ...options };
    return writeAgentFile(path, {
      algo: this.algo,
      policy: this.toPolicySpec(),
      options: { env: this.envId, envKwargs: this.envKwargs, seed: this.seed, ...this.config },
      meta: {
        numTimesteps: this.numTimesteps,
        totalTimesteps: this.totalTimesteps,
        trainingSeconds: this.trainingSeconds,
        params: this.paramCount(),
        episodeReturns: this.episodeReturns.slice(),
        ...this.stateMeta(),
      },
      tensors: {
        ...normalizerTensors(this.normalizer),
        rng: { data: Uint32Array.from(this.rng.getState()), shape: [4] },
        actRng: { data: Uint32Array.from(this.actRng.getState()), shape: [4] },
        ...this.stateTensors(opts),
      },
    });
  }

  /**
   * Restores counters, generators, statistics and the algorithm state from `readAgentFile`'s
   * artifact. `changed` names config fields given at load with a new value (`load(path, overrides)`):
   * the saved weights come back as they are, so a change that would reshape the networks (layer
   * sizes, convolutions, activation, observation normalisation) is refused here, before anything
   * is restored.
   */
  protected restoreFrom(artifact: LoadedArtifact, changed: readonly string[] = []): void {
    const structure = (artifact.config as { policy: PolicyStructure }).policy;
    const keepOnly =
      "a loaded agent keeps its weights, so only training fields (learning rate, entropy coefficient, ...) can change";
    if (changed.includes("normalizeObs"))
      throw new ConfigError(
        "normalizeObs",
        `would change the saved network's input (its observation statistics); ${keepOnly}`,
      );
    if (changed.length > 0) {
      // Layers only: a new model's observation statistics appear with its first step, not before.
      const { obsNorm: _saved, ...layers } = structure;
      const { obsNorm: _new, ...rebuilt } = encodePolicySpec(this.toPolicySpec()).structure;
      if (JSON.stringify(rebuilt) !== JSON.stringify(layers))
        throw new ConfigError(
          changed.join(", "),
          `would change the saved network (${describeStructure(layers)} -> ${describeStructure(rebuilt)}); ${keepOnly}`,
        );
    }
    const meta = artifact.meta ?? {};
    const t = artifact.tensors;
    this.numTimesteps = Number(meta["numTimesteps"] ?? 0);
    this.totalTimesteps = Number(meta["totalTimesteps"] ?? 0);
    this.trainingSecondsBefore = Number(meta["trainingSeconds"] ?? 0);
    this.rng.setState(Array.from(t["rng"]!.data));
    this.actRng.setState(Array.from(t["actRng"]!.data));
    this.episodeReturns.push(...((meta["episodeReturns"] as number[] | undefined) ?? []));
    if (t["normalizer/obs.mean"]) {
      this.normalizer = this.newNormalizer();
      loadNormalizer(this.normalizer, t);
    }
    this.restoreState(artifact, decodePolicySpec(structure, t, "policy/"));
  }

  /** Number of trainable parameters of the networks saved in the artifact (without optimizer state). */
  abstract paramCount(): number;
}

/** A network's shape in a few words for error messages, e.g. "conv16x3s1valid relu, 128 relu, 6 linear". */
function describeStructure(s: Omit<PolicyStructure, "obsNorm">): string {
  const layers = s.layers.flatMap((l) => {
    if (l.kind === "flatten") return [];
    const size =
      l.kind === "dense" ? `${l.outSize}` : `conv${l.outChannels}x${l.kernelSize}s${l.stride}${l.padding}`;
    return [`${size} ${l.activation}`];
  });
  return layers.join(", ");
}
