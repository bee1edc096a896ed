/**
 * Soft Actor-Critic (Haarnoja et al. 2018, https://arxiv.org/abs/1812.05905) with
 * Stable-Baselines3's and CleanRL's defaults: a tanh-squashed Gaussian actor with state-dependent
 * std, twin Q critics with Polyak-averaged targets (tau 0.005), automatic entropy tuning towards
 * -|A|, replay of 1M transitions, uniform random actions for the first `learningStarts` steps,
 * batch 256, Adam 3e-4, 256-256 ReLU networks with PyTorch's default init.
 *
 *   const model = new SAC({ env: "Hopper-v5", seed: 1 });
 *   await model.learn({ totalTimesteps: 1_000_000 });
 *   model.predict(obs, { deterministic: true }); // tanh(mean), in the env's action bounds
 *
 * The networks train on src/nn's SIMD kernels without a gradient tape (`DenseNets`: KernelNet
 * forwards and backwards, `ArrayAdam`), with the loss gradients in plain JS from sac-losses.ts: the
 * critics' backward down to their action input carries the actor's gradient. Rollouts act with the
 * training actor's kernels; `act`/`predict` use the float64 compiled forward that export shares.
 */
import { type ConfigOf, type ConfigSchema, resolveConfig } from "../core/config.js";
import { ConfigError } from "../core/errors.js";
import type { Action, ActionDistribution, ActOptions } from "../core/policy.js";
import { Rng } from "../core/rng.js";
import {
  adamStateFromTensors,
  adamStateToTensors,
  type LoadedArtifact,
  loadArtifact,
  type StoredTensor,
} from "../nn/checkpoint.js";
import { type CompiledPolicy, compileSpec } from "../nn/fast.js";
import { countParams } from "../nn/kernels/plan.js";
import { type AdamState, ArrayAdam } from "../nn/optim.js";
import type { DenseLayerSpec, PolicySpec } from "../nn/spec.js";
import { Algorithm, type CommonOptions, type EnvSetup, type SaveOptions } from "./algorithm.js";
import {
  concatRows,
  copyLayers,
  criticLayers,
  DenseNets,
  layersFromTensors,
  layersToTensors,
  mean,
  mlp,
  replayFromTensors,
  replayToTensors,
  squashedPolicySpec,
  toBounds,
} from "./off-policy-nets.js";
import { type ReplayBatch, ReplayBuffer } from "./replay-buffer.js";
import {
  alphaLossGrad,
  criticLossGrad,
  sacActorGradient,
  softTdTarget,
  squashedGaussianSample,
  squashedMean,
} from "./sac-losses.js";

/** SAC's hyperparameters; defaults are Stable-Baselines3's (CleanRL's where SB3 has none). */
export const SAC_SCHEMA = {
  learningRate: {
    type: "number",
    default: 3e-4,
    min: 0,
    exclusiveMin: true,
    help: "Adam learning rate (actor, critics, alpha)",
  },
  qLearningRate: {
    type: "number",
    default: null,
    nullable: true,
    min: 0,
    exclusiveMin: true,
    help: "critic learning rate (CleanRL: 1e-3); null = learningRate",
  },
  bufferSize: { type: "integer", default: 1_000_000, min: 1, help: "replay buffer capacity" },
  learningStarts: {
    type: "integer",
    default: 5000,
    min: 0,
    help: "env steps of uniform random actions before learning (CleanRL 5e3)",
  },
  batchSize: { type: "integer", default: 256, min: 1, help: "transitions per gradient step" },
  gamma: { type: "number", default: 0.99, min: 0, max: 1, help: "discount factor" },
  tau: {
    type: "number",
    default: 0.005,
    min: 0,
    max: 1,
    exclusiveMin: true,
    help: "Polyak weight of the target critics",
  },
  trainFrequency: { type: "integer", default: 1, min: 1, help: "env steps between training rounds" },
  gradientSteps: { type: "integer", default: 1, min: 1, help: "gradient steps per training round" },
  policyFrequency: {
    type: "integer",
    default: 1,
    min: 1,
    help: "critic steps per actor step (CleanRL: 2, with 2 actor steps)",
  },
  targetUpdateInterval: {
    type: "integer",
    default: 1,
    min: 1,
    help: "gradient steps between target updates",
  },
  autoEntropy: { type: "boolean", default: true, help: "tune alpha towards targetEntropy" },
  alpha: {
    type: "number",
    default: 1,
    min: 0,
    help: "initial alpha (SB3 'auto' starts at 1), or the fixed one",
  },
  targetEntropy: { type: "number", default: null, nullable: true, help: "null = -(action dimensions)" },
  logStdMin: { type: "number", default: -5, help: "lower bound of the actor's log std" },
  logStdMax: { type: "number", default: 2, help: "upper bound of the actor's log std" },
  hiddenSizes: {
    type: "integer[]",
    default: [256, 256],
    min: 1,
    minLength: 1,
    help: "hidden widths (actor and critics)",
  },
  numEnvs: { type: "integer", default: 1, min: 1, help: "parallel envs" },
  normalizeObs: { type: "boolean", default: false, help: "running observation normalisation" },
  logInterval: { type: "integer", default: 1000, min: 1, help: "env steps between log dumps" },
  teacherCritic: {
    type: "string",
    default: "",
    help: "a saved SAC agent whose critics give value-distillation targets (empty: none)",
  },
  valueDistillCoef: {
    type: "number",
    default: 0,
    min: 0,
    help: "weight of 0.5 (mse(Q1, Qt) + mse(Q2, Qt)), Qt = the teacher's min(Q1, Q2)(s, a), in the critic loss",
  },
} satisfies ConfigSchema;

export type SacConfig = ConfigOf<typeof SAC_SCHEMA>;
export type SacOptions = CommonOptions & Partial<SacConfig>;

type Net = "actor" | "q1" | "q2" | "q1Target" | "q2Target";
const NETS: readonly Net[] = ["actor", "q1", "q2", "q1Target", "q2Target"];

/** The training copies on the kernels (built at the first `learn()`), with their optimizers. */
interface TrainNets {
  actor: DenseNets;
  /** Q1 and Q2 (networks 0 and 1), one parameter vector, one Adam. */
  critics: DenseNets;
  targets: DenseNets;
  actorOpt: ArrayAdam;
  criticOpt: ArrayAdam;
  alphaOpt: ArrayAdam;
  /** log(alpha) as a one-parameter group. */
  logAlpha: { values: Float32Array; grad: Float32Array };
}

export class SAC extends Algorithm<SacConfig> {
  readonly algo = "sac";
  /** Plain weights of every network (read back from the training copies by `syncAll`). */
  private layers: Record<Net, DenseLayerSpec[]>;
  private logAlphaValue: number;
  /** The actor compiled for `act` (float64, as exports compute), rebuilt when stale. */
  private compiled: CompiledPolicy | null = null;
  private nets: TrainNets | null = null;
  private pendingAdam: Partial<Record<"actor" | "critic" | "alpha", AdamState>> = {};
  replay: ReplayBuffer | null = null;
  private nUpdates = 0;
  /** The teacher's twin critics for value distillation (networks 0 and 1, on the kernels). */
  private readonly teacherQ: DenseNets | null;

  constructor(opts: SacOptions) {
    const { env, envKwargs, seed, verbose, ...rest } = opts;
    super({ env, envKwargs, seed, verbose }, resolveConfig(SAC_SCHEMA, rest, "sac"));
    if (this.spaces.discrete) throw new ConfigError("env", `${this.envId}: SAC needs a Box action space`);
    const c = this.config;
    if (!(c.logStdMin < c.logStdMax))
      throw new ConfigError("logStdMin", `must be < logStdMax (${c.logStdMax})`);
    const { obsSize: O, actionSize: A } = this.spaces;
    const init = this.rng.spawn(0);
    const q1 = mlp(O + A, c.hiddenSizes, 1, init);
    const q2 = mlp(O + A, c.hiddenSizes, 1, init);
    this.layers = {
      actor: mlp(O, c.hiddenSizes, 2 * A, init),
      q1,
      q2,
      q1Target: copyLayers(q1),
      q2Target: copyLayers(q2),
    };
    this.logAlphaValue = Math.log(Math.max(c.alpha, 1e-30));
    if (c.valueDistillCoef > 0 && !c.teacherCritic) {
      throw new ConfigError(
        "teacherCritic",
        "required when valueDistillCoef > 0: the path of a saved SAC agent",
      );
    }
    this.teacherQ = c.teacherCritic ? loadTeacherCritics(c.teacherCritic, O + A) : null;
  }

  get alpha(): number {
    return Math.exp(this.logAlphaValue);
  }

  // ---- acting -------------------------------------------------------------------------------

  /** tanh(mean) (deterministic, the default) or a sample, scaled to the env's action bounds. */
  act(obs: Float32Array, opts: ActOptions = {}): Action {
    const out = this.fast.forward(this.prepare(obs), 1);
    const A = this.spaces.actionSize;
    if (opts.deterministic ?? true)
      return toBounds(squashedMean(out, 1, A), this.spaces.actionLow!, this.spaces.actionHigh!);
    const noise = (opts.rng ?? this.actRng).fillNormal(new Float32Array(A));
    const c = this.config;
    return toBounds(
      squashedGaussianSample(out, noise, 1, A, c.logStdMin, c.logStdMax).action,
      this.spaces.actionLow!,
      this.spaces.actionHigh!,
    );
  }

  /** The pre-squash Gaussian (mean, std) of one raw observation. */
  distribution(obs: Float32Array): ActionDistribution {
    const out = this.fast.forward(this.prepare(obs), 1);
    const A = this.spaces.actionSize;
    const { logStdMin: lo, logStdMax: hi } = this.config;
    const mean = Float64Array.from(out.subarray(0, A));
    const std = Float64Array.from(out.subarray(A, 2 * A), (r) =>
      Math.exp(lo + 0.5 * (hi - lo) * (Math.tanh(r) + 1)),
    );
    return { kind: "gaussian", mean, std };
  }

  /** The actor's [mean, raw log std] forward in float64, compiled from the current weights. */
  private get fast(): CompiledPolicy {
    if (!this.compiled) {
      this.syncAll();
      this.compiled = compileSpec({
        obsShape: [this.spaces.obsSize],
        output: "mean",
        actionSize: 2 * this.spaces.actionSize,
        layers: this.layers.actor,
      });
    }
    return this.compiled;
  }

  // ---- training -----------------------------------------------------------------------------

  protected async trainLoop(): Promise<void> {
    const c = this.config;
    this.setupEnv();
    const nets = this.buildNets();
    const { obsSize: O, actionSize: A } = this.spaces;
    const N = c.numEnvs;
    this.replay ??= new ReplayBuffer(c.bufferSize, O, A);
    const replay = this.replay;
    const squashed = new Float32Array(N * A);
    const envActions = new Float32Array(N * A);
    const prevObs = new Float32Array(N * O);
    const noise = new Float32Array(N * A);
    let batch: ReplayBatch | undefined;
    let vecSteps = 0;
    let lastLog = this.numTimesteps;
    await this.rolloutStart();
    while (this.numTimesteps < this.totalTimesteps) {
      if (this.numTimesteps < c.learningStarts) {
        this.rng.fillUniform(squashed, -1, 1);
      } else {
        const out = nets.actor.forward(0, this.obs, N);
        this.rng.fillNormal(noise);
        squashed.set(squashedGaussianSample(out, noise, N, A, c.logStdMin, c.logStdMax).action);
      }
      toBounds(squashed, this.spaces.actionLow!, this.spaces.actionHigh!, envActions);
      prevObs.set(this.obs);
      const step = this.vecEnv!.step(envActions);
      this.recordStep(step);
      const go = this.advance(step);
      for (let i = 0; i < N; i++) {
        const fin = step.finalObs[i];
        const next = fin ? this.normalizeOne(fin) : this.obs.subarray(i * O, (i + 1) * O);
        replay.add(
          prevObs.subarray(i * O, (i + 1) * O),
          squashed.subarray(i * A, (i + 1) * A),
          step.rewards[i]!,
          next,
          step.terminated[i] === 1,
        );
      }
      vecSteps++;
      const pause = this.maybeYield();
      if (pause) await pause;
      if (
        this.numTimesteps >= c.learningStarts &&
        replay.size >= c.batchSize &&
        vecSteps % c.trainFrequency === 0
      ) {
        for (let g = 0; g < c.gradientSteps; g++) {
          batch = replay.sample(c.batchSize, this.rng, batch);
          this.gradientStep(nets, batch);
        }
        this.compiled = null;
      }
      const last = this.numTimesteps >= this.totalTimesteps;
      if (last || Math.floor(this.numTimesteps / c.logInterval) > Math.floor(lastLog / c.logInterval)) {
        this.dumpLogs({ "train/n_updates": this.nUpdates, "train/ent_coef": this.alpha });
      }
      lastLog = this.numTimesteps;
      if (go === false || (go instanceof Promise && !(await go))) break;
    }
    await this.rolloutEnd();
  }

  /** One critic step, then (every `policyFrequency`) an actor and a temperature step, then Polyak. */
  private gradientStep(nets: TrainNets, b: ReplayBatch): void {
    const c = this.config;
    const { obsSize: O, actionSize: A } = this.spaces;
    const B = b.size;
    // Soft TD target from the current actor and the target critics (no gradient).
    const nextSample = squashedGaussianSample(
      nets.actor.forward(0, b.nextObs, B),
      this.rng.fillNormal(new Float32Array(B * A)),
      B,
      A,
      c.logStdMin,
      c.logStdMax,
    );
    const nextSa = concatRows(b.nextObs, nextSample.action, B, O, A);
    const q1n = nets.targets.forward(0, nextSa, B);
    const q2n = nets.targets.forward(1, nextSa, B);
    const y = softTdTarget(b.rewards, b.terminated, q1n, q2n, nextSample.logProb, this.alpha, c.gamma);
    // Critic step.
    const sa = concatRows(b.obs, b.actions, B, O, A);
    const q1 = nets.critics.forward(0, sa, B).slice();
    const q2 = nets.critics.forward(1, sa, B).slice();
    const critic = criticLossGrad(q1, q2, y);
    if (this.teacherQ && c.valueDistillCoef > 0) {
      // Value distillation (the seed's "value distillation tricks"): pull both critics towards the
      // teacher's min(Q1, Q2) on the replayed (s, a), beside the soft TD loss.
      const tq1 = this.teacherQ.forward(0, sa, B);
      const tq2 = this.teacherQ.forward(1, sa, B);
      const teacherQ = tq1.map((v, i) => Math.min(v, tq2[i]!));
      const distill = criticLossGrad(q1, q2, teacherQ);
      for (let i = 0; i < B; i++) {
        critic.dQ1[i] = critic.dQ1[i]! + c.valueDistillCoef * distill.dQ1[i]!;
        critic.dQ2[i] = critic.dQ2[i]! + c.valueDistillCoef * distill.dQ2[i]!;
      }
      this.logger.recordMean("train/value_distill_loss", distill.loss);
    }
    nets.critics.backward(0, critic.dQ1);
    nets.critics.backward(1, critic.dQ2);
    nets.criticOpt.apply();
    nets.critics.paramsChanged();
    this.logger.recordMean("train/critic_loss", critic.loss);
    this.logger.recordMean("train/q_values", mean(q1));
    this.nUpdates++;
    if (this.nUpdates % c.policyFrequency === 0) this.actorStep(nets, b);
    if (this.nUpdates % c.targetUpdateInterval === 0) nets.targets.blendFrom(nets.critics, c.tau);
  }

  /** Reparameterised actor step through the (just updated) critics; then the temperature step. */
  private actorStep(nets: TrainNets, b: ReplayBatch): void {
    const c = this.config;
    const { obsSize: O, actionSize: A } = this.spaces;
    const noise = this.rng.fillNormal(new Float32Array(b.size * A));
    const { loss, logProb } = sacActorGradient(nets.actor, nets.critics, b.obs, noise, this.alpha, {
      batch: b.size,
      obsSize: O,
      actionSize: A,
      logStdMin: c.logStdMin,
      logStdMax: c.logStdMax,
    });
    nets.actorOpt.apply();
    nets.actor.paramsChanged();
    this.logger.recordMean("train/actor_loss", loss);
    if (c.autoEntropy) {
      const target = c.targetEntropy ?? -A;
      const alphaLoss = alphaLossGrad(this.logAlphaValue, logProb, target);
      nets.logAlpha.grad[0] = alphaLoss.grad;
      nets.alphaOpt.apply();
      this.logAlphaValue = nets.logAlpha.values[0]!;
      this.logger.recordMean("train/ent_coef_loss", alphaLoss.loss);
    }
  }

  private buildNets(): TrainNets {
    if (this.nets) return this.nets;
    const c = this.config;
    const L = this.layers;
    const actor = new DenseNets([L.actor]);
    const critics = new DenseNets([L.q1, L.q2]);
    const targets = new DenseNets([L.q1Target, L.q2Target]);
    const qLr = c.qLearningRate ?? c.learningRate;
    const logAlpha = { values: Float32Array.of(this.logAlphaValue), grad: new Float32Array(1) };
    const opts = {
      actor: new ArrayAdam([actor.group()], { lr: c.learningRate }),
      critic: new ArrayAdam([critics.group()], { lr: qLr }),
      alpha: new ArrayAdam([logAlpha], { lr: qLr }),
    };
    for (const k of ["actor", "critic", "alpha"] as const) {
      const st = this.pendingAdam[k];
      if (st) opts[k].setState(st);
    }
    this.pendingAdam = {};
    this.nets = {
      actor,
      critics,
      targets,
      actorOpt: opts.actor,
      criticOpt: opts.critic,
      alphaOpt: opts.alpha,
      logAlpha,
    };
    return this.nets;
  }

  /** Reads the plain weights back from the training copies. */
  private syncAll(): void {
    const n = this.nets;
    if (!n) return;
    this.layers = {
      actor: n.actor.layers(0),
      ...criticLayers(n.critics, n.targets),
    };
  }

  // ---- export, save, load -------------------------------------------------------------------

  /**
   * The deterministic policy as a spec: the actor's trunk and mean head with tanh, then (unless
   * the bounds are [-1, 1]) a diagonal layer mapping [-1, 1] to the env's bounds.
   */
  toPolicySpec(): PolicySpec {
    this.syncAll();
    const { obsShape, actionSize, actionLow, actionHigh } = this.spaces;
    return squashedPolicySpec(
      this.layers.actor,
      obsShape,
      actionSize,
      actionLow!,
      actionHigh!,
      this.normalizer?.obsNormSpec(),
    );
  }

  /** Parameters of the actor and the two critics (targets and optimizer state excluded). */
  paramCount(): number {
    return (["actor", "q1", "q2"] as const).reduce((n, k) => n + countParams(this.layers[k]), 0);
  }

  /** The actor's parameters only (what acts, and what a student is compared with). */
  actorParamCount(): number {
    return countParams(this.layers.actor);
  }

  protected envSetup(): EnvSetup {
    const c = this.config;
    return { numEnvs: c.numEnvs, normalizeObs: c.normalizeObs, normalizeReward: false, gamma: c.gamma };
  }

  protected stateTensors(opts: SaveOptions): Record<string, StoredTensor> {
    this.syncAll();
    const out: Record<string, StoredTensor> = {};
    const nets = opts.includeTrainingState ? NETS : (["actor", "q1", "q2"] as const);
    for (const n of nets) Object.assign(out, layersToTensors(n, this.layers[n]));
    out["logAlpha"] = { data: Float64Array.of(this.logAlphaValue), shape: [1] };
    if (opts.includeTrainingState) {
      const n = this.nets;
      // Not trained since loading: the moments read from the file are still pending.
      const states = n
        ? { actor: n.actorOpt.getState(), critic: n.criticOpt.getState(), alpha: n.alphaOpt.getState() }
        : this.pendingAdam;
      for (const [k, st] of Object.entries(states))
        Object.assign(out, adamStateToTensors(st, `${k}/optimizer/`));
    }
    if (opts.includeReplayBuffer && this.replay) Object.assign(out, replayToTensors(this.replay));
    return out;
  }

  protected stateMeta(): Record<string, unknown> {
    return { nUpdates: this.nUpdates, replay: this.replay?.getState() };
  }

  protected restoreState(artifact: LoadedArtifact, _policy: PolicySpec): void {
    const t = artifact.tensors;
    const read = (n: Net): DenseLayerSpec[] => layersFromTensors(n, this.layers[n], t);
    this.layers.actor = read("actor");
    this.layers.q1 = read("q1");
    this.layers.q2 = read("q2");
    // A lean file (no training state) resumes with targets = critics and fresh Adam moments.
    this.layers.q1Target = t["q1Target/fc0.weight"] ? read("q1Target") : copyLayers(this.layers.q1);
    this.layers.q2Target = t["q2Target/fc0.weight"] ? read("q2Target") : copyLayers(this.layers.q2);
    this.logAlphaValue = t["logAlpha"]!.data[0]!;
    for (const k of ["actor", "critic", "alpha"] as const)
      if (t[`${k}/optimizer/step`]) this.pendingAdam[k] = adamStateFromTensors(t, `${k}/optimizer/`);
    const meta = artifact.meta ?? {};
    this.nUpdates = Number(meta["nUpdates"] ?? 0);
    this.replay = replayFromTensors(
      t,
      meta["replay"],
      this.config.bufferSize,
      this.spaces.obsSize,
      this.spaces.actionSize,
    );
    this.nets = null;
    this.compiled = null;
  }

  static load(path: string): SAC {
    const { artifact, options } = Algorithm.readAgent(path, "sac");
    const model = new SAC(options as unknown as SacOptions);
    model.restoreFrom(artifact);
    return model;
  }
}

/** The twin critics of a saved SAC agent, on the kernels for batched forwards on [obs, action] rows. */
function loadTeacherCritics(path: string, inSize: number): DenseNets {
  const a = loadArtifact(path, "sac-agent");
  const hidden = (a.config as { hiddenSizes?: number[] }).hiddenSizes;
  if (!Array.isArray(hidden))
    throw new ConfigError("teacherCritic", `${path} does not record its hiddenSizes`);
  const template = mlp(inSize, hidden, 1, new Rng(0));
  return new DenseNets([
    layersFromTensors("q1", template, a.tensors),
    layersFromTensors("q2", template, a.tensors),
  ]);
}
