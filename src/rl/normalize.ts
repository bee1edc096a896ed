/**
 * Observation and reward normalisation shared across all sub-envs of a vector env, as
 * Stable-Baselines3's `VecNormalize` (one set of statistics, so the trained policy exports with a
 * single `ObsNormSpec`). CleanRL's ppo_continuous_action wraps each sub-env in Gymnasium's
 * `NormalizeObservation` / `NormalizeReward` instead; the formulas are the same:
 *
 *   obs'    = clip((obs - mean) / sqrt(var + eps), -clipObs, clipObs)
 *   G_t     = gamma * G_{t-1} * (1 - done_{t-1}) + r_t   (per env)
 *   reward' = clip(r / sqrt(var(G) + eps), -clipReward, clipReward)
 */
import { RunningMeanStd } from "../envs/wrappers/running-mean-std.js";
import type { ObsNormSpec } from "../nn/spec.js";

/** One implementation for the env wrappers and VecNormalize; re-exported so old imports work. */
export { RunningMeanStd };

export interface VecNormalizeOptions {
  normalizeObs: boolean;
  normalizeReward: boolean;
  gamma: number;
  clipObs?: number;
  clipReward?: number;
  epsilon?: number;
}

export class VecNormalize {
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly obsRms: RunningMeanStd;
  readonly retRms = new RunningMeanStd(1);
  readonly opts: Required<VecNormalizeOptions>;
  /** When false, statistics are frozen (evaluation, or after loading a model for inference). */
  training = true;
  private readonly returns: Float64Array;

  constructor(numEnvs: number, obsSize: number, opts: VecNormalizeOptions) {
    this.numEnvs = numEnvs;
    this.obsSize = obsSize;
    this.obsRms = new RunningMeanStd(obsSize);
    this.opts = { clipObs: 10, clipReward: 10, epsilon: 1e-8, ...opts };
    this.returns = new Float64Array(numEnvs);
  }

  /** Updates the statistics with `batch` raw observations (when training), then writes the normalised ones to `out`. */
  observe(raw: ArrayLike<number>, batch: number, out: Float32Array): Float32Array {
    if (!this.opts.normalizeObs) {
      out.set(raw);
      return out;
    }
    if (this.training) this.obsRms.update(raw, batch);
    return this.normalizeObs(raw, batch, out);
  }

  /** Normalises without touching the statistics. */
  normalizeObs(raw: ArrayLike<number>, batch: number, out: Float32Array): Float32Array {
    const S = this.obsSize;
    if (!this.opts.normalizeObs) {
      for (let k = 0; k < batch * S; k++) out[k] = raw[k]!;
      return out;
    }
    const { clipObs, epsilon } = this.opts;
    for (let j = 0; j < S; j++) {
      const m = this.obsRms.mean[j]!;
      const inv = 1 / Math.sqrt(this.obsRms.var[j]! + epsilon);
      for (let b = 0; b < batch; b++) {
        const v = (raw[b * S + j]! - m) * inv;
        out[b * S + j] = Math.min(Math.max(v, -clipObs), clipObs);
      }
    }
    return out;
  }

  /**
   * Scales one vector step of rewards in place (when enabled) and updates the return statistics.
   * `dones[i]` resets env i's running return after this step.
   */
  reward(rewards: Float32Array, dones: ArrayLike<boolean | number>): Float32Array {
    if (!this.opts.normalizeReward) return rewards;
    const N = this.numEnvs;
    for (let i = 0; i < N; i++) this.returns[i] = this.returns[i]! * this.opts.gamma + rewards[i]!;
    if (this.training) this.retRms.update(this.returns, N);
    const scale = 1 / Math.sqrt(this.retRms.var[0]! + this.opts.epsilon);
    const c = this.opts.clipReward;
    for (let i = 0; i < N; i++) {
      const r = rewards[i]! * scale;
      rewards[i] = Math.min(Math.max(r, -c), c);
      if (dones[i]) this.returns[i] = 0;
    }
    return rewards;
  }

  /** The observation statistics in the PolicySpec form, or undefined when obs are not normalised. */
  obsNormSpec(): ObsNormSpec | undefined {
    if (!this.opts.normalizeObs) return undefined;
    return {
      mean: Float32Array.from(this.obsRms.mean),
      var: Float32Array.from(this.obsRms.var),
      epsilon: this.opts.epsilon,
      clip: this.opts.clipObs,
    };
  }

  toJSON(): { obs: ReturnType<RunningMeanStd["toJSON"]>; ret: ReturnType<RunningMeanStd["toJSON"]> } {
    return { obs: this.obsRms.toJSON(), ret: this.retRms.toJSON() };
  }

  load(state: ReturnType<VecNormalize["toJSON"]>): void {
    this.obsRms.load(state.obs);
    this.retRms.load(state.ret);
  }
}
