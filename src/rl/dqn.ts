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
 * Networks are MLPs or CNNs (`convs`, e.g. "conv16x3" before `hiddenSizes`, MinAtar's baseline).
 * Acting while training and the gradient steps run on src/nn's float32 SIMD kernels (KernelQNetwork: forward
 * and backward without the gradient tape, dueling heads included; Adam on one flat vector);
 * `act`/`predict` use the float64 compiled forward that export and the runtime share.
 */

import { resolveConfig } from "../core/config.js";
import { ArtifactError, ConfigError } from "../core/errors.js";
import type { Action, ActionDistribution, ActOptions } from "../core/policy.js";
import { Rng } from "../core/rng.js";
import { linearSchedule } from "../core/schedules.js";
import { archLayers, parseConvs, torchDefaultInit } from "../nn/arch.js";
import {
  adamStateFromTensors,
  adamStateToTensors,
  type LoadedArtifact,
  type StoredTensor,
} from "../nn/checkpoint.js";
import { argmax, softmaxProbs } from "../nn/distributions.js";
import { type CompiledPolicy, compileSpec } from "../nn/fast.js";
import { countParams, flattenParams } from "../nn/kernels/plan.js";
import { KernelQNetwork, type QLayers } from "../nn/kernels/q-network.js";
import { type AdamState, ArrayAdam } from "../nn/optim.js";
import type { FloatArray } from "../nn/params.js";
import { mlpLayers } from "../nn/sequential.js";
import type { Activation, PolicySpec } from "../nn/spec.js";
import { readAgentFile } from "./agent-file.js";
import { Algorithm, type CommonOptions, type EnvSetup, type SaveOptions } from "./algorithm.js";
import { DQN_SCHEMA, type DqnConfig } from "./dqn-config.js";
import { dqnLossGrad, tdTargetArray } from "./losses.js";
import { qParamNames, qSpecLayers } from "./q-weights.js";
import { type ReplayBatch, ReplayBuffer } from "./replay-buffer.js";

export { DQN_SCHEMA, type DqnConfig } from "./dqn-config.js";

export type DqnOptions = CommonOptions & Partial<DqnConfig>;

/** The training copies: online and target Q-networks on the kernels, the flat gradient and Adam. */
interface DqnNets {
  online: KernelQNetwork;
  target: KernelQNetwork;
  grad: Float32Array;
  optimizer: ArrayAdam;
}

export class DQN extends Algorithm<DqnConfig> {
  readonly algo = "dqn";
  /** The Q-network's layers (the whole network, or the trunk and dueling heads); weights live in `values`. */
  private readonly q: QLayers;
  /** Online weights, flat [trunk, value head, advantage head] (QNetwork's variable order). */
  private values: Float32Array;
  /** Target network weights (same layout), or null until training builds it (then = online). */
  private targetValues: Float32Array | null = null;
  private compiled: CompiledPolicy | null = null;
  private nets: DqnNets | null = null;
  private pendingAdam: AdamState | null = null;
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
    const c = this.config;
    const n = this.spaces.actionSize;
    const arch = { convs: parseConvs(c.convs, "dqn.convs"), hidden: c.hiddenSizes };
    const initRng = this.rng.spawn(0);
    // PyTorch's init draws its own numbers: the orthogonal layers are then only a template.
    const torch = c.init === "torch";
    const layerRng = torch ? new Rng(0) : initRng;
    const layerOpts = { activation: c.activation as Activation, outGain: 1 };
    const trunk = archLayers(
      arch,
      this.spaces.obsShape,
      { ...layerOpts, outSize: c.dueling ? undefined : n },
      layerRng,
    );
    this.q = { trunk };
    if (c.dueling) {
      const h = c.hiddenSizes[c.hiddenSizes.length - 1]!;
      const head = (outSize: number) =>
        mlpLayers({ inSize: h, hidden: [], outSize, outGain: 1 }, layerRng)[0]!;
      this.q = { trunk, value: head(1), advantage: head(n) };
    }
    const all = [...trunk, ...(this.q.value ? [this.q.value, this.q.advantage!] : [])];
    if (torch) torchDefaultInit(all, initRng);
    this.values = flattenParams(all);
  }

  /** Online network weights as plain arrays ("net/fc0.weight", "net/conv0.bias", ...; "value/..." and "advantage/..." when dueling). */
  get weights(): Record<string, FloatArray> {
    return this.named(this.values);
  }

  private named(values: Float32Array): Record<string, FloatArray> {
    const out: Record<string, FloatArray> = {};
    let at = 0;
    for (const p of qParamNames(this.q)) {
      out[p.name] = { data: values.slice(at, at + p.size), shape: p.shape };
      at += p.size;
    }
    return out;
  }

  /** The compiled float64 forward of `act`/`predict` (on normalised observations), rebuilt when stale. */
  private get fast(): CompiledPolicy {
    this.compiled ??= compileSpec({ ...this.qSpec(), obsNorm: undefined });
    return this.compiled;
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
          q ??= nets.online.forward(this.obs, N);
          actions[i] = argmax(q, i * actionSize, actionSize);
        }
      }
      prevObs.set(this.obs);
      const step = this.vecEnv!.step(actions);
      this.recordStep(step);
      const go = this.advance(step);
      replay.addStep(prevObs, actions, step, (i) => this.nextObs(step, i));
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
        this.compiled = null;
      }
      if (
        Math.floor(this.numTimesteps / c.targetNetworkFrequency) >
        Math.floor(lastTarget / c.targetNetworkFrequency)
      ) {
        this.updateTarget(nets, c.tau);
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

  /**
   * One gradient step on the kernels: the TD target from the target network (and the online one
   * for double DQN) without gradient, `dqnLossGrad` (the same math as `dqnLoss`) for dLoss/dQ,
   * the online network's backward, clipping and Adam on the flat gradient.
   */
  private gradientStep(nets: DqnNets, b: ReplayBatch): void {
    const c = this.config;
    const n = this.spaces.actionSize;
    const B = b.size;
    const nextQ = nets.target.forward(b.nextObs, B);
    const nextOnline = c.doubleQ ? nets.online.forward(b.nextObs, B) : null;
    const target = tdTargetArray(nextQ, nextOnline, b.rewards, b.terminated, c.gamma, n);
    const res = dqnLossGrad(nets.online.forward(b.obs, B), b.actions, target, n, c.loss as "mse" | "huber");
    nets.online.backward(res.dQ, nets.grad, 0);
    // No clipping by default (CleanRL): skip the norm, a pass over every parameter.
    if (c.maxGradNorm !== null) nets.optimizer.clipGradNorm(c.maxGradNorm);
    nets.optimizer.apply();
    nets.online.setParams(this.values, 0);
    this.nUpdates++;
    this.logger.recordMean("train/loss", res.loss);
    this.logger.recordMean("train/q_values", res.metrics["q_values"]!);
  }

  /** Polyak update target <- tau * online + (1 - tau) * target (tau = 1: a copy). */
  private updateTarget(nets: DqnNets, tau: number): void {
    const t = this.targetValues!;
    const v = this.values;
    if (tau === 1) t.set(v);
    else for (let i = 0; i < t.length; i++) t[i] = tau * v[i]! + (1 - tau) * t[i]!;
    nets.target.setParams(t, 0);
  }

  /** Online and target networks on the kernels and Adam over the online weights (at the first `learn()`). */
  private buildNets(): DqnNets {
    if (this.nets) return this.nets;
    const online = new KernelQNetwork(this.q);
    const target = new KernelQNetwork(this.q);
    this.targetValues ??= this.values.slice();
    online.setParams(this.values, 0);
    target.setParams(this.targetValues, 0);
    const grad = new Float32Array(this.values.length);
    const optimizer = new ArrayAdam([{ values: this.values, grad, sizes: online.sizes }], {
      lr: this.config.learningRate,
      eps: this.config.adamEps,
    });
    if (this.pendingAdam) optimizer.setState(this.pendingAdam);
    this.pendingAdam = null;
    this.nets = { online, target, grad, optimizer };
    return this.nets;
  }

  // ---- export, save, load -------------------------------------------------------------------

  /** The online network as a spec with output "q" (dueling heads folded into one layer). */
  private qSpec(): PolicySpec {
    return {
      obsShape: [...this.spaces.obsShape],
      obsNorm: this.normalizer?.obsNormSpec(),
      output: "q",
      actionSize: this.spaces.actionSize,
      layers: qSpecLayers(this.q, this.values),
    };
  }

  toPolicySpec(): PolicySpec {
    return this.qSpec();
  }

  paramCount(): number {
    return this.values.length;
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
      for (const [k, v] of Object.entries(this.named(this.targetValues ?? this.values)))
        out[`target/${k}`] = v;
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
    const t = artifact.tensors;
    const names = qParamNames(this.q);
    const read = (prefix: string): Float32Array => {
      const flat = new Float32Array(this.values.length);
      let at = 0;
      for (const p of names) {
        const stored = t[`${prefix}${p.name}`];
        if (!stored || !(stored.data instanceof Float32Array) || stored.data.length !== p.size) {
          throw new ArtifactError(`tensor ${prefix}${p.name}: missing or not ${p.size} float32 values`);
        }
        flat.set(stored.data, at);
        at += p.size;
      }
      return flat;
    };
    if (this.q.value) this.values = read("q/");
    else {
      // Not dueling: the policy is the Q-network itself.
      if (countParams(policy.layers) !== this.values.length || policy.layers.length !== this.q.trunk.length)
        throw new ArtifactError(
          `the policy's layers do not match the config's network (${this.q.trunk.length} layers)`,
        );
      this.values = flattenParams(policy.layers);
    }
    // Without a stored target network (a lean file), training resumes with target = online.
    this.targetValues = t[`target/${names[0]!.name}`] ? read("target/") : null;
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
    this.nets = null;
    this.compiled = null;
  }

  /** Loads a model saved by `save` (config, weights, target network, optimizer, counters). */
  static load(path: string, overrides: Partial<DqnConfig> = {}): DQN {
    const { artifact, options, changed } = readAgentFile(path, "dqn", overrides);
    const model = new DQN(options as unknown as DqnOptions);
    model.restoreFrom(artifact, changed);
    return model;
  }
}
