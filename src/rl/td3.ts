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
 * Tape-free like SAC (sac.ts): the actor's gradient is -dQ1/da (1 - a^2) / B, with dQ1/da from the
 * critic's backward down to its action input. Actions are kept in [-1, 1] and scaled to the bounds.
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
import { initBackend, Sequential, tf } from "../nn/index.js";
import { Adam, type AdamState } from "../nn/optim.js";
import type { DenseLayerSpec, PolicySpec } from "../nn/spec.js";
import { Algorithm, type CommonOptions, type EnvSetup, type SaveOptions } from "./algorithm.js";
import { type DenseStack, denseBackward, denseForward, denseStack, readInto } from "./mlp-grad.js";
import {
  concatRows,
  copyLayers,
  countParams,
  inputGradient,
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

interface TrainNets {
  seq: Record<Net, Sequential>;
  stack: Record<Net, DenseStack>;
  actorOpt: Adam;
  criticOpt: Adam;
  actorGrad: Float32Array;
  criticGrad: Float32Array;
}

const clip = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export class TD3 extends Algorithm<Td3Config> {
  readonly algo = "td3";
  private layers: Record<Net, DenseLayerSpec[]>;
  private compiled: CompiledPolicy;
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
    this.compiled = this.compileActor();
  }

  // ---- acting -------------------------------------------------------------------------------

  /** tanh(actor(obs)) scaled to the bounds; with `deterministic: false`, plus the exploration noise. */
  act(obs: Float32Array, opts: ActOptions = {}): Action {
    const a = this.squashed(this.compiled.forward(this.prepare(obs), 1), 1);
    if (!(opts.deterministic ?? true)) this.addNoise(a, opts.rng ?? this.actRng);
    return toBounds(a, this.spaces.actionLow!, this.spaces.actionHigh!);
  }

  /** A Gaussian of the exploration std around the deterministic action (in [-1, 1] units). */
  distribution(obs: Float32Array): ActionDistribution {
    const a = this.squashed(this.compiled.forward(this.prepare(obs), 1), 1);
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

  private compileActor(): CompiledPolicy {
    return compileSpec({
      obsShape: [this.spaces.obsSize],
      output: "mean",
      actionSize: this.spaces.actionSize,
      layers: this.layers.actor,
    });
  }

  // ---- training -----------------------------------------------------------------------------

  protected async trainLoop(): Promise<void> {
    const c = this.config;
    await initBackend();
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
        squashed.set(this.squashed(this.compiled.forward(this.obs, N), N));
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
    const s = nets.stack;
    tf.tidy(() => {
      // Target policy smoothing: clip(tanh(actor'(s')) + clip(noise), -1, 1).
      const next = tf.tensor2d(b.nextObs, [B, O]);
      const nextA = this.squashed(denseForward(s.actorTarget, next).out.dataSync() as Float32Array, B);
      for (let i = 0; i < nextA.length; i++) {
        const noise = clip(c.policyNoise * this.rng.normal(), -c.noiseClip, c.noiseClip);
        nextA[i] = clip(nextA[i]! + noise, -1, 1);
      }
      const nextSa = tf.tensor2d(concatRows(b.nextObs, nextA, B, O, A), [B, O + A]);
      const q1n = denseForward(s.q1Target, nextSa).out.dataSync();
      const q2n = denseForward(s.q2Target, nextSa).out.dataSync();
      const sa = tf.tensor2d(concatRows(b.obs, b.actions, B, O, A), [B, O + A]);
      const t1 = denseForward(s.q1, sa);
      const t2 = denseForward(s.q2, sa);
      const q1 = t1.out.dataSync();
      const q2 = t2.out.dataSync();
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
      let at = readInto(nets.criticGrad, 0, denseBackward(s.q1, t1, tf.tensor2d(d1, [B, 1])));
      at = readInto(nets.criticGrad, at, denseBackward(s.q2, t2, tf.tensor2d(d2, [B, 1])));
      nets.criticOpt.applyArray(nets.criticGrad);
      this.logger.recordMean("train/critic_loss", loss / B);
      this.logger.recordMean("train/q_values", mean(q1));
    });
    this.nUpdates++;
    if (this.nUpdates % c.policyFrequency !== 0) return;
    tf.tidy(() => {
      const trace = denseForward(s.actor, tf.tensor2d(b.obs, [B, O]));
      const a = this.squashed(trace.out.dataSync() as Float32Array, B);
      const sa = tf.tensor2d(concatRows(b.obs, a, B, O, A), [B, O + A]);
      const tq = denseForward(s.q1, sa);
      const dIn = inputGradient(s.q1, tq, tf.fill([B, 1], 1) as tf.Tensor2D);
      const dQda = tf.slice(dIn, [0, O], [B, A]).dataSync();
      // J = -mean Q1(s, tanh(out)): dJ/dout = -dQ1/da (1 - a^2) / B.
      const dOut = new Float32Array(B * A);
      for (let i = 0; i < dOut.length; i++) dOut[i] = (-dQda[i]! * (1 - a[i]! * a[i]!)) / B;
      readInto(nets.actorGrad, 0, denseBackward(s.actor, trace, tf.tensor2d(dOut, [B, A])));
      nets.actorOpt.applyArray(nets.actorGrad);
      this.logger.recordMean("train/actor_loss", -mean(tq.out.dataSync()));
    });
    for (const [target, online] of [
      ["actorTarget", "actor"],
      ["q1Target", "q1"],
      ["q2Target", "q2"],
    ] as const) {
      nets.seq[target].params.blendFrom(nets.seq[online].params, c.tau);
    }
    this.layers.actor = nets.seq.actor.toSpec() as DenseLayerSpec[];
    this.compiled = this.compileActor();
  }

  private buildNets(): TrainNets {
    if (this.nets) return this.nets;
    const seq = {} as Record<Net, Sequential>;
    const stack = {} as Record<Net, DenseStack>;
    for (const n of NETS) {
      seq[n] = new Sequential(this.layers[n], `td3_${n}`);
      stack[n] = denseStack(seq[n].variables, this.layers[n])!;
    }
    const lr = this.config.learningRate;
    const actorOpt = new Adam(seq.actor.variables, { lr });
    const criticOpt = new Adam([...seq.q1.variables, ...seq.q2.variables], { lr });
    if (this.pendingAdam.actor) actorOpt.setState(this.pendingAdam.actor);
    if (this.pendingAdam.critic) criticOpt.setState(this.pendingAdam.critic);
    this.pendingAdam = {};
    this.nets = {
      seq,
      stack,
      actorOpt,
      criticOpt,
      actorGrad: new Float32Array(actorOpt.size),
      criticGrad: new Float32Array(criticOpt.size),
    };
    return this.nets;
  }

  private syncAll(): void {
    if (!this.nets) return;
    for (const n of NETS) this.layers[n] = this.nets.seq[n].toSpec() as DenseLayerSpec[];
    this.compiled = this.compileActor();
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
    if (opts.includeTrainingState && this.nets) {
      for (const [k, opt] of [
        ["actor", this.nets.actorOpt],
        ["critic", this.nets.criticOpt],
      ] as const) {
        for (const [name, t] of Object.entries(adamStateToTensors(opt.getState()))) out[`${k}/${name}`] = t;
      }
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
    for (const k of ["actor", "critic"] as const) {
      if (!t[`${k}/optimizer/step`]) continue;
      const sub: Record<string, StoredTensor> = {};
      for (const [name, v] of Object.entries(t))
        if (name.startsWith(`${k}/`)) sub[name.slice(k.length + 1)] = v;
      this.pendingAdam[k] = adamStateFromTensors(sub);
    }
    const meta = artifact.meta ?? {};
    this.nUpdates = Number(meta["nUpdates"] ?? 0);
    this.replay = replayFromTensors(
      t,
      meta["replay"],
      this.config.bufferSize,
      this.spaces.obsSize,
      this.spaces.actionSize,
    );
    this.compiled = this.compileActor();
  }

  static load(path: string): TD3 {
    const { artifact, options } = Algorithm.readAgent(path, "td3");
    const model = new TD3(options as unknown as Td3Options);
    model.restoreFrom(artifact);
    return model;
  }
}
