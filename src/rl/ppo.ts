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
 * Networks are MLPs or CNNs (`convs`, e.g. "conv16x3" before the `hiddenSizes` dense layers, as
 * MinAtar's baseline; src/nn/arch.ts). Rollouts and gradient steps run on src/nn's float32 SIMD
 * kernels (KernelNet: forward and backward without the gradient tape, Adam on one flat vector);
 * `act`/`predict` use the float64 compiled forward (`compileSpec`) that export and the runtime share.
 */

import { resolveConfig } from "../core/config.js";
import type { Action, ActionDistribution, ActOptions } from "../core/policy.js";
import { archLayers, parseConvs } from "../nn/arch.js";
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
import { countParams } from "../nn/kernels/plan.js";
import { type AdamState, ArrayAdam } from "../nn/optim.js";
import type { Activation, LayerSpec, PolicySpec } from "../nn/spec.js";
import { ActorCriticNets } from "./actor-critic-nets.js";
import { readAgentFile } from "./agent-file.js";
import { Algorithm, type CommonOptions, type EnvSetup, type SaveOptions } from "./algorithm.js";
import { ppoLossGrad } from "./losses.js";
import { PPO_SCHEMA, type PpoConfig } from "./ppo-config.js";
import { RolloutBuffer } from "./rollout-buffer.js";
import { explainedVariance, normalizeAdvantages } from "./stats.js";

export { PPO_SCHEMA, type PpoConfig } from "./ppo-config.js";

export type PpoOptions = CommonOptions & Partial<PpoConfig>;

/** The training copy of the networks (on the SIMD kernels) and Adam over their flat parameters. */
interface PpoNets {
  ac: ActorCriticNets;
  optimizer: ArrayAdam;
}

export class PPO extends Algorithm<PpoConfig> {
  readonly algo = "ppo";
  /** Current weights as plain arrays (the acting copy of `act`/`predict` and of exports). */
  actorLayers: LayerSpec[];
  criticLayers: LayerSpec[];
  logStd: Float32Array;
  /** The compiled float64 forward of `act`/`predict` (on normalised observations), rebuilt when stale. */
  private compiled: CompiledPolicy | null = null;
  private nets: PpoNets | null = null;
  private pendingAdam: AdamState | null = null;
  private buffer: RolloutBuffer | null = null;
  private nUpdates = 0;

  constructor(opts: PpoOptions) {
    const { env, envKwargs, seed, verbose, ...rest } = opts;
    super({ env, envKwargs, seed, verbose }, resolveConfig(PPO_SCHEMA, rest, "ppo"));
    const c = this.config;
    const { obsShape, actionSize } = this.spaces;
    const initRng = this.rng.spawn(0);
    const arch = { convs: parseConvs(c.convs, "ppo.convs"), hidden: c.hiddenSizes };
    const activation = c.activation as Activation;
    this.actorLayers = archLayers(
      arch,
      obsShape,
      { activation, outGain: 0.01, outSize: actionSize },
      initRng,
    );
    this.criticLayers = archLayers(arch, obsShape, { activation, outGain: 1, outSize: 1 }, initRng);
    // One trunk: the critic's hidden layers are the actor's (its own output head stays).
    if (c.sharedTrunk) this.criticLayers = [...this.actorLayers.slice(0, -1), ...this.criticLayers.slice(-1)];
    this.logStd = new Float32Array(this.spaces.discrete ? 0 : actionSize).fill(c.logStdInit);
  }

  /** The current weights compiled (without obs normalisation: callers pass normalised observations). */
  private get fast(): CompiledPolicy {
    this.compiled ??= compileSpec({ ...this.toPolicySpec(), obsNorm: undefined });
    return this.compiled;
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
      if (!(await this.collectRollout(buffer, nets))) break;
      buffer.computeReturnsAndAdvantages(nets.ac.value(this.obs, N), c.gamma, c.gaeLambda);
      await this.update(nets, buffer, minibatchSize);
      if (iteration % c.logInterval === 0) this.dumpLogs({ "time/iterations": iteration });
    }
  }

  /** Fills the buffer with `numSteps` vector steps of the current policy; false if a callback said stop. */
  private async collectRollout(buffer: RolloutBuffer, nets: PpoNets): Promise<boolean> {
    const { actionSize: n, discrete } = this.spaces;
    const N = this.config.numEnvs;
    const actions = new Float32Array(N * (discrete ? 1 : n));
    const envActions = discrete ? new Int32Array(N) : new Float32Array(N * n);
    const logProbs = new Float32Array(N);
    await this.rolloutStart();
    buffer.reset();
    for (let t = 0; t < this.config.numSteps; t++) {
      // Views into the kernels' buffers: used (and the values copied by buffer.add) before the next forward.
      const { out, value: values } = nets.ac.forward(this.obs, N);
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
          buffer.setFinalValue(i, nets.ac.value(finalObs, 1)[0]!);
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
  private async update(nets: PpoNets, buffer: RolloutBuffer, minibatchSize: number): Promise<void> {
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
   * One minibatch step on the SIMD kernels: forward of actor and critic keeping activations,
   * CleanRL's loss and its output gradients in plain JS (`ppoLossGrad`, the same function as
   * `ppoLoss`), the backward of both networks into one flat gradient, global-norm clipping, Adam.
   */
  private gradientStep(
    nets: PpoNets,
    mb: ReturnType<RolloutBuffer["gather"]>,
  ): { loss: number; metrics: Record<string, number> } {
    const B = mb.size;
    const { actionSize: n, discrete } = this.spaces;
    const { ac, optimizer } = nets;
    const { out, value } = ac.forward(mb.obs, B);
    const res = ppoLossGrad(
      {
        size: B,
        out,
        value,
        actions: mb.actions,
        logStd: discrete ? undefined : ac.logStd,
        oldLogProb: mb.logProbs,
        advantages: mb.advantages,
        returns: mb.returns,
        oldValues: mb.values,
      },
      n,
      discrete,
      this.config,
    );
    ac.backward(res.dOut, res.dLogStd, res.dValue);
    optimizer.clipGradNorm(this.config.maxGradNorm);
    optimizer.apply();
    ac.paramsChanged();
    return { loss: res.loss, metrics: res.metrics };
  }

  /** The training copy, built from the plain weights at the first `learn()`, and Adam over it. */
  private buildNets(): PpoNets {
    if (this.nets) return this.nets;
    const ac = new ActorCriticNets(this.actorLayers, this.criticLayers, this.logStd, {
      shared: this.config.sharedTrunk,
    });
    const optimizer = new ArrayAdam([ac.group()], { lr: this.config.learningRate, eps: this.config.adamEps });
    if (this.pendingAdam) optimizer.setState(this.pendingAdam);
    this.pendingAdam = null;
    this.nets = { ac, optimizer };
    return this.nets;
  }

  /** Copies the trained weights back to the plain arrays that `act`, exports and saves read. */
  private syncFromNets(): void {
    const { actor, critic, logStd } = this.nets!.ac.layers();
    this.actorLayers = actor;
    this.criticLayers = critic;
    this.logStd = logStd;
    this.compiled = null;
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
    // A shared trunk is stored in both specs but trained (and counted) once.
    const critic = this.config.sharedTrunk ? this.criticLayers.slice(-1) : this.criticLayers;
    return countParams(this.actorLayers) + countParams(critic) + this.logStd.length;
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
    this.actorLayers = policy.layers;
    this.criticLayers = policy.valueLayers!;
    if (policy.logStd) this.logStd = policy.logStd;
    this.pendingAdam = artifact.tensors["optimizer/step"] ? adamStateFromTensors(artifact.tensors) : null;
    this.nUpdates = Number(artifact.meta?.["nUpdates"] ?? 0);
    this.nets = null;
    this.compiled = null;
  }

  /** Loads a model saved by `save` (config, weights, optimizer, counters), ready to act or to `learn` on. */
  static load(path: string, overrides: Partial<PpoConfig> = {}): PPO {
    const { artifact, options, changed } = readAgentFile(path, "ppo", overrides);
    const model = new PPO(options as unknown as PpoOptions);
    model.restoreFrom(artifact, changed);
    return model;
  }
}
