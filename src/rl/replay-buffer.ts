/**
 * Off-policy storage for DQN: a ring buffer of transitions (obs, action, reward, nextObs,
 * terminated) in flat typed arrays, sampled uniformly with the caller's `Rng`.
 *
 * Observations are stored as float32, or as uint8 with `{ obsDtype: "uint8" }` (images such as
 * MinAtar's 0/1 planes: 2 x 100C + 12 bytes per transition, so a million Seaquest transitions take
 * 2.0 GB instead of 8.0 GB; see src/envs/minatar/README.md). Sampled batches are float32 either way.
 *
 * `nextObs` must be the real next observation: for a step that ended the episode, the env's
 * `finalObs`, not the auto-reset observation. Only `terminated` is stored: a truncated step
 * bootstraps from `nextObs` like any other (Stable-Baselines3's `handle_timeout_termination`).
 */
import type { Rng } from "../core/rng.js";
import {
  allocObsStorage,
  checkObsStorageDtype,
  checkUint8Storable,
  type ObsStorage,
  type ObsStorageDtype,
} from "../core/spaces.js";

export interface ReplayBufferOptions {
  /** Element type of the stored observations. Default "float32". */
  obsDtype?: ObsStorageDtype;
}

export interface ReplayBatch {
  size: number;
  obs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  /** 1 where the transition ended by termination, else 0. */
  terminated: Float32Array;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly obsDtype: ObsStorageDtype;
  readonly obs: ObsStorage;
  readonly nextObs: ObsStorage;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Float32Array;
  private pos = 0;
  private count = 0;

  constructor(capacity: number, obsSize: number, actionSize = 1, opts: ReplayBufferOptions = {}) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`ReplayBuffer capacity must be >= 1, got ${capacity}`);
    this.capacity = capacity;
    this.obsSize = obsSize;
    this.actionSize = actionSize;
    this.obsDtype = checkObsStorageDtype("ReplayBuffer.obsDtype", opts.obsDtype ?? "float32");
    this.obs = allocObsStorage(this.obsDtype, capacity * obsSize);
    this.nextObs = allocObsStorage(this.obsDtype, capacity * obsSize);
    this.actions = new Float32Array(capacity * actionSize);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Float32Array(capacity);
  }

  /** Transitions stored (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /**
   * Every sub-env's transition of one vector step: observations from `prevObs` (rows of obsSize),
   * actions from `actions` (rows of actionSize; an Int32Array holds one discrete action per env),
   * and `next(i)`, env i's real next state (its final observation where the episode ended, since
   * the auto-reset replaced it).
   */
  addStep(
    prevObs: Float32Array,
    actions: Float32Array | Int32Array,
    step: { rewards: ArrayLike<number>; terminated: ArrayLike<number> },
    next: (i: number) => ArrayLike<number>,
  ): void {
    const O = this.obsSize;
    const A = this.actionSize;
    for (let i = 0; i < step.rewards.length; i++) {
      const action = actions instanceof Int32Array ? actions[i]! : actions.subarray(i * A, (i + 1) * A);
      this.add(
        prevObs.subarray(i * O, (i + 1) * O),
        action,
        step.rewards[i]!,
        next(i),
        step.terminated[i] === 1,
      );
    }
  }

  /**
   * Adds one transition; `obs`/`nextObs` hold `obsSize` numbers (integers in [0, 255] for uint8
   * storage), `action` `actionSize`.
   */
  add(
    obs: ArrayLike<number>,
    action: number | ArrayLike<number>,
    reward: number,
    nextObs: ArrayLike<number>,
    terminated: boolean,
  ): void {
    const O = this.obsSize;
    const A = this.actionSize;
    const p = this.pos;
    if (this.obsDtype === "uint8") {
      checkUint8Storable("ReplayBuffer.add obs", obs);
      checkUint8Storable("ReplayBuffer.add nextObs", nextObs);
    }
    this.obs.set(obs, p * O);
    this.nextObs.set(nextObs, p * O);
    if (typeof action === "number") this.actions[p * A] = action;
    else this.actions.set(action, p * A);
    this.rewards[p] = reward;
    this.terminated[p] = terminated ? 1 : 0;
    this.pos = (p + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /**
   * `batchSize` transitions drawn uniformly with replacement. With `out` (a batch of the same
   * size from an earlier call), its arrays are overwritten instead of allocating new ones.
   */
  sample(batchSize: number, rng: Rng, out?: ReplayBatch): ReplayBatch {
    if (this.count === 0) throw new RangeError("ReplayBuffer.sample: the buffer is empty");
    const O = this.obsSize;
    const A = this.actionSize;
    const batch: ReplayBatch =
      out && out.size === batchSize
        ? out
        : {
            size: batchSize,
            obs: new Float32Array(batchSize * O),
            actions: new Float32Array(batchSize * A),
            rewards: new Float32Array(batchSize),
            nextObs: new Float32Array(batchSize * O),
            terminated: new Float32Array(batchSize),
          };
    const { obs, nextObs, actions } = this;
    for (let b = 0; b < batchSize; b++) {
      const k = rng.integer(this.count);
      // Element loops: a subarray per row costs more than the copy for small observations.
      for (let j = 0; j < O; j++) {
        batch.obs[b * O + j] = obs[k * O + j]!;
        batch.nextObs[b * O + j] = nextObs[k * O + j]!;
      }
      for (let j = 0; j < A; j++) batch.actions[b * A + j] = actions[k * A + j]!;
      batch.rewards[b] = this.rewards[k]!;
      batch.terminated[b] = this.terminated[k]!;
    }
    return batch;
  }

  /** Position and fill, to save with the arrays in a checkpoint. */
  getState(): { pos: number; count: number } {
    return { pos: this.pos, count: this.count };
  }

  setState(state: { pos: number; count: number }): void {
    if (!(state.pos >= 0 && state.pos < this.capacity && state.count >= 0 && state.count <= this.capacity)) {
      throw new RangeError(
        `ReplayBuffer.setState: bad state ${JSON.stringify(state)} for capacity ${this.capacity}`,
      );
    }
    this.pos = state.pos;
    this.count = state.count;
  }
}
