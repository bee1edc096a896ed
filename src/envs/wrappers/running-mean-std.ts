/**
 * Running mean and variance, merged batch by batch with Chan et al.'s parallel algorithm, exactly as
 * Stable-Baselines3's and Gymnasium's `RunningMeanStd`: the mean starts at 0, the variance at 1 and
 * the count at a small prior (1e-4) so the first normalisations do not divide by zero.
 */
import { ConfigError, describeValue } from "../../core/errors.js";

/** JSON-safe snapshot, for checkpoints. */
export interface RunningMeanStdState {
  mean: number[];
  var: number[];
  count: number;
}

export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;

  constructor(size: number, countPrior = 1e-4) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = countPrior;
  }

  get size(): number {
    return this.mean.length;
  }

  /** Merges one sample (a batch of one: its variance is 0). */
  update(x: ArrayLike<number>): void {
    const n = this.count;
    const tot = n + 1;
    for (let i = 0; i < this.mean.length; i++) {
      const delta = x[i]! - this.mean[i]!;
      this.mean[i] = this.mean[i]! + delta / tot;
      this.var[i] = (this.var[i]! * n + (delta * delta * n) / tot) / tot;
    }
    this.count = tot;
  }

  /** Merges a batch given by its own mean, (population) variance and count. */
  updateFromMoments(batchMean: ArrayLike<number>, batchVar: ArrayLike<number>, batchCount: number): void {
    const n = this.count;
    const tot = n + batchCount;
    for (let i = 0; i < this.mean.length; i++) {
      const delta = batchMean[i]! - this.mean[i]!;
      this.mean[i] = this.mean[i]! + (delta * batchCount) / tot;
      const m2 = this.var[i]! * n + batchVar[i]! * batchCount + (delta * delta * n * batchCount) / tot;
      this.var[i] = m2 / tot;
    }
    this.count = tot;
  }

  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  /** Restores a snapshot; `field` names the owner in error messages. */
  setState(state: RunningMeanStdState, field = "stats"): void {
    if (typeof state !== "object" || state === null) {
      throw new ConfigError(field, `expected { mean, var, count }, got ${describeValue(state)}`);
    }
    for (const key of ["mean", "var"] as const) {
      const arr = state[key];
      if (!Array.isArray(arr) || arr.length !== this.size) {
        throw new ConfigError(
          `${field}.${key}`,
          `expected an array of ${this.size} numbers, got ${describeValue(arr)}`,
        );
      }
      for (const v of arr) {
        if (typeof v !== "number" || !Number.isFinite(v) || (key === "var" && v < 0)) {
          throw new ConfigError(
            `${field}.${key}`,
            `entries must be finite${key === "var" ? " and >= 0" : ""}, got ${v}`,
          );
        }
      }
    }
    if (typeof state.count !== "number" || !(state.count > 0) || !Number.isFinite(state.count)) {
      throw new ConfigError(
        `${field}.count`,
        `must be a finite number > 0, got ${describeValue(state.count)}`,
      );
    }
    this.mean.set(state.mean);
    this.var.set(state.var);
    this.count = state.count;
  }
}
