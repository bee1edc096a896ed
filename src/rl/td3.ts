/**
 * Twin Delayed DDPG (Fujimoto et al. 2018, https://arxiv.org/abs/1802.09477) with CleanRL's
 * td3_continuous_action.py defaults: a deterministic tanh actor explored with Gaussian noise
 * (0.1 of the half range), twin critics and target networks (Polyak 0.005), target policy
 * smoothing (noise 0.2 clipped to 0.5), one actor and target update every 2 critic updates,
 * 25k random steps first, replay 1M, batch 256, Adam 3e-4, 256-256 ReLU.
 *
 *   const model = new TD3({ env: "HalfCheetah-v5", seed: 1 });
 *   await model.learn({ totalTimesteps: 1_000_000 });
 *
 * On src/nn's SIMD kernels like SAC (sac.ts): the actor's gradient is -dQ1/da (1 - a^2) / B, with
 * dQ1/da from the critic's backward down to its action input. Actions are kept in [-1, 1] and
 * scaled to the bounds.
 */
import { type ConfigOf, type ConfigSchema, resolveConfig } from "../core/config.js";
import { ConfigError } from "../core/errors.js";
import type { Action, ActionDistribution, ActOptions } from "../core/policy.js";
import type { Rng } from "../core/rng.js";
import { ArrayAdam } from "../nn/optim.js";
import { readAgentFile } from "./agent-file.js";
import type { CommonOptions } from "./algorithm.js";
import { OffPolicyAlgorithm, type OffPolicyLayers, type OffPolicyNets } from "./off-policy.js";
import { concatRows, copyLayers, DenseNets, mlp, toBounds } from "./off-policy-nets.js";
import type { ReplayBatch } from "./replay-buffer.js";
import { mean } from "./stats.js";

/** TD3's hyperparameters; defaults are CleanRL's td3_continuous_action.py. */
export const TD3_SCHEMA = {
  learningRate: {
    type: "number",
    default: 3e-4,
    min: 0,
    exclusiveMin: true,
    help: "Adam learning rate (actor and critics)",
  },
  bufferSize: { type: "integer", default: 1_000_000, min: 1, help: "replay buffer capacity" },
  learningStarts: {
    type: "integer",
    default: 25_000,
    min: 0,
    help: "env steps of uniform random actions before learning",
  },
  batchSize: { type: "integer", default: 256, min: 1, help: "transitions per gradient step" },
  gamma: { type: "number", default: 0.99, min: 0, max: 1, help: "discount factor" },
  tau: {
    type: "number",
    default: 0.005,
    min: 0,
    max: 1,
    exclusiveMin: true,
    help: "Polyak weight of the targets",
  },
  explorationNoise: { type: "number", default: 0.1, min: 0, help: "std of the acting noise, in half ranges" },
  policyNoise: { type: "number", default: 0.2, min: 0, help: "std of the target policy smoothing noise" },
  noiseClip: { type: "number", default: 0.5, min: 0, help: "clip of the target policy smoothing noise" },
  policyFrequency: { type: "integer", default: 2, min: 1, help: "critic steps per actor and target step" },
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
} satisfies ConfigSchema;

export type Td3Config = ConfigOf<typeof TD3_SCHEMA>;
export type Td3Options = CommonOptions & Partial<Td3Config>;

/** TD3's training copies: the off-policy ones with the actor's target. */
interface Td3Nets extends OffPolicyNets {
  actorTarget: DenseNets;
  optimizers: { actor: ArrayAdam; critic: ArrayAdam };
}

const clip = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export class TD3 extends OffPolicyAlgorithm<Td3Config, Td3Nets> {
  readonly algo = "td3";
  protected layers: OffPolicyLayers;
  protected readonly netNames = ["actor", "actorTarget", "q1", "q2", "q1Target", "q2Target"] as const;
  protected readonly optimizerNames = ["actor", "critic"] as const;
  protected readonly actorOutputs: number;

  constructor(opts: Td3Options) {
    const { env, envKwargs, seed, verbose, ...rest } = opts;
    super({ env, envKwargs, seed, verbose }, resolveConfig(TD3_SCHEMA, rest, "td3"));
    if (this.spaces.discrete) throw new ConfigError("env", `${this.envId}: TD3 needs a Box action space`);
    const { obsSize: O, actionSize: A } = this.spaces;
    this.actorOutputs = A;
    const h = this.config.hiddenSizes;
    const init = this.rng.spawn(0);
    const actor = mlp(O, h, A, init);
    const q1 = mlp(O + A, h, 1, init);
    const q2 = mlp(O + A, h, 1, init);
    this.layers = {
      actor,
      actorTarget: copyLayers(actor),
      q1,
      q2,
      q1Target: copyLayers(q1),
      q2Target: copyLayers(q2),
    };
  }

  // ---- acting -------------------------------------------------------------------------------

  /** tanh(actor(obs)) scaled to the bounds; with `deterministic: false`, plus the exploration noise. */
  act(obs: Float32Array, opts: ActOptions = {}): Action {
    const a = this.squashed(this.fast.forward(this.prepare(obs), 1), 1);
    if (!(opts.deterministic ?? true)) this.addNoise(a, opts.rng ?? this.actRng);
    return toBounds(a, this.spaces.actionLow!, this.spaces.actionHigh!);
  }

  /** A Gaussian of the exploration std around the deterministic action (in [-1, 1] units). */
  distribution(obs: Float32Array): ActionDistribution {
    const a = this.squashed(this.fast.forward(this.prepare(obs), 1), 1);
    return {
      kind: "gaussian",
      mean: Float64Array.from(a),
      std: new Float64Array(a.length).fill(this.config.explorationNoise),
    };
  }

  private squashed(out: Float32Array, rows: number): Float32Array {
    const a = new Float32Array(rows * this.spaces.actionSize);
    for (let i = 0; i < a.length; i++) a[i] = Math.tanh(out[i]!);
    return a;
  }

  private addNoise(a: Float32Array, rng: Rng): void {
    for (let i = 0; i < a.length; i++)
      a[i] = clip(a[i]! + this.config.explorationNoise * rng.normal(), -1, 1);
  }

  // ---- training -----------------------------------------------------------------------------

  /** The deterministic action plus the exploration noise, for every env. */
  protected explore(nets: Td3Nets, actions: Float32Array, n: number): void {
    actions.set(this.squashed(nets.actor.forward(0, this.obs, n), n));
    this.addNoise(actions, this.rng);
  }

  /** A critic step; every `policyFrequency`, an actor step and the Polyak updates of all targets. */
  protected gradientStep(nets: Td3Nets, b: ReplayBatch): void {
    const c = this.config;
    const { obsSize: O, actionSize: A } = this.spaces;
    const B = b.size;
    // Target policy smoothing: clip(tanh(actor'(s')) + clip(noise), -1, 1).
    const nextA = this.squashed(nets.actorTarget.forward(0, b.nextObs, B), B);
    for (let i = 0; i < nextA.length; i++) {
      const noise = clip(c.policyNoise * this.rng.normal(), -c.noiseClip, c.noiseClip);
      nextA[i] = clip(nextA[i]! + noise, -1, 1);
    }
    const nextSa = concatRows(b.nextObs, nextA, B, O, A);
    const q1n = nets.targets.forward(0, nextSa, B);
    const q2n = nets.targets.forward(1, nextSa, B);
    const sa = concatRows(b.obs, b.actions, B, O, A);
    const q1 = nets.critics.forward(0, sa, B);
    const q2 = nets.critics.forward(1, sa, B);
    // CleanRL's loss: mse(Q1, y) + mse(Q2, y).
    const d1 = new Float32Array(B);
    const d2 = new Float32Array(B);
    let loss = 0;
    for (let i = 0; i < B; i++) {
      const y = b.rewards[i]! + c.gamma * (1 - b.terminated[i]!) * Math.min(q1n[i]!, q2n[i]!);
      d1[i] = (2 * (q1[i]! - y)) / B;
      d2[i] = (2 * (q2[i]! - y)) / B;
      loss += (q1[i]! - y) ** 2 + (q2[i]! - y) ** 2;
    }
    this.logger.recordMean("train/critic_loss", loss / B);
    this.logger.recordMean("train/q_values", mean(q1));
    nets.critics.backward(0, d1);
    nets.critics.backward(1, d2);
    nets.optimizers.critic.apply();
    nets.critics.paramsChanged();
    this.nUpdates++;
    if (this.nUpdates % c.policyFrequency !== 0) return;
    this.logger.recordMean("train/actor_loss", td3ActorGradient(nets.actor, nets.critics, b.obs, B, O, A));
    nets.optimizers.actor.apply();
    nets.actor.paramsChanged();
    nets.actorTarget.blendFrom(nets.actor, c.tau);
    nets.targets.blendFrom(nets.critics, c.tau);
  }

  protected createNets(): Td3Nets {
    const L = this.layers;
    const actor = new DenseNets([L.actor]);
    const critics = new DenseNets([L.q1, L.q2]);
    const lr = this.config.learningRate;
    return {
      actor,
      actorTarget: new DenseNets([L.actorTarget!]),
      critics,
      targets: new DenseNets([L.q1Target, L.q2Target]),
      optimizers: {
        actor: new ArrayAdam([actor.group()], { lr }),
        critic: new ArrayAdam([critics.group()], { lr }),
      },
    };
  }

  static load(path: string, overrides: Partial<Td3Config> = {}): TD3 {
    const { artifact, options, changed } = readAgentFile(path, "td3", overrides);
    const model = new TD3(options as unknown as Td3Options);
    model.restoreFrom(artifact, changed);
    return model;
  }
}

/**
 * TD3's actor loss J = -mean Q1(s, tanh(actor(s))) and its gradient with respect to the actor's
 * parameters, written into `actor.grad`: dJ/dout = -dQ1/da (1 - a^2) / B, with dQ1/da from the
 * critic's backward down to its action input (its own gradients are not computed). Returns J.
 */
export function td3ActorGradient(
  actor: DenseNets,
  critics: DenseNets,
  obs: Float32Array,
  B: number,
  O: number,
  A: number,
): number {
  const out = actor.forward(0, obs, B);
  const a = new Float32Array(B * A);
  for (let i = 0; i < a.length; i++) a[i] = Math.tanh(out[i]!);
  const loss = -mean(critics.forward(0, concatRows(obs, a, B, O, A), B));
  const dIn = critics.inputGrad(0, new Float32Array(B).fill(1));
  const dOut = new Float32Array(B * A);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < A; j++) {
      const k = i * A + j;
      dOut[k] = (-dIn[i * (O + A) + O + j]! * (1 - a[k]! * a[k]!)) / B;
    }
  }
  actor.backward(0, dOut);
  return loss;
}
