/**
 * On-policy storage for PPO: `numSteps` x `numEnvs` transitions in flat typed arrays
 * (row `t * numEnvs + i`), allocated once and overwritten every rollout. Observations are float32,
 * or uint8 with `{ obsDtype: "uint8" }` (images); `gather` returns float32 minibatches either way.
 *
 *   buf.reset();
 *   for (let t = 0; t < numSteps; t++) buf.add(obs, actions, logProbs, values, rewards, terminated, truncated);
 *   buf.setFinalValue(t, i, v)          // where the step was truncated: V(finalObs)
 *   buf.computeReturnsAndAdvantages(lastValues, gamma, lambda);
 *   for (const idx of buf.minibatchIndices(minibatchSize, rng)) { const mb = buf.gather(idx); ... }
 */
import type { Rng } from "../core/rng.js";
import {
  allocObsStorage,
  checkObsStorageDtype,
  checkUint8Storable,
  type ObsStorage,
  type ObsStorageDtype,
} from "../core/spaces.js";
import { computeGae } from "./gae.js";

export interface RolloutBatch {
  size: number;
  obs: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

export interface RolloutBufferOptions {
  /** Element type of the stored observations. Default "float32". */
  obsDtype?: ObsStorageDtype;
}

export class RolloutBuffer {
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly obsSize: number;
  /** Floats per action: 1 for a discrete index, the action dimension for continuous actions. */
  readonly actionSize: number;
  readonly obsDtype: ObsStorageDtype;
  readonly obs: ObsStorage;
  readonly actions: Float32Array;
  readonly logProbs: Float32Array;
  readonly values: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly finalValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  private pos = 0;

  constructor(
    numSteps: number,
    numEnvs: number,
    obsSize: number,
    actionSize: number,
    opts: RolloutBufferOptions = {},
  ) {
    this.numSteps = numSteps;
    this.numEnvs = numEnvs;
    this.obsSize = obsSize;
    this.actionSize = actionSize;
    const n = numSteps * numEnvs;
    this.obsDtype = checkObsStorageDtype("RolloutBuffer.obsDtype", opts.obsDtype ?? "float32");
    this.obs = allocObsStorage(this.obsDtype, n * obsSize);
    this.actions = new Float32Array(n * actionSize);
    this.logProbs = new Float32Array(n);
    this.values = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.finalValues = new Float32Array(n);
    this.advantages = new Float32Array(n);
    this.returns = new Float32Array(n);
  }

  get size(): number {
    return this.numSteps * this.numEnvs;
  }

  /** Steps added since the last reset. */
  get length(): number {
    return this.pos;
  }

  get full(): boolean {
    return this.pos === this.numSteps;
  }

  reset(): void {
    this.pos = 0;
    this.finalValues.fill(0);
  }

  /** Adds one vector step: every argument holds `numEnvs` entries (times obs/action size). */
  add(
    obs: ArrayLike<number>,
    actions: ArrayLike<number>,
    logProbs: ArrayLike<number>,
    values: ArrayLike<number>,
    rewards: ArrayLike<number>,
    terminated: ArrayLike<boolean | number>,
    truncated: ArrayLike<boolean | number>,
  ): void {
    if (this.pos >= this.numSteps)
      throw new RangeError(`RolloutBuffer is full (${this.numSteps} steps); call reset()`);
    const N = this.numEnvs;
    const row = this.pos * N;
    if (this.obsDtype === "uint8") checkUint8Storable("RolloutBuffer.add obs", obs);
    this.obs.set(obs, row * this.obsSize);
    this.actions.set(actions, row * this.actionSize);
    for (let i = 0; i < N; i++) {
      this.logProbs[row + i] = logProbs[i]!;
      this.values[row + i] = values[i]!;
      this.rewards[row + i] = rewards[i]!;
      this.terminated[row + i] = terminated[i] ? 1 : 0;
      this.truncated[row + i] = truncated[i] && !terminated[i] ? 1 : 0;
    }
    this.pos++;
  }

  /** V(finalObs) for env `i` at the most recently added step (call only where it was truncated). */
  setFinalValue(envIndex: number, value: number): void {
    this.finalValues[(this.pos - 1) * this.numEnvs + envIndex] = value;
  }

  computeReturnsAndAdvantages(lastValues: ArrayLike<number>, gamma: number, lambda: number): void {
    if (!this.full) throw new RangeError(`RolloutBuffer has ${this.pos} of ${this.numSteps} steps`);
    computeGae(
      {
        numSteps: this.numSteps,
        numEnvs: this.numEnvs,
        rewards: this.rewards,
        values: this.values,
        terminated: this.terminated,
        truncated: this.truncated,
        finalValues: this.finalValues,
        lastValues,
        gamma,
        lambda,
      },
      this.advantages,
      this.returns,
    );
  }

  /** A fresh shuffle of all rows, cut into minibatches of `minibatchSize` (the last may be shorter). */
  minibatchIndices(minibatchSize: number, rng: Rng): Int32Array[] {
    const perm = rng.permutation(this.size);
    const out: Int32Array[] = [];
    for (let start = 0; start < perm.length; start += minibatchSize)
      out.push(perm.subarray(start, start + minibatchSize));
    return out;
  }

  /** Copies the rows `indices` into contiguous arrays. */
  gather(indices: ArrayLike<number>): RolloutBatch {
    const B = indices.length;
    const O = this.obsSize;
    const A = this.actionSize;
    const batch: RolloutBatch = {
      size: B,
      obs: new Float32Array(B * O),
      actions: new Float32Array(B * A),
      logProbs: new Float32Array(B),
      values: new Float32Array(B),
      advantages: new Float32Array(B),
      returns: new Float32Array(B),
    };
    const { obs, actions } = this;
    for (let b = 0; b < B; b++) {
      const k = indices[b]!;
      // Element loops: a subarray per row costs more than the copy for small observations.
      for (let j = 0; j < O; j++) batch.obs[b * O + j] = obs[k * O + j]!;
      for (let j = 0; j < A; j++) batch.actions[b * A + j] = actions[k * A + j]!;
      batch.logProbs[b] = this.logProbs[k]!;
      batch.values[b] = this.values[k]!;
      batch.advantages[b] = this.advantages[k]!;
      batch.returns[b] = this.returns[k]!;
    }
    return batch;
  }
}
