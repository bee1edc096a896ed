/**
 * The vector-env view the algorithms step: an adapter over src/envs/vector's `makeVec` (same-step
 * auto-reset, flat observations: Float32Array, or Uint8Array for uint8 Box observations), reduced to what PPO and DQN read: rewards as
 * float32 (scaled in place by reward normalisation), and `finalObs[i]` (the last observation of
 * an episode that ended at this step, else null).
 */
import type { Box, Discrete } from "../core/spaces.js";
import { makeVec } from "../envs/vector/make-vec.js";
import type { FinalInfo, VectorActions, VectorEnv, VectorObs } from "../envs/vector/vector-env.js";

export interface VecStep {
  /** [numEnvs * obsSize], reused between steps: copy what you keep. uint8 for uint8 Box observations. */
  obs: VectorObs;
  /** Our own copy of the rewards (reward normalisation rescales it in place). */
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** The last observation of the episode for sub-envs that finished at this step, else null. */
  finalObs: Array<VectorObs | null>;
}

export class VecEnvAdapter {
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly observationSpace: Box;
  readonly actionSpace: Discrete | Box;
  readonly inner: VectorEnv;
  private readonly buf: VecStep;

  constructor(envId: string, kwargs: Record<string, unknown>, numEnvs: number) {
    // Our policies only emit actions inside the action space: skip the per-step check.
    this.inner = makeVec(envId, numEnvs, { kwargs, makeOptions: { disableActionCheck: true } });
    this.numEnvs = numEnvs;
    this.obsSize = this.inner.obsSize;
    this.observationSpace = this.inner.singleObservationSpace;
    this.actionSpace = this.inner.singleActionSpace as Discrete | Box;
    this.buf = {
      obs: new Float32Array(0),
      rewards: new Float32Array(numEnvs),
      terminated: new Uint8Array(numEnvs),
      truncated: new Uint8Array(numEnvs),
      finalObs: new Array(numEnvs).fill(null),
    };
  }

  /** Resets every sub-env, env i from `seed + i`. */
  reset(seed: number): VectorObs {
    return this.inner.reset({ seed }).obs;
  }

  /** `actions`: one index per env (discrete) or `numEnvs * actionDim` floats, row-major. */
  step(actions: VectorActions): VecStep {
    const r = this.inner.step(actions);
    const b = this.buf;
    b.obs = r.obs;
    b.terminated = r.terminated;
    b.truncated = r.truncated;
    for (let i = 0; i < this.numEnvs; i++) {
      b.rewards[i] = r.rewards[i]!;
      b.finalObs[i] = r.terminated[i] || r.truncated[i] ? (r.infos[i] as FinalInfo).finalObs : null;
    }
    return b;
  }

  close(): void {
    this.inner.close();
  }
}
