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
import { loadArtifact, type StoredTensor } from "../nn/checkpoint.js";
import { ArrayAdam } from "../nn/optim.js";
import { readAgentFile } from "./agent-file.js";
import type { CommonOptions } from "./algorithm.js";
import { OffPolicyAlgorithm, type OffPolicyLayers, type OffPolicyNets } from "./off-policy.js";
import { concatRows, copyLayers, DenseNets, mlp, savedCriticLayers, toBounds } from "./off-policy-nets.js";
import type { ReplayBatch } from "./replay-buffer.js";
import {
  alphaLossGrad,
  criticLossGrad,
  sacActorGradient,
  softTdTarget,
  squashedGaussianSample,
  squashedMean,
} from "./sac-losses.js";
import { mean } from "./stats.js";

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

/** SAC's training copies: the off-policy ones, the temperature's optimizer and log(alpha). */
interface SacNets extends OffPolicyNets {
  optimizers: { actor: ArrayAdam; critic: ArrayAdam; alpha: ArrayAdam };
  /** log(alpha) as a one-parameter group. */
  logAlpha: { values: Float32Array; grad: Float32Array };
}

export class SAC extends OffPolicyAlgorithm<SacConfig, SacNets> {
  readonly algo = "sac";
  protected layers: OffPolicyLayers;
  protected readonly netNames = ["actor", "q1", "q2", "q1Target", "q2Target"] as const;
  protected readonly optimizerNames = ["actor", "critic", "alpha"] as const;
  protected readonly actorOutputs: number;
  private logAlphaValue: number;
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
    this.actorOutputs = 2 * A;
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

  // ---- training -----------------------------------------------------------------------------

  /** A sample of the squashed Gaussian policy for every env. */
  protected explore(nets: SacNets, actions: Float32Array, n: number): void {
    const c = this.config;
    const A = this.spaces.actionSize;
    const out = nets.actor.forward(0, this.obs, n);
    const noise = this.rng.fillNormal(new Float32Array(n * A));
    actions.set(squashedGaussianSample(out, noise, n, A, c.logStdMin, c.logStdMax).action);
  }

  protected override logExtras(): Record<string, number> {
    return { "train/ent_coef": this.alpha };
  }

  /** One critic step, then (every `policyFrequency`) an actor and a temperature step, then Polyak. */
  protected gradientStep(nets: SacNets, b: ReplayBatch): void {
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
    nets.optimizers.critic.apply();
    nets.critics.paramsChanged();
    this.logger.recordMean("train/critic_loss", critic.loss);
    this.logger.recordMean("train/q_values", mean(q1));
    this.nUpdates++;
    if (this.nUpdates % c.policyFrequency === 0) this.actorStep(nets, b);
    if (this.nUpdates % c.targetUpdateInterval === 0) nets.targets.blendFrom(nets.critics, c.tau);
  }

  /** Reparameterised actor step through the (just updated) critics; then the temperature step. */
  private actorStep(nets: SacNets, b: ReplayBatch): void {
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
    nets.optimizers.actor.apply();
    nets.actor.paramsChanged();
    this.logger.recordMean("train/actor_loss", loss);
    if (c.autoEntropy) {
      const target = c.targetEntropy ?? -A;
      const alphaLoss = alphaLossGrad(this.logAlphaValue, logProb, target);
      nets.logAlpha.grad[0] = alphaLoss.grad;
      nets.optimizers.alpha.apply();
      this.logAlphaValue = nets.logAlpha.values[0]!;
      this.logger.recordMean("train/ent_coef_loss", alphaLoss.loss);
    }
  }

  protected createNets(): SacNets {
    const c = this.config;
    const L = this.layers;
    const actor = new DenseNets([L.actor]);
    const critics = new DenseNets([L.q1, L.q2]);
    const qLr = c.qLearningRate ?? c.learningRate;
    const logAlpha = { values: Float32Array.of(this.logAlphaValue), grad: new Float32Array(1) };
    return {
      actor,
      critics,
      targets: new DenseNets([L.q1Target, L.q2Target]),
      optimizers: {
        actor: new ArrayAdam([actor.group()], { lr: c.learningRate }),
        critic: new ArrayAdam([critics.group()], { lr: qLr }),
        alpha: new ArrayAdam([logAlpha], { lr: qLr }),
      },
      logAlpha,
    };
  }

  // ---- save, load ---------------------------------------------------------------------------

  protected override extraTensors(): Record<string, StoredTensor> {
    return { logAlpha: { data: Float64Array.of(this.logAlphaValue), shape: [1] } };
  }

  protected override restoreExtra(t: Record<string, StoredTensor>): void {
    this.logAlphaValue = t["logAlpha"]!.data[0]!;
  }

  static load(path: string, overrides: Partial<SacConfig> = {}): SAC {
    const { artifact, options, changed } = readAgentFile(path, "sac", overrides);
    const model = new SAC(options as unknown as SacOptions);
    model.restoreFrom(artifact, changed);
    return model;
  }
}

/** The twin critics of a saved SAC agent, on the kernels for batched forwards on [obs, action] rows. */
function loadTeacherCritics(path: string, inSize: number): DenseNets {
  const a = loadArtifact(path, "sac-agent");
  const hidden = (a.config as { hiddenSizes?: number[] }).hiddenSizes;
  if (!Array.isArray(hidden))
    throw new ConfigError("teacherCritic", `${path} does not record its hiddenSizes`);
  return new DenseNets(savedCriticLayers(a, inSize));
}
