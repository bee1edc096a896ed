/**
 * Vector environments: N copies of one env stepped together, with flat typed-array batches.
 *
 *   const venv = makeVec("CartPole-v1", 8);
 *   let { obs } = venv.reset({ seed: 0 });          // obs: Float32Array of 8 * obsSize
 *   for (;;) {
 *     const out = venv.step(policy(obs));             // Int32Array of 8 action indices
 *     // out.rewards[i], out.terminated[i], out.truncated[i]; out.obs already holds the first obs
 *     // of the next episode where sub-env i ended; out.infos[i].finalObs holds its last obs.
 *     obs = out.obs;
 *   }
 *
 * Auto-reset happens in the SAME step, as in Stable-Baselines3 and Gymnasium's
 * `AutoresetMode.SAME_STEP` (Gymnasium 1.x defaults to NEXT_STEP, which spends one step on the
 * reset). When sub-env i ends (terminated or truncated), it is reset at once: row i of `obs` is the
 * first observation of its new episode, and `infos[i].finalObs` / `infos[i].finalInfo` are the last
 * observation and info of the finished episode. Bootstrap a truncated episode from `finalObs`.
 *
 * The returned `obs`, `rewards`, `terminated` and `truncated` arrays (and the `infos` array itself)
 * are reused: the next `step` or `reset` overwrites them. Copy them (`obs.slice()`) if you keep them.
 * Observations are stored as uint8 (a Uint8Array) when the sub-env's Box is uint8 (images such as
 * MinAtar's: 4x less memory than float32, and no conversion per step), else as float32 (float64
 * observations are rounded). `obsDtype` says which; `obs` and `finalObs` have that type.
 */

import { ArrayBlocks } from "../../core/array-blocks.js";
import type { Info } from "../../core/env.js";
import { ConfigError, describeValue, InvalidActionError } from "../../core/errors.js";
import {
  Box,
  type Discrete,
  type MultiDiscrete,
  type ObsStorage,
  type ObsStorageDtype,
  obsStorageDtypeOf,
  type Space,
} from "../../core/spaces.js";
import { requireKnownSpace } from "../wrappers/space-checks.js";

/** The batch of observations: uint8 for uint8 Box observations, float32 otherwise. */
export type VectorObs = ObsStorage;
export type VectorObsDtype = ObsStorageDtype;

/** Discrete: one index per env (Int32Array or number[]); Box / MultiDiscrete: `numEnvs * actSize`, row-major. */
export type VectorActions = Int32Array | Float32Array | Float64Array | readonly number[];

export interface VectorResetOptions {
  /** Sub-env i is seeded with `seed + i` (as Gymnasium), or with `seed[i]` when an array is given. */
  seed?: number | readonly number[];
  /** Passed to every sub-env's reset. */
  options?: Record<string, unknown>;
}

export interface VectorResetResult {
  /** `numEnvs * obsSize`, row-major, of dtype `obsDtype`. Overwritten by the next step/reset. */
  obs: VectorObs;
  infos: Info[];
}

export interface VectorStepResult {
  /** `numEnvs * obsSize`; where a sub-env ended, its row is the first obs of the new episode. */
  obs: VectorObs;
  rewards: Float64Array;
  /** 1 where the sub-env's episode ended inside the MDP. */
  terminated: Uint8Array;
  /** 1 where the sub-env's episode was cut (time limit). */
  truncated: Uint8Array;
  /** Per sub-env; where it ended: `{ finalObs: Float32Array, finalInfo: Info, ...resetInfo }`. */
  infos: Info[];
}

/** What `infos[i]` holds in the step where sub-env i ended. */
export interface FinalInfo extends Info {
  finalObs: VectorObs;
  finalInfo: Info;
}

export interface VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Discrete | Box | MultiDiscrete;
  /** Numbers per sub-env in `obs`. */
  readonly obsSize: number;
  /** Element type of `obs` and `finalObs`: "uint8" for uint8 Box observations, else "float32". */
  readonly obsDtype: VectorObsDtype;
  /** Numbers per sub-env in the actions array: 1 for Discrete, the element size otherwise. */
  readonly actSize: number;
  reset(opts?: VectorResetOptions): VectorResetResult;
  step(actions: VectorActions): VectorStepResult;
  /** Each sub-env's internal state (`env.getState()`), in order. */
  getStates(): number[][];
  close(): void;
}

/** A frozen empty info, shared by the steps where nothing is reported (no per-step garbage). */
export const EMPTY_INFO: Info = Object.freeze({});

export interface VectorLayout {
  obsSpace: Box;
  actSpace: Discrete | Box | MultiDiscrete;
  obsSize: number;
  obsDtype: VectorObsDtype;
  actSize: number;
}

/** Checks the spaces a vector env can lay out flat: Box observations, any built-in action space. */
export function vectorLayout(obsSpace: Space<unknown>, actSpace: Space<unknown>, who: string): VectorLayout {
  if (!(obsSpace instanceof Box)) {
    throw new ConfigError(
      `${who}.observationSpace`,
      `must be a Box to be batched as flat arrays, got ${String(obsSpace)}`,
    );
  }
  const act = requireKnownSpace(actSpace, `${who}.actionSpace`);
  return {
    obsSpace,
    actSpace: act,
    obsSize: obsSpace.size,
    obsDtype: obsStorageDtypeOf(obsSpace),
    actSize: act.type === "Discrete" ? 1 : act.type === "Box" ? act.size : act.nvec.length,
  };
}

/** One seed (or undefined) per sub-env. */
export function subEnvSeeds(
  numEnvs: number,
  seed: number | readonly number[] | undefined,
): Array<number | undefined> {
  if (seed === undefined) return new Array(numEnvs).fill(undefined);
  if (typeof seed === "number") {
    if (!Number.isInteger(seed)) throw new ConfigError("reset.seed", `expected an integer, got ${seed}`);
    return Array.from({ length: numEnvs }, (_, i) => seed + i);
  }
  if (!Array.isArray(seed) || seed.length !== numEnvs || !seed.every((s) => Number.isInteger(s))) {
    throw new ConfigError(
      "reset.seed",
      `expected an integer or ${numEnvs} integers, got ${describeValue(seed)}`,
    );
  }
  return [...seed];
}

export function checkActionBatch(actions: VectorActions, numEnvs: number, actSize: number): void {
  const isArray = Array.isArray(actions) || ArrayBuffer.isView(actions);
  if (!isArray || actions.length !== numEnvs * actSize) {
    throw new InvalidActionError(
      `vector step: expected ${numEnvs * actSize} actions (${numEnvs} envs x ${actSize}), got ${describeValue(actions)}`,
    );
  }
}

/** A zeroed observation batch of `n` numbers of the layout's dtype (on `buffer` when given). */
export function allocObs(
  dtype: VectorObsDtype,
  n: number,
  buffer?: SharedArrayBuffer,
  offset = 0,
): VectorObs {
  if (dtype === "uint8") return buffer ? new Uint8Array(buffer, offset, n) : new Uint8Array(n);
  return buffer ? new Float32Array(buffer, offset, n) : new Float32Array(n);
}

/**
 * New arrays for `finalObs`, one observation each, cut from shared blocks (`ArrayBlocks`: a fresh
 * buffer per episode end would cost more than many steps of a fast env).
 */
export class FinalObsBlocks {
  private readonly blocks: ArrayBlocks;
  constructor(
    private readonly dtype: VectorObsDtype,
    private readonly obsSize: number,
  ) {
    this.blocks = new ArrayBlocks(obsSize * obsBytes(dtype));
  }

  /** A zeroed array of one observation. */
  obs(): VectorObs {
    return this.dtype === "uint8" ? this.blocks.bytes() : this.blocks.floats();
  }

  /** A copy of one observation of a batch (`source`, from index `offset`). */
  copyOf(source: VectorObs, offset: number): VectorObs {
    const out = this.obs();
    out.set(source.subarray(offset, offset + this.obsSize));
    return out;
  }
}

/** Bytes per number of an observation batch. */
export function obsBytes(dtype: VectorObsDtype): number {
  return dtype === "uint8" ? 1 : 4;
}

export function checkNumEnvs(numEnvs: number): number {
  if (!Number.isInteger(numEnvs) || numEnvs < 1) {
    throw new ConfigError("numEnvs", `must be an integer >= 1, got ${describeValue(numEnvs)}`);
  }
  return numEnvs;
}
