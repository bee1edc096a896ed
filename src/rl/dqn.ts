/**
 * Deep Q-Network (Mnih et al. 2015, https://doi.org/10.1038/nature14236) as CleanRL's dqn.py:
 * a replay buffer, a target network updated every `targetNetworkFrequency` steps with Polyak
 * weight `tau` (1 = hard copy), a linear epsilon-greedy schedule, training every `trainFrequency`
 * steps after `learningStarts`. Options beyond CleanRL: double DQN (van Hasselt et al. 2016),
 * dueling heads (Wang et al. 2016), Huber loss (SB3's default), global-norm gradient clipping.
 *
 *   const model = new DQN({ env: "CartPole-v1", seed: 1 });
 *   await model.learn({ totalTimesteps: 100_000 });
 *
 * Acting uses a synchronous Float32Array forward of the online network (refreshed after every
 * gradient step); tfjs runs only the gradient steps.
 */

import { type ConfigOf, type ConfigSchema, resolveConfig } from "../core/config.js";
import { ArtifactError, ConfigError } from "../core/errors.js";
import type { Action, ActionDistribution, ActOptions } from "../core/policy.js";
import { linearSchedule } from "../core/schedules.js";
import {
  adamStateFromTensors,
  adamStateToTensors,
  type LoadedArtifact,
  type StoredTensor,
} from "../nn/checkpoint.js";
import { argmax, softmaxProbs } from "../nn/distributions.js";
import { type CompiledPolicy, compileSpec } from "../nn/fast.js";
import { initBackend, QNetwork, tf } from "../nn/index.js";
import { Adam, type AdamState, clipInPlace, type TrainStepResult, trainStep } from "../nn/optim.js";
import type { FloatArray } from "../nn/params.js";
import type { PolicySpec } from "../nn/spec.js";
import { Algorithm, type CommonOptions, type EnvSetup, type SaveOptions } from "./algorithm.js";
import { dqnLoss, dqnLossGrad, tdTarget, tdTargetArray } from "./losses.js";
import {
  type DenseStack,
  denseBackward,
  denseForward,
  denseStack,
  readInto,
  transposeWithOnes,
} from "./mlp-grad.js";
import { initialQWeights, type QInit, qLayers } from "./q-weights.js";
import { type ReplayBatch, ReplayBuffer } from "./replay-buffer.js";

/** DQN's hyperparameters; defaults are CleanRL's dqn.py (classic control). */
export const DQN_SCHEMA = {
  learningRate: { type: "number", default: 2.5e-4, min: 0, exclusiveMin: true, help: "Adam learning rate" },
  numEnvs: { type: "integer", default: 1, min: 1, help: "parallel envs" },
  bufferSize: { type: "integer", default: 10_000, min: 1, help: "replay buffer capacity" },
  gamma: { type: "number", default: 0.99, min: 0, max: 1, help: "discount factor" },
  tau: { type: "number", default: 1, min: 0, max: 1, help: "target update weight (1 = hard copy)" },
  targetNetworkFrequency: { type: "integer", default: 500, min: 1, help: "env steps between target updates" },
  batchSize: { type: "integer", default: 128, min: 1, help: "transitions per gradient step" },
  startE: { type: "number", default: 1, min: 0, max: 1, help: "initial exploration epsilon" },
  endE: { type: "number", default: 0.05, min: 0, max: 1, help: "final exploration epsilon" },
  explorationFraction: {
    type: "number",
    default: 0.5,
    min: 0,
    max: 1,
    exclusiveMin: true,
    help: "fraction of training to decay epsilon over",
  },
  learningStarts: { type: "integer", default: 10_000, min: 0, help: "env steps before learning starts" },
  trainFrequency: { type: "integer", default: 10, min: 1, help: "env steps between gradient steps" },
  gradientSteps: { type: "integer", default: 1, min: 1, help: "gradient steps each time training runs" },
  doubleQ: { type: "boolean", default: false, help: "double DQN targets" },
  dueling: { type: "boolean", default: false, help: "dueling value/advantage heads" },
  loss: {
    type: "string",
    default: "mse",
    choices: ["mse", "huber"],
    help: "TD loss (CleanRL: mse, SB3: huber)",
  },
  maxGradNorm: {
    type: "number",
    default: null,
    nullable: true,
    min: 0,
    exclusiveMin: true,
    help: "global gradient-norm clip (SB3: 10)",
  },
  init: {
    type: "string",
    default: "torch",
    choices: ["torch", "orthogonal"],
    help: "weight init: PyTorch's nn.Linear default (CleanRL) or orthogonal",
  },
  hiddenSizes: { type: "integer[]", default: [120, 84], min: 1, minLength: 1, help: "hidden widths" },
  activation: { type: "string", default: "relu", choices: ["tanh", "relu"], help: "hidden activation" },
  adamEps: { type: "number", default: 1e-8, min: 0, exclusiveMin: true, help: "Adam epsilon" },
  normalizeObs: { type: "boolean", default: false, help: "running observation normalisation" },
  logInterval: { type: "integer", default: 1000, min: 1, help: "env steps between log dumps" },
} satisfies ConfigSchema;

/** DQN's flat config (see `DQN_SCHEMA` for each field's default and bounds). */
export type DqnConfig = ConfigOf<typeof DQN_SCHEMA>;
export type DqnOptions = CommonOptions & Partial<DqnConfig>;

export class DQN extends Algorithm<DqnConfig> {
  readonly algo = "dqn";
  private currentWeights: Record<string, FloatArray>;
  private compiled: CompiledPolicy;
  /** The tf online network changed since `currentWeights`/`compiled` were read (refreshed when used). */
  private stale = false;
  private nets: {
    online: QNetwork;
    target: QNetwork;
    optimizer: Adam;
    /** Dense networks (not dueling): the tape-free gradient step's view of them. */
    stack: { online: DenseStack; target: DenseStack; grad: Float32Array } | null;
  } | null = null;
  private pendingAdam: AdamState | null = null;
  private pendingTarget: Record<string, FloatArray> | null = null;
  /** The replay buffer (created at the first `learn()`; saved in checkpoints on request). */
  replay: ReplayBuffer | null = null;
  private nUpdates = 0;

  constructor(opts: DqnOptions) {
    const { env, envKwargs, seed, verbose, ...rest } = opts;
    super({ env, envKwargs, seed, verbose }, resolveConfig(DQN_SCHEMA, rest, "dqn"));
    if (!this.spaces.discrete) {
      throw new ConfigError(
        "env",
        `${this.envId}: DQN needs a Discrete action space; use PPO for continuous actions`,
      );
    }
    // Plain arrays until learn(): the QNetwork's tf variables are created from them there.
    this.currentWeights = initialQWeights(this.qConfig(), this.rng.spawn(0), this.config.init as QInit);
    this.compiled = compileSpec({ ...this.qSpec(), obsNorm: undefined });
  }

  /** Online network weights as plain arrays ("net/fc0.weight", ...; "value/..." and "advantage/..." when dueling). */
  get weights(): Record<string, FloatArray> {
    this.refresh();
    return this.currentWeights;
  }

  set weights(w: Record<string, FloatArray>) {
    this.currentWeights = w;
    this.stale = false;
  }

  /** The acting copy compiled for synchronous Float32Array forwards (on normalised observations). */
  private get fast(): CompiledPolicy {
    this.refresh();
    return this.compiled;
  }

  private set fast(f: CompiledPolicy) {
    this.compiled = f;
  }

  /**
   * Reads the online network into the plain weights and recompiles the acting copy, when a
   * gradient step changed it since (lazily: with epsilon-greedy exploration many steps act at
   * random and need no forward).
   */
  private refresh(): void {
    if (!this.stale || !this.nets) return;
    this.stale = false;
    this.currentWeights = this.nets.online.getWeights();
    this.compiled = compileSpec({ ...this.qSpec(), obsNorm: undefined });
  }

  private qConfig() {
    const c = this.config;
    return {
      obsShape: this.spaces.obsShape,
      numActions: this.spaces.actionSize,
      body: { kind: "mlp" as const, hidden: c.hiddenSizes, activation: c.activation as "tanh" | "relu" },
      dueling: c.dueling,
    };
  }

  // ---- acting -------------------------------------------------------------------------------

  /** Greedy action (epsilon-greedy with `epsilon` when not deterministic; SB3 uses 0 at predict). */
  act(obs: Float32Array, opts: ActOptions & { epsilon?: number } = {}): Action {
    const n = this.spaces.actionSize;
    if (!(opts.deterministic ?? true) && opts.epsilon && (opts.rng ?? this.actRng).random() < opts.epsilon) {
      return (opts.rng ?? this.actRng).integer(n);
    }
    return argmax(this.fast.forward(this.prepare(obs), 1), 0, n);
  }

  /** Q-values of one raw observation. */
  qValues(obs: Float32Array): Float32Array {
    return this.fast.forward(this.prepare(obs), 1).slice(0, this.spaces.actionSize);
  }

  /**
   * softmax(Q) over the actions, as `compileSpec` gives for the exported spec (temperature 1), so
   * the model and its spec agree in similarity metrics; its argmax is the greedy action.
   */
  distribution(obs: Float32Array): ActionDistribution {
    return { kind: "categorical", probs: softmaxProbs(this.qValues(obs), 0, this.spaces.actionSize) };
  }

  // ---- training -----------------------------------------------------------------------------

  protected async trainLoop(): Promise<void> {
    const c = this.config;
    await initBackend();
    this.setupEnv();
    const nets = this.buildNets();
    const { obsSize, actionSize } = this.spaces;
    const N = c.numEnvs;
    this.replay ??= new ReplayBuffer(c.bufferSize, obsSize, 1, {
      obsDtype: this.obsStorageDtype(c.normalizeObs),
    });
    const replay = this.replay;
    const epsilon = linearSchedule(c.startE, c.endE, c.explorationFraction);
    const actions = new Int32Array(N);
    const prevObs = new Float32Array(N * obsSize);
    let vecSteps = 0;
    let batch: ReplayBatch | undefined;
    let lastTarget = this.numTimesteps;
    let lastLog = this.numTimesteps;
    await this.rolloutStart();
    while (this.numTimesteps < this.totalTimesteps) {
      const eps = epsilon(this.progress());
      // The greedy forward only when some env acts greedily (same draws from the generator).
      let q: Float32Array | null = null;
      for (let i = 0; i < N; i++) {
        if (this.rng.random() < eps) actions[i] = this.rng.integer(actionSize);
        else {
          q ??= this.fast.forward(this.obs, N);
          actions[i] = argmax(q, i * actionSize, actionSize);
        }
      }
      prevObs.set(this.obs);
      const step = this.vecEnv!.step(actions);
      this.recordStep(step);
      const go = this.advance(step);
      for (let i = 0; i < N; i++) {
        // The real next state: the final observation where the episode ended (auto-reset replaced it).
        const fin = step.finalObs[i];
        const next = fin ? this.normalizeOne(fin) : this.obs.subarray(i * obsSize, (i + 1) * obsSize);
        replay.add(
          prevObs.subarray(i * obsSize, (i + 1) * obsSize),
          actions[i]!,
          step.rewards[i]!,
          next,
          step.terminated[i] === 1,
        );
      }
      vecSteps++;
      const pause = this.maybeYield();
      if (pause) await pause;
      if (
        this.numTimesteps > c.learningStarts &&
        replay.size >= c.batchSize &&
        vecSteps % c.trainFrequency === 0
      ) {
        for (let g = 0; g < c.gradientSteps; g++) {
          // sample() refills the previous batch's arrays instead of allocating new ones.
          batch = replay.sample(c.batchSize, this.rng, batch);
          this.gradientStep(nets, batch);
        }
        this.syncFromNets();
      }
      if (
        Math.floor(this.numTimesteps / c.targetNetworkFrequency) >
        Math.floor(lastTarget / c.targetNetworkFrequency)
      ) {
        nets.target.softUpdateFrom(nets.online, c.tau);
      }
      lastTarget = this.numTimesteps;
      const last = this.numTimesteps >= this.totalTimesteps;
      if (last || Math.floor(this.numTimesteps / c.logInterval) > Math.floor(lastLog / c.logInterval)) {
        this.logger.record("rollout/exploration_rate", eps);
        this.dumpLogs({ "train/n_updates": this.nUpdates, "train/learning_rate": c.learningRate });
      }
      lastLog = this.numTimesteps;
      if (go === false || (go instanceof Promise && !(await go))) break;
    }
    await this.rolloutEnd();
  }

  private gradientStep(nets: NonNullable<DQN["nets"]>, b: ReplayBatch): void {
    const res = nets.stack ? this.fastGradientStep(nets, nets.stack, b) : this.tapeGradientStep(nets, b);
    this.nUpdates++;
    this.logger.recordMean("train/loss", res.loss);
    this.logger.recordMean("train/q_values", res.metrics["q_values"]!);
  }

  /**
   * Dense Q-networks: forwards without the gradient tape, TD target and loss gradient in plain
   * JS (`tdTargetArray`, `dqnLossGrad`, the same math as `tdTarget`/`dqnLoss`), the backward
   * of mlp-grad.ts, then clipping and Adam on the flat gradient.
   */
  private fastGradientStep(
    nets: NonNullable<DQN["nets"]>,
    stack: { online: DenseStack; target: DenseStack; grad: Float32Array },
    b: ReplayBatch,
  ): { loss: number; metrics: Record<string, number> } {
    const c = this.config;
    const { obsSize, actionSize: n } = this.spaces;
    const B = b.size;
    let res: ReturnType<typeof dqnLossGrad> | undefined;
    tf.tidy(() => {
      const next = tf.tensor2d(b.nextObs, [B, obsSize]);
      const nextQ = denseForward(stack.target, next).out.dataSync();
      const nextOnline = c.doubleQ ? denseForward(stack.online, next).out.dataSync() : null;
      const target = tdTargetArray(nextQ, nextOnline, b.rewards, b.terminated, c.gamma, n);
      const trace = denseForward(stack.online, tf.tensor2d(b.obs, [B, obsSize]));
      res = dqnLossGrad(trace.out.dataSync(), b.actions, target, n, c.loss as "mse" | "huber");
      const obsT1 = tf.tensor2d(transposeWithOnes(b.obs, B, obsSize), [obsSize + 1, B]);
      readInto(stack.grad, 0, denseBackward(stack.online, trace, tf.tensor2d(res.dQ, [B, n]), obsT1));
    });
    clipInPlace(stack.grad, c.maxGradNorm ?? Number.POSITIVE_INFINITY);
    nets.optimizer.applyArray(stack.grad);
    return res!;
  }

  /** Any Q-network (dueling heads): the loss under tfjs's gradient tape. */
  private tapeGradientStep(nets: NonNullable<DQN["nets"]>, b: ReplayBatch): TrainStepResult {
    const c = this.config;
    const { obsSize } = this.spaces;
    const B = b.size;
    // The TD target carries no gradient: computed outside the differentiated function.
    const target = tf.tidy(() => {
      const next = tf.tensor2d(b.nextObs, [B, obsSize]);
      const online = c.doubleQ ? nets.online.q(next) : null;
      return tdTarget(
        nets.target.q(next),
        online,
        tf.tensor1d(b.rewards),
        tf.tensor1d(b.terminated),
        c.gamma,
      );
    });
    try {
      const lossFn = () =>
        dqnLoss(
          nets.online.q(tf.tensor2d(b.obs, [B, obsSize])),
          tf.tensor1d(b.actions, "int32"),
          target,
          c.loss as "mse" | "huber",
        );
      return trainStep(nets.optimizer, lossFn, c.maxGradNorm === null ? {} : { maxGradNorm: c.maxGradNorm });
    } finally {
      target.dispose();
    }
  }

  private buildNets(): NonNullable<DQN["nets"]> {
    if (this.nets) return this.nets;
    const online = new QNetwork({ ...this.qConfig(), name: "dqn_q" }, this.rng.clone());
    const target = new QNetwork({ ...this.qConfig(), name: "dqn_target" }, this.rng.clone());
    online.setWeights(this.weights);
    target.setWeights(this.pendingTarget ?? this.weights);
    this.pendingTarget = null;
    const optimizer = new Adam(online.variables, { lr: this.config.learningRate, eps: this.config.adamEps });
    if (this.pendingAdam) optimizer.setState(this.pendingAdam);
    this.pendingAdam = null;
    const layers = this.config.dueling ? null : qLayers(this.weights, this.qConfig());
    const onlineStack = layers && denseStack(online.variables, layers);
    const targetStack = layers && denseStack(target.variables, layers);
    const stack =
      onlineStack && targetStack
        ? { online: onlineStack, target: targetStack, grad: new Float32Array(optimizer.size) }
        : null;
    this.nets = { online, target, optimizer, stack };
    return this.nets;
  }

  private syncFromNets(): void {
    this.stale = true;
  }

  // ---- export, save, load -------------------------------------------------------------------

  /** The online network as a spec with output "q" (dueling heads folded into one layer). */
  private qSpec(): PolicySpec {
    return {
      obsShape: [...this.spaces.obsShape],
      obsNorm: this.normalizer?.obsNormSpec(),
      output: "q",
      actionSize: this.spaces.actionSize,
      layers: qLayers(this.currentWeights, this.qConfig()),
    };
  }

  toPolicySpec(): PolicySpec {
    this.refresh();
    return this.qSpec();
  }

  paramCount(): number {
    return Object.values(this.weights).reduce((n, v) => n + v.data.length, 0);
  }

  protected envSetup(): EnvSetup {
    const c = this.config;
    return { numEnvs: c.numEnvs, normalizeObs: c.normalizeObs, normalizeReward: false, gamma: c.gamma };
  }

  protected stateTensors(opts: SaveOptions): Record<string, StoredTensor> {
    const out: Record<string, StoredTensor> = {};
    // Dueling: the raw (unfolded) heads, so training resumes exactly; otherwise policy/ holds them.
    if (this.config.dueling) for (const [k, v] of Object.entries(this.weights)) out[`q/${k}`] = v;
    if (opts.includeTrainingState) {
      const target = this.nets ? this.nets.target.getWeights() : (this.pendingTarget ?? this.weights);
      for (const [k, v] of Object.entries(target)) out[`target/${k}`] = v;
      const adam = this.nets ? this.nets.optimizer.getState() : this.pendingAdam;
      if (adam) Object.assign(out, adamStateToTensors(adam));
    }
    const rb = this.replay;
    if (opts.includeReplayBuffer && rb) {
      const o = rb.obsSize;
      out["replay/obs"] = { data: rb.obs, shape: [rb.capacity, o] };
      out["replay/nextObs"] = { data: rb.nextObs, shape: [rb.capacity, o] };
      out["replay/actions"] = { data: rb.actions, shape: [rb.capacity, rb.actionSize] };
      out["replay/rewards"] = { data: rb.rewards, shape: [rb.capacity] };
      out["replay/terminated"] = { data: rb.terminated, shape: [rb.capacity] };
    }
    return out;
  }

  protected stateMeta(): Record<string, unknown> {
    return { nUpdates: this.nUpdates, replay: this.replay?.getState() };
  }

  protected restoreState(artifact: LoadedArtifact, policy: PolicySpec): void {
    const t = { ...artifact.tensors };
    if (!this.config.dueling) {
      policy.layers.forEach((l, k) => {
        if (l.kind !== "dense") throw new ArtifactError(`policy layer ${k} is ${l.kind}, expected dense`);
        t[`q/net/fc${k}.weight`] = { data: l.weight, shape: [l.inSize, l.outSize] };
        t[`q/net/fc${k}.bias`] = { data: l.bias, shape: [l.outSize] };
      });
    }
    const read = (prefix: string) => {
      const w: Record<string, FloatArray> = {};
      for (const [k, v] of Object.entries(this.weights)) {
        const stored = t[`${prefix}${k}`];
        if (!stored || !(stored.data instanceof Float32Array) || stored.data.length !== v.data.length) {
          throw new ArtifactError(`tensor ${prefix}${k}: missing or not ${v.data.length} float32 values`);
        }
        w[k] = { data: stored.data, shape: v.shape };
      }
      return w;
    };
    this.weights = read("q/");
    // Without a stored target network (a lean file), training resumes with target = online.
    this.pendingTarget = t[`target/${Object.keys(this.weights)[0]}`] ? read("target/") : null;
    this.pendingAdam = t["optimizer/step"] ? adamStateFromTensors(t) : null;
    const meta = artifact.meta ?? {};
    this.nUpdates = Number(meta["nUpdates"] ?? 0);
    if (t["replay/obs"] && meta["replay"]) {
      const rb = new ReplayBuffer(this.config.bufferSize, this.spaces.obsSize, 1, {
        obsDtype: this.obsStorageDtype(this.config.normalizeObs),
      });
      rb.obs.set(t["replay/obs"].data);
      rb.nextObs.set(t["replay/nextObs"]!.data);
      rb.actions.set(t["replay/actions"]!.data);
      rb.rewards.set(t["replay/rewards"]!.data);
      rb.terminated.set(t["replay/terminated"]!.data);
      rb.setState(meta["replay"] as { pos: number; count: number });
      this.replay = rb;
    }
    this.fast = compileSpec({ ...this.qSpec(), obsNorm: undefined });
  }

  /** Loads a model saved by `save` (config, weights, target network, optimizer, counters). */
  static load(path: string): DQN {
    const { artifact, options } = Algorithm.readAgent(path, "dqn");
    const model = new DQN(options as unknown as DqnOptions);
    model.restoreFrom(artifact);
    return model;
  }
}
