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

  /**
   * Merges `batch` rows of `size` values each (row-major); the default, one row, merges a single
   * sample (a batch whose variance is 0).
   */
  update(data: ArrayLike<number>, batch = 1): void {
    if (batch < 1) return;
    const S = this.size;
    const n = this.count;
    const tot = n + batch;
    if (batch === 1) {
      for (let j = 0; j < S; j++) this.merge(j, data[j]!, 0, 1, n, tot);
      this.count = tot;
      return;
    }
    for (let j = 0; j < S; j++) {
      let m = 0;
      for (let b = 0; b < batch; b++) m += data[b * S + j]!;
      m /= batch;
      let v = 0;
      for (let b = 0; b < batch; b++) {
        const d = data[b * S + j]! - m;
        v += d * d;
      }
      this.merge(j, m, v / batch, batch, n, tot);
    }
    this.count = tot;
  }

  /** Merges a batch given by its own mean, (population) variance and count. */
  updateFromMoments(batchMean: ArrayLike<number>, batchVar: ArrayLike<number>, batchCount: number): void {
    const n = this.count;
    const tot = n + batchCount;
    for (let i = 0; i < this.mean.length; i++) this.merge(i, batchMean[i]!, batchVar[i]!, batchCount, n, tot);
    this.count = tot;
  }

  /** Chan et al.'s merge of entry i with a batch of moments (m, v, c); n is the old count, tot = n + c. */
  private merge(i: number, m: number, v: number, c: number, n: number, tot: number): void {
    const delta = m - this.mean[i]!;
    this.mean[i] = this.mean[i]! + (delta * c) / tot;
    this.var[i] = (this.var[i]! * n + v * c + (delta * delta * n * c) / tot) / tot;
  }

  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  /** `getState`, so `JSON.stringify` writes the snapshot. */
  toJSON(): RunningMeanStdState {
    return this.getState();
  }

  /**
   * Restores a snapshot (arrays or typed arrays, as read back from a checkpoint's tensors);
   * `field` names the owner in error messages.
   */
  setState(state: { mean: ArrayLike<number>; var: ArrayLike<number>; count: number }, field = "stats"): void {
    if (typeof state !== "object" || state === null) {
      throw new ConfigError(field, `expected { mean, var, count }, got ${describeValue(state)}`);
    }
    for (const key of ["mean", "var"] as const) {
      const arr = state[key];
      if (!(Array.isArray(arr) || ArrayBuffer.isView(arr)) || arr.length !== this.size) {
        throw new ConfigError(
          `${field}.${key}`,
          `expected an array of ${this.size} numbers, got ${describeValue(arr)}`,
        );
      }
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i];
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

  /** `setState` under the name the RL algorithms' checkpoint code uses. */
  load(state: { mean: ArrayLike<number>; var: ArrayLike<number>; count: number }): void {
    this.setState(state, "RunningMeanStd");
  }
}
