/**
 * What SAC and TD3 share as algorithms (their networks' plumbing is off-policy-nets.ts): the
 * replay loop (uniform random actions in [-1, 1] for the first `learningStarts` steps, then the
 * subclass's exploration; every transition into the replay buffer with `finalObs` for time-limit
 * truncations; a training round every `trainFrequency` vector steps), the actor's compiled forward
 * for `act`, the deterministic policy spec, and the checkpoint layout: networks under their names,
 * Adam moments under `<optimizer>/optimizer/`, targets and moments only with the training state.
 *
 * A subclass builds its plain weights in its constructor (the init order is its own, so seeds keep
 * their results) and supplies its exploration, gradient step and optimizers:
 *
 *   class TD3 extends OffPolicyAlgorithm<Td3Config, Td3Nets> {
 *     protected explore(nets, actions, n) { ... }      // actions in [-1, 1], rows of the n envs
 *     protected gradientStep(nets, batch) { ... }
 *     protected createNets() { return { actor, critics, targets, optimizers: { actor, critic } }; }
 *   }
 */
import {
  adamStateFromTensors,
  adamStateToTensors,
  type LoadedArtifact,
  type StoredTensor,
} from "../nn/checkpoint.js";
import { type CompiledPolicy, compileSpec } from "../nn/fast.js";
import { countParams } from "../nn/kernels/plan.js";
import type { AdamState, ArrayAdam } from "../nn/optim.js";
import type { DenseLayerSpec, PolicySpec } from "../nn/spec.js";
import { Algorithm, type EnvSetup, type SaveOptions } from "./algorithm.js";
import {
  copyLayers,
  criticLayers,
  type DenseNets,
  layersFromTensors,
  layersToTensors,
  replayFromTensors,
  replayToTensors,
  squashedPolicySpec,
  toBounds,
} from "./off-policy-nets.js";
import { type ReplayBatch, ReplayBuffer } from "./replay-buffer.js";

/** The config fields the shared loop reads (SAC and TD3 both have them). */
export interface OffPolicyConfig {
  bufferSize: number;
  learningStarts: number;
  batchSize: number;
  gamma: number;
  hiddenSizes: number[];
  numEnvs: number;
  normalizeObs: boolean;
  logInterval: number;
  /** Vector steps between training rounds (absent: every step). */
  trainFrequency?: number;
  /** Gradient steps per training round (absent: one). */
  gradientSteps?: number;
}

/** Plain weights of the networks: the actor, the twin critics and their targets (TD3: the actor's too). */
export interface OffPolicyLayers {
  actor: DenseLayerSpec[];
  q1: DenseLayerSpec[];
  q2: DenseLayerSpec[];
  q1Target: DenseLayerSpec[];
  q2Target: DenseLayerSpec[];
  actorTarget?: DenseLayerSpec[];
}
export type NetName = keyof OffPolicyLayers;

/** The training copies on the kernels (built at the first `learn()`), with their optimizers. */
export interface OffPolicyNets {
  actor: DenseNets;
  /** Q1 and Q2 (networks 0 and 1), one parameter vector, one Adam. */
  critics: DenseNets;
  targets: DenseNets;
  actorTarget?: DenseNets;
  /** By the name their moments are saved under (`optimizerNames`), in saving order. */
  optimizers: Record<string, ArrayAdam>;
}

/** The networks written without the training state; the targets and moments are resumable state. */
const POLICY_NETS = ["actor", "q1", "q2"] as const;

export abstract class OffPolicyAlgorithm<
  C extends OffPolicyConfig,
  N extends OffPolicyNets,
> extends Algorithm<C> {
  /** Plain weights of every network (read back from the training copies by `syncAll`). */
  protected abstract layers: OffPolicyLayers;
  /** Every network saved with the training state, in the file's order. */
  protected abstract readonly netNames: readonly NetName[];
  /** The names the optimizers' moments are saved under (`<name>/optimizer/`). */
  protected abstract readonly optimizerNames: readonly string[];
  /** Outputs of the actor's last layer (SAC: mean and log std; TD3: the pre-tanh action). */
  protected abstract readonly actorOutputs: number;
  /** The actor compiled for `act` (float64, as exports compute), rebuilt when stale. */
  private compiled: CompiledPolicy | null = null;
  protected nets: N | null = null;
  /** Adam moments read from a file, applied when the training copies are built. */
  private pendingAdam: Record<string, AdamState> = {};
  replay: ReplayBuffer | null = null;
  protected nUpdates = 0;

  /** Fills `actions` ([n * A], in [-1, 1]) for the current observations once learning has started. */
  protected abstract explore(nets: N, actions: Float32Array, n: number): void;
  /** One gradient step on a replayed batch (critics, and the actor when its turn comes). */
  protected abstract gradientStep(nets: N, batch: ReplayBatch): void;
  /** Fresh training copies of `this.layers` and their optimizers (moments are restored by the caller). */
  protected abstract createNets(): N;
  /** Extra scalars for each log dump (beside `train/n_updates`). */
  protected logExtras(): Record<string, number> {
    return {};
  }
  /** Tensors beyond networks and moments (SAC: logAlpha), written after the networks. */
  protected extraTensors(): Record<string, StoredTensor> {
    return {};
  }
  protected restoreExtra(_tensors: Record<string, StoredTensor>): void {}

  // ---- acting -------------------------------------------------------------------------------

  /** The actor's forward in float64, compiled from the current weights. */
  protected get fast(): CompiledPolicy {
    if (!this.compiled) {
      this.syncAll();
      this.compiled = compileSpec({
        obsShape: [this.spaces.obsSize],
        output: "mean",
        actionSize: this.actorOutputs,
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
    const trainFrequency = c.trainFrequency ?? 1;
    const gradientSteps = c.gradientSteps ?? 1;
    this.replay ??= new ReplayBuffer(c.bufferSize, O, A);
    const replay = this.replay;
    const squashed = new Float32Array(N * A);
    const envActions = new Float32Array(N * A);
    const prevObs = new Float32Array(N * O);
    let batch: ReplayBatch | undefined;
    let vecSteps = 0;
    let lastLog = this.numTimesteps;
    await this.rolloutStart();
    while (this.numTimesteps < this.totalTimesteps) {
      if (this.numTimesteps < c.learningStarts) this.rng.fillUniform(squashed, -1, 1);
      else this.explore(nets, squashed, N);
      toBounds(squashed, this.spaces.actionLow!, this.spaces.actionHigh!, envActions);
      prevObs.set(this.obs);
      const step = this.vecEnv!.step(envActions);
      this.recordStep(step);
      const go = this.advance(step);
      replay.addStep(prevObs, squashed, step, (i) => this.nextObs(step, i));
      vecSteps++;
      const pause = this.maybeYield();
      if (pause) await pause;
      if (
        this.numTimesteps >= c.learningStarts &&
        replay.size >= c.batchSize &&
        vecSteps % trainFrequency === 0
      ) {
        for (let g = 0; g < gradientSteps; g++) {
          batch = replay.sample(c.batchSize, this.rng, batch);
          this.gradientStep(nets, batch);
        }
        this.compiled = null;
      }
      const last = this.numTimesteps >= this.totalTimesteps;
      if (last || Math.floor(this.numTimesteps / c.logInterval) > Math.floor(lastLog / c.logInterval)) {
        this.dumpLogs({ "train/n_updates": this.nUpdates, ...this.logExtras() });
      }
      lastLog = this.numTimesteps;
      if (go === false || (go instanceof Promise && !(await go))) break;
    }
    await this.rolloutEnd();
  }

  private buildNets(): N {
    if (this.nets) return this.nets;
    const nets = this.createNets();
    for (const [k, opt] of Object.entries(nets.optimizers)) {
      const st = this.pendingAdam[k];
      if (st) opt.setState(st);
    }
    this.pendingAdam = {};
    this.nets = nets;
    return nets;
  }

  /** Reads the plain weights back from the training copies. */
  private syncAll(): void {
    const n = this.nets;
    if (!n) return;
    this.layers = {
      actor: n.actor.layers(0),
      ...(n.actorTarget ? { actorTarget: n.actorTarget.layers(0) } : {}),
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
    return POLICY_NETS.reduce((n, k) => n + countParams(this.layers[k]), 0);
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
    for (const n of opts.includeTrainingState ? this.netNames : POLICY_NETS)
      Object.assign(out, layersToTensors(n, this.layers[n]!));
    Object.assign(out, this.extraTensors());
    if (opts.includeTrainingState) {
      // Not trained since loading: the moments read from the file are still pending.
      const states = this.nets
        ? Object.fromEntries(Object.entries(this.nets.optimizers).map(([k, o]) => [k, o.getState()]))
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
    const L = this.layers;
    for (const n of POLICY_NETS) L[n] = layersFromTensors(n, L[n], t);
    // A lean file (no training state) resumes with targets = online networks and fresh Adam moments.
    for (const target of this.netNames) {
      if (!target.endsWith("Target")) continue;
      const online = target.slice(0, -"Target".length) as (typeof POLICY_NETS)[number];
      L[target] = t[`${target}/fc0.weight`]
        ? layersFromTensors(target, L[target]!, t)
        : copyLayers(L[online]);
    }
    this.restoreExtra(t);
    for (const k of this.optimizerNames)
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
}
