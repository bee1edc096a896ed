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
import {
  adamStateFromTensors,
  adamStateToTensors,
  type LoadedArtifact,
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

type Net = "actor" | "actorTarget" | "q1" | "q2" | "q1Target" | "q2Target";
const NETS: readonly Net[] = ["actor", "actorTarget", "q1", "q2", "q1Target", "q2Target"];

/** The training copies on the kernels (built at the first `learn()`), with their optimizers. */
interface TrainNets {
  actor: DenseNets;
  actorTarget: DenseNets;
  /** Q1 and Q2 (networks 0 and 1), one parameter vector, one Adam. */
  critics: DenseNets;
  targets: DenseNets;
  actorOpt: ArrayAdam;
  criticOpt: ArrayAdam;
}

const clip = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export class TD3 extends Algorithm<Td3Config> {
  readonly algo = "td3";
  /** Plain weights of every network (read back from the training copies by `syncAll`). */
  private layers: Record<Net, DenseLayerSpec[]>;
  /** The actor compiled for `act` (float64, as exports compute), rebuilt when stale. */
  private compiled: CompiledPolicy | null = null;
  private nets: TrainNets | null = null;
  private pendingAdam: Partial<Record<"actor" | "critic", AdamState>> = {};
  replay: ReplayBuffer | null = null;
  private nUpdates = 0;

  constructor(opts: Td3Options) {
    const { env, envKwargs, seed, verbose, ...rest } = opts;
    super({ env, envKwargs, seed, verbose }, resolveConfig(TD3_SCHEMA, rest, "td3"));
    if (this.spaces.discrete) throw new ConfigError("env", `${this.envId}: TD3 needs a Box action space`);
    const { obsSize: O, actionSize: A } = this.spaces;
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

  private addNoise(a: Float32Array, rng: Algorithm<Td3Config>["rng"]): void {
    for (let i = 0; i < a.length; i++)
      a[i] = clip(a[i]! + this.config.explorationNoise * rng.normal(), -1, 1);
  }

  /** The actor's forward in float64, compiled from the current weights. */
  private get fast(): CompiledPolicy {
    if (!this.compiled) {
      this.syncAll();
      this.compiled = compileSpec({
        obsShape: [this.spaces.obsSize],
        output: "mean",
        actionSize: this.spaces.actionSize,
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
    let batch: ReplayBatch | undefined;
    let lastLog = this.numTimesteps;
    await this.rolloutStart();
    while (this.numTimesteps < this.totalTimesteps) {
      if (this.numTimesteps < c.learningStarts) this.rng.fillUniform(squashed, -1, 1);
      else {
        squashed.set(this.squashed(nets.actor.forward(0, this.obs, N), N));
        this.addNoise(squashed, this.rng);
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
      const pause = this.maybeYield();
      if (pause) await pause;
      if (this.numTimesteps >= c.learningStarts && replay.size >= c.batchSize) {
        batch = replay.sample(c.batchSize, this.rng, batch);
        this.gradientStep(nets, batch);
      }
      const last = this.numTimesteps >= this.totalTimesteps;
      if (last || Math.floor(this.numTimesteps / c.logInterval) > Math.floor(lastLog / c.logInterval)) {
        this.dumpLogs({ "train/n_updates": this.nUpdates });
      }
      lastLog = this.numTimesteps;
      if (go === false || (go instanceof Promise && !(await go))) break;
    }
    await this.rolloutEnd();
  }

  /** A critic step; every `policyFrequency`, an actor step and the Polyak updates of all targets. */
  private gradientStep(nets: TrainNets, b: ReplayBatch): void {
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
    nets.criticOpt.apply();
    nets.critics.paramsChanged();
    this.nUpdates++;
    if (this.nUpdates % c.policyFrequency !== 0) return;
    this.logger.recordMean("train/actor_loss", td3ActorGradient(nets.actor, nets.critics, b.obs, B, O, A));
    nets.actorOpt.apply();
    nets.actor.paramsChanged();
    nets.actorTarget.blendFrom(nets.actor, c.tau);
    nets.targets.blendFrom(nets.critics, c.tau);
    this.compiled = null;
  }

  private buildNets(): TrainNets {
    if (this.nets) return this.nets;
    const L = this.layers;
    const actor = new DenseNets([L.actor]);
    const critics = new DenseNets([L.q1, L.q2]);
    const lr = this.config.learningRate;
    const actorOpt = new ArrayAdam([actor.group()], { lr });
    const criticOpt = new ArrayAdam([critics.group()], { lr });
    if (this.pendingAdam.actor) actorOpt.setState(this.pendingAdam.actor);
    if (this.pendingAdam.critic) criticOpt.setState(this.pendingAdam.critic);
    this.pendingAdam = {};
    this.nets = {
      actor,
      actorTarget: new DenseNets([L.actorTarget]),
      critics,
      targets: new DenseNets([L.q1Target, L.q2Target]),
      actorOpt,
      criticOpt,
    };
    return this.nets;
  }

  /** Reads the plain weights back from the training copies. */
  private syncAll(): void {
    const n = this.nets;
    if (!n) return;
    this.layers = {
      actor: n.actor.layers(0),
      actorTarget: n.actorTarget.layers(0),
      ...criticLayers(n.critics, n.targets),
    };
  }

  // ---- export, save, load -------------------------------------------------------------------

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
    for (const n of opts.includeTrainingState ? NETS : (["actor", "q1", "q2"] as const))
      Object.assign(out, layersToTensors(n, this.layers[n]));
    if (opts.includeTrainingState) {
      const n = this.nets;
      // Not trained since loading: the moments read from the file are still pending.
      const states = n ? { actor: n.actorOpt.getState(), critic: n.criticOpt.getState() } : this.pendingAdam;
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
    for (const n of ["actor", "q1", "q2"] as const) this.layers[n] = layersFromTensors(n, this.layers[n], t);
    // A lean file (no training state) resumes with targets = online networks and fresh Adam moments.
    for (const [target, online] of [
      ["actorTarget", "actor"],
      ["q1Target", "q1"],
      ["q2Target", "q2"],
    ] as const) {
      this.layers[target] = t[`${target}/fc0.weight`]
        ? layersFromTensors(target, this.layers[target], t)
        : copyLayers(this.layers[online]);
    }
    for (const k of ["actor", "critic"] as const)
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

  static load(path: string): TD3 {
    const { artifact, options } = Algorithm.readAgent(path, "td3");
    const model = new TD3(options as unknown as Td3Options);
    model.restoreFrom(artifact);
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
