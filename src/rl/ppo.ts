/**
 * Proximal Policy Optimization (Schulman et al. 2017, https://arxiv.org/abs/1707.06347), as
 * CleanRL's ppo.py / ppo_continuous_action.py: separate actor and critic MLPs with orthogonal
 * init, GAE, clipped surrogate, optional clipped value loss, entropy bonus, per-minibatch
 * advantage normalisation, global-norm gradient clipping, linear learning-rate annealing.
 * One deliberate difference: time-limit truncations bootstrap from V(finalObs) as SB3 does
 * (CleanRL treats them as terminations).
 *
 *   const model = new PPO({ env: "CartPole-v1", seed: 1 });
 *   await model.learn({ totalTimesteps: 100_000 });
 *   model.predict(obs, { deterministic: true });
 *
 * Acting uses a synchronous Float32Array forward over the N observations of the vector env;
 * tfjs runs only the gradient steps.
 */

import { type ConfigOf, type ConfigSchema, resolveConfig } from "../core/config.js";
import type { Action, ActionDistribution, ActOptions } from "../core/policy.js";
import {
  adamStateFromTensors,
  adamStateToTensors,
  type LoadedArtifact,
  type StoredTensor,
} from "../nn/checkpoint.js";
import {
  argmax,
  categoricalLogProb,
  sampleCategorical,
  sampleGaussian,
  softmaxProbs,
} from "../nn/distributions.js";
import { type CompiledPolicy, compileSpec } from "../nn/fast.js";
import { ActorCritic, initBackend, mlpLayers, tf } from "../nn/index.js";
import { Adam, type AdamState, clipInPlace } from "../nn/optim.js";
import type { DenseLayerSpec, PolicySpec } from "../nn/spec.js";
import { Algorithm, type CommonOptions, type EnvSetup, type SaveOptions } from "./algorithm.js";
import { type PpoLossGrad, ppoLossGrad } from "./losses.js";
import {
  type DenseStack,
  denseBackward,
  denseForward,
  denseStack,
  readInto,
  transposeWithOnes,
} from "./mlp-grad.js";
import { RolloutBuffer } from "./rollout-buffer.js";
import { explainedVariance, normalizeAdvantages } from "./stats.js";

/** PPO's hyperparameters; defaults are CleanRL's ppo.py (classic control). */
export const PPO_SCHEMA = {
  learningRate: { type: "number", default: 2.5e-4, min: 0, exclusiveMin: true, help: "Adam learning rate" },
  numEnvs: { type: "integer", default: 4, min: 1, help: "parallel envs in the rollout" },
  numSteps: { type: "integer", default: 128, min: 1, help: "steps per env per rollout" },
  annealLr: { type: "boolean", default: true, help: "decay the learning rate linearly to 0" },
  gamma: { type: "number", default: 0.99, min: 0, max: 1, help: "discount factor" },
  gaeLambda: { type: "number", default: 0.95, min: 0, max: 1, help: "GAE lambda" },
  numMinibatches: { type: "integer", default: 4, min: 1, help: "minibatches per epoch" },
  updateEpochs: { type: "integer", default: 4, min: 1, help: "passes over each rollout" },
  normAdv: { type: "boolean", default: true, help: "normalise advantages per minibatch" },
  clipCoef: { type: "number", default: 0.2, min: 0, exclusiveMin: true, help: "surrogate clipping epsilon" },
  clipVloss: { type: "boolean", default: true, help: "clip the value loss around the old values" },
  entCoef: { type: "number", default: 0.01, min: 0, help: "entropy bonus coefficient" },
  vfCoef: { type: "number", default: 0.5, min: 0, help: "value loss coefficient" },
  maxGradNorm: {
    type: "number",
    default: 0.5,
    min: 0,
    exclusiveMin: true,
    help: "global gradient-norm clip",
  },
  targetKl: {
    type: "number",
    default: null,
    nullable: true,
    min: 0,
    help: "stop the epochs early above this KL",
  },
  hiddenSizes: {
    type: "integer[]",
    default: [64, 64],
    min: 1,
    minLength: 1,
    help: "hidden widths of actor and critic",
  },
  activation: { type: "string", default: "tanh", choices: ["tanh", "relu"], help: "hidden activation" },
  adamEps: {
    type: "number",
    default: 1e-5,
    min: 0,
    exclusiveMin: true,
    help: "Adam epsilon (CleanRL: 1e-5)",
  },
  logStdInit: { type: "number", default: 0, help: "initial log std (continuous actions)" },
  normalizeObs: { type: "boolean", default: false, help: "running observation normalisation" },
  normalizeReward: { type: "boolean", default: false, help: "scale rewards by the return std" },
  logInterval: { type: "integer", default: 1, min: 1, help: "iterations between log dumps" },
} satisfies ConfigSchema;

/** PPO's flat config (see `PPO_SCHEMA` for each field's default and bounds). */
export type PpoConfig = ConfigOf<typeof PPO_SCHEMA>;
export type PpoOptions = CommonOptions & Partial<PpoConfig>;

export class PPO extends Algorithm<PpoConfig> {
  readonly algo = "ppo";
  /** Current weights as plain arrays (the acting copy; the tf variables exist only while training). */
  actorLayers: DenseLayerSpec[];
  criticLayers: DenseLayerSpec[];
  logStd: Float32Array;
  /** The acting copy compiled for synchronous Float32Array forwards (on normalised observations). */
  private fast: CompiledPolicy;
  private readonly oneValue = new Float32Array(1);
  private nets: {
    ac: ActorCritic;
    optimizer: Adam;
    actor: DenseStack;
    critic: DenseStack;
    /** The flat gradient, reused every step. */
    grad: Float32Array;
  } | null = null;
  private pendingAdam: AdamState | null = null;
  private buffer: RolloutBuffer | null = null;
  private nUpdates = 0;

  constructor(opts: PpoOptions) {
    const { env, envKwargs, seed, verbose, ...rest } = opts;
    super({ env, envKwargs, seed, verbose }, resolveConfig(PPO_SCHEMA, rest, "ppo"));
    const c = this.config;
    const { obsSize, actionSize } = this.spaces;
    const initRng = this.rng.spawn(0);
    const hidden = { inSize: obsSize, hidden: c.hiddenSizes, activation: c.activation as "tanh" | "relu" };
    this.actorLayers = mlpLayers({ ...hidden, outSize: actionSize, outGain: 0.01 }, initRng);
    this.criticLayers = mlpLayers({ ...hidden, outSize: 1, outGain: 1 }, initRng);
    this.logStd = new Float32Array(this.spaces.discrete ? 0 : actionSize).fill(c.logStdInit);
    this.fast = this.compile();
  }

  /** Compiles the current weights (without obs normalisation: callers pass normalised observations). */
  private compile(): CompiledPolicy {
    return compileSpec({ ...this.toPolicySpec(), obsNorm: undefined });
  }

  // ---- acting -------------------------------------------------------------------------------

  act(obs: Float32Array, opts: ActOptions = {}): Action {
    const out = this.fast.forward(this.prepare(obs), 1);
    const n = this.spaces.actionSize;
    if (this.spaces.discrete) {
      if (opts.deterministic ?? true) return argmax(out, 0, n);
      return sampleCategorical(out, opts.rng ?? this.actRng, 0, n);
    }
    const a = new Float32Array(n);
    if (opts.deterministic ?? true) a.set(out.subarray(0, n));
    else sampleGaussian(out, 0, this.logStd, n, opts.rng ?? this.actRng, a, 0);
    return this.clipAction(a);
  }

  distribution(obs: Float32Array): ActionDistribution {
    const out = this.fast.forward(this.prepare(obs), 1);
    const n = this.spaces.actionSize;
    if (this.spaces.discrete) return { kind: "categorical", probs: softmaxProbs(out, 0, n) };
    return {
      kind: "gaussian",
      mean: Float64Array.from(out.subarray(0, n)),
      std: Float64Array.from(this.logStd, Math.exp),
    };
  }

  /** Clips one action, or a row-major batch of them, to the action bounds (as SB3 does). */
  private clipAction(a: Float32Array): Float32Array {
    const { actionLow: lo, actionHigh: hi, actionSize: d } = this.spaces;
    for (let j = 0; j < a.length; j++) a[j] = Math.min(Math.max(a[j]!, lo![j % d]!), hi![j % d]!);
    return a;
  }

  // ---- training -----------------------------------------------------------------------------

  protected async trainLoop(): Promise<void> {
    const c = this.config;
    await initBackend();
    this.setupEnv();
    const nets = this.buildNets();
    const { obsSize, actionSize, discrete } = this.spaces;
    const N = c.numEnvs;
    const actDim = discrete ? 1 : actionSize;
    this.buffer ??= new RolloutBuffer(c.numSteps, N, obsSize, actDim, {
      obsDtype: this.obsStorageDtype(c.normalizeObs),
    });
    const buffer = this.buffer;
    const batchSize = N * c.numSteps;
    const minibatchSize = Math.max(1, Math.floor(batchSize / c.numMinibatches));
    let iteration = 0;
    while (this.numTimesteps < this.totalTimesteps) {
      iteration++;
      // CleanRL anneals with frac = 1 - (iteration - 1) / numIterations, i.e. by progress at the start.
      nets.optimizer.lr = c.annealLr ? c.learningRate * (1 - this.progress()) : c.learningRate;
      // A callback that stops training mid-rollout skips the update of the partial rollout (as SB3).
      if (!(await this.collectRollout(buffer))) break;
      buffer.computeReturnsAndAdvantages(this.fast.value!(this.obs, N), c.gamma, c.gaeLambda);
      await this.update(nets, buffer, minibatchSize);
      if (iteration % c.logInterval === 0) this.dumpLogs({ "time/iterations": iteration });
    }
  }

  /** Fills the buffer with `numSteps` vector steps of the current policy; false if a callback said stop. */
  private async collectRollout(buffer: RolloutBuffer): Promise<boolean> {
    const { actionSize: n, discrete } = this.spaces;
    const N = this.config.numEnvs;
    const actions = new Float32Array(N * (discrete ? 1 : n));
    const envActions = discrete ? new Int32Array(N) : new Float32Array(N * n);
    const logProbs = new Float32Array(N);
    await this.rolloutStart();
    buffer.reset();
    for (let t = 0; t < this.config.numSteps; t++) {
      const out = this.fast.forward(this.obs, N);
      const values = this.fast.value!(this.obs, N);
      for (let i = 0; i < N; i++) {
        if (discrete) {
          const a = sampleCategorical(out, this.rng, i * n, n);
          actions[i] = a;
          envActions[i] = a;
          logProbs[i] = categoricalLogProb(out, i * n, n, a);
        } else logProbs[i] = sampleGaussian(out, i * n, this.logStd, n, this.rng, actions, i * n);
      }
      // The buffer keeps the sampled action; the env gets it clipped to the bounds.
      if (!discrete) {
        envActions.set(actions);
        this.clipAction(envActions as Float32Array);
      }
      const step = this.vecEnv!.step(envActions);
      this.recordStep(step);
      buffer.add(this.obs, actions, logProbs, values, step.rewards, step.terminated, step.truncated);
      for (let i = 0; i < N; i++) {
        if (step.truncated[i] && !step.terminated[i]) {
          const finalObs = this.normalizeOne(step.finalObs[i]!);
          buffer.setFinalValue(i, this.fast.value!(finalObs, 1, this.oneValue)[0]!);
        }
      }
      const go = this.advance(step);
      if (go === false || (go instanceof Promise && !(await go))) return false;
      const pause = this.maybeYield();
      if (pause) await pause;
    }
    await this.rolloutEnd();
    return true;
  }

  /** The epochs of minibatch gradient steps on one rollout, then the acting copy is refreshed. */
  private async update(
    nets: NonNullable<PPO["nets"]>,
    buffer: RolloutBuffer,
    minibatchSize: number,
  ): Promise<void> {
    const c = this.config;
    const log = this.logger;
    for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      let lastKl = 0;
      for (const idx of buffer.minibatchIndices(minibatchSize, this.rng)) {
        const mb = buffer.gather(idx);
        if (c.normAdv && mb.size > 1) normalizeAdvantages(mb.advantages);
        const res = this.gradientStep(nets, mb);
        this.nUpdates++;
        for (const [k, v] of Object.entries(res.metrics)) log.recordMean(`train/${k}`, v);
        log.recordMean("train/loss", res.loss);
        lastKl = res.metrics["approx_kl"]!;
        const pause = this.maybeYield();
        if (pause) await pause;
      }
      if (c.targetKl !== null && lastKl > c.targetKl) break;
    }
    this.syncFromNets();
    log.record("train/learning_rate", nets.optimizer.lr);
    log.record("train/n_updates", this.nUpdates);
    log.record("train/explained_variance", explainedVariance(buffer.values, buffer.returns));
    if (!this.spaces.discrete)
      log.record("train/std", Math.exp(this.logStd.reduce((a, b) => a + b, 0) / this.logStd.length));
  }

  /**
   * One minibatch step: forward of actor and critic without the gradient tape (mlp-grad.ts),
   * CleanRL's loss and its output gradients in plain JS (`ppoLossGrad`, the same function as
   * `ppoLoss`), the backward of both networks, global-norm clipping and Adam on the flat gradient.
   */
  private gradientStep(
    nets: NonNullable<PPO["nets"]>,
    mb: ReturnType<RolloutBuffer["gather"]>,
  ): { loss: number; metrics: Record<string, number> } {
    const B = mb.size;
    const { obsSize, actionSize: n, discrete } = this.spaces;
    const { actor, critic, grad } = nets;
    let res: PpoLossGrad | undefined;
    tf.tidy(() => {
      const obs = tf.tensor2d(mb.obs, [B, obsSize]);
      const ta = denseForward(actor, obs);
      const tc = denseForward(critic, obs);
      res = ppoLossGrad(
        {
          size: B,
          out: ta.out.dataSync(),
          value: tc.out.dataSync(),
          actions: mb.actions,
          logStd: nets.ac.logStd ? (nets.ac.logStd.dataSync() as Float32Array) : undefined,
          oldLogProb: mb.logProbs,
          advantages: mb.advantages,
          returns: mb.returns,
          oldValues: mb.values,
        },
        n,
        discrete,
        this.config,
      );
      const obsT1 = tf.tensor2d(transposeWithOnes(mb.obs, B, obsSize), [obsSize + 1, B]);
      let at = readInto(grad, 0, denseBackward(actor, ta, tf.tensor2d(res.dOut, [B, n]), obsT1));
      grad.set(res.dLogStd, at);
      at += res.dLogStd.length;
      readInto(grad, at, denseBackward(critic, tc, tf.tensor2d(res.dValue, [B, 1]), obsT1));
    });
    clipInPlace(grad, this.config.maxGradNorm);
    nets.optimizer.applyArray(grad);
    return { loss: res!.loss, metrics: res!.metrics };
  }

  /** tf variables for training, built from the plain weights at the first `learn()`. */
  private buildNets(): NonNullable<PPO["nets"]> {
    if (this.nets) return this.nets;
    const ac = ActorCritic.fromSpec(this.toPolicySpec(), "ppo");
    const optimizer = new Adam(ac.variables, { lr: this.config.learningRate, eps: this.config.adamEps });
    if (this.pendingAdam) optimizer.setState(this.pendingAdam);
    this.pendingAdam = null;
    const actor = denseStack(ac.actor.variables, this.actorLayers);
    const critic = denseStack(ac.critic.variables, this.criticLayers);
    if (!actor || !critic) throw new Error("PPO: actor and critic must be dense stacks");
    this.nets = { ac, optimizer, actor, critic, grad: new Float32Array(optimizer.size) };
    return this.nets;
  }

  /** Copies the trained weights back to the plain arrays the fast forward acts with. */
  private syncFromNets(): void {
    const spec = this.nets!.ac.toSpec();
    this.actorLayers = spec.layers as DenseLayerSpec[];
    this.criticLayers = spec.valueLayers as DenseLayerSpec[];
    if (spec.logStd) this.logStd = spec.logStd;
    this.fast = this.compile();
  }

  // ---- export, save, load -------------------------------------------------------------------

  toPolicySpec(): PolicySpec {
    const { obsShape, discrete, actionSize, actionLow, actionHigh } = this.spaces;
    return {
      obsShape: [...obsShape],
      obsNorm: this.normalizer?.obsNormSpec(),
      output: discrete ? "logits" : "mean",
      actionSize,
      layers: this.actorLayers.map((l) => ({ ...l })),
      ...(discrete ? {} : { logStd: Float32Array.from(this.logStd), actionLow, actionHigh }),
      valueLayers: this.criticLayers.map((l) => ({ ...l })),
    };
  }

  paramCount(): number {
    const count = (ls: DenseLayerSpec[]) => ls.reduce((n, l) => n + l.weight.length + l.bias.length, 0);
    return count(this.actorLayers) + count(this.criticLayers) + this.logStd.length;
  }

  protected envSetup(): EnvSetup {
    const c = this.config;
    return {
      numEnvs: c.numEnvs,
      normalizeObs: c.normalizeObs,
      normalizeReward: c.normalizeReward,
      gamma: c.gamma,
    };
  }

  protected stateTensors(opts: SaveOptions): Record<string, StoredTensor> {
    if (!opts.includeTrainingState) return {};
    const adam = this.nets ? this.nets.optimizer.getState() : this.pendingAdam;
    return adam ? adamStateToTensors(adam) : {};
  }

  protected stateMeta(): Record<string, unknown> {
    return { nUpdates: this.nUpdates };
  }

  protected restoreState(artifact: LoadedArtifact, policy: PolicySpec): void {
    this.actorLayers = policy.layers as DenseLayerSpec[];
    this.criticLayers = policy.valueLayers as DenseLayerSpec[];
    if (policy.logStd) this.logStd = policy.logStd;
    this.pendingAdam = artifact.tensors["optimizer/step"] ? adamStateFromTensors(artifact.tensors) : null;
    this.nUpdates = Number(artifact.meta?.["nUpdates"] ?? 0);
    this.fast = this.compile();
  }

  /** Loads a model saved by `save` (config, weights, optimizer, counters), ready to act or to `learn` on. */
  static load(path: string): PPO {
    const { artifact, options } = Algorithm.readAgent(path, "ppo");
    const model = new PPO(options as unknown as PpoOptions);
    model.restoreFrom(artifact);
    return model;
  }
}
