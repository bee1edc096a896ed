/**
 * Small Float32Array numerics shared by teachers, the replay buffer and collectors: temperature
 * softmax, entropy, argmax and the Q-gap, row by row over [n, k] row-major batches.
 *
 * These run outside tfjs (labelling and prioritising data, not training), so they are plain loops.
 * The softmax subtracts the row maximum first: exp never overflows, and a tiny temperature
 * (Rusu et al. 2016 use tau = 0.01 on Q-values) gives a one-hot, not NaN. The one-row kernels
 * (softmax, argmax, safeLog) live in src/nn/distributions.ts; these are their batch forms.
 */
import { argmax, safeLog, softmaxProbs } from "../nn/probs.js";

/** softmax(x[row] / tau) for every row of an [n, k] batch. */
export function softmaxRows(x: ArrayLike<number>, n: number, k: number, tau = 1): Float32Array {
  if (!(tau > 0)) throw new RangeError(`softmax temperature must be > 0, got ${tau}`);
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) softmaxProbs(x, r * k, k, out, tau, r * k);
  return out;
}

export { safeLog };

/** Shannon entropy (nats) of each row of an [n, k] batch of probabilities. */
export function entropyRows(p: ArrayLike<number>, n: number, k: number): Float32Array {
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let h = 0;
    for (let j = 0; j < k; j++) {
      const v = p[r * k + j]!;
      if (v > 0) h -= v * Math.log(v);
    }
    out[r] = h;
  }
  return out;
}

/** Index of the largest entry of each row (first one on ties). */
export function argmaxRows(x: ArrayLike<number>, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) out[r] = argmax(x, r * k, k);
  return out;
}

/** Largest minus second-largest entry of each row: how sure a Q-teacher is of its greedy action. */
export function qGapRows(q: ArrayLike<number>, n: number, k: number): Float32Array {
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let a = Number.NEGATIVE_INFINITY;
    let b = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const v = q[r * k + j]!;
      if (v > a) {
        b = a;
        a = v;
      } else if (v > b) b = v;
    }
    out[r] = k > 1 ? a - b : 0;
  }
  return out;
}

/** Draws an index from one row of probabilities with a uniform number u in [0, 1). */
export function sampleRow(p: ArrayLike<number>, offset: number, k: number, u: number): number {
  let acc = 0;
  for (let j = 0; j < k; j++) {
    acc += p[offset + j]!;
    if (u < acc) return j;
  }
  return k - 1;
}

/** log softmax of x[offset .. offset + k) into out[0 .. k) (max-subtracted). */
export function logSoftmaxRow(
  x: ArrayLike<number>,
  offset: number,
  k: number,
  out: Float64Array,
): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < k; j++) max = Math.max(max, x[offset + j]!);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(x[offset + j]! - max);
  const lse = max + Math.log(sum);
  for (let j = 0; j < k; j++) out[j] = x[offset + j]! - lse;
  return out;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Samples mean + exp(logStd) * N(0, 1) for one row into out[outOffset ..] and returns its
 * log-density (summed over dimensions).
 */
export function sampleGaussianRow(
  mean: ArrayLike<number>,
  offset: number,
  logStd: ArrayLike<number>,
  k: number,
  u: () => number,
  out: Float32Array,
  outOffset: number,
): number {
  let lp = 0;
  for (let j = 0; j < k; j++) {
    const z = u();
    out[outOffset + j] = mean[offset + j]! + Math.exp(logStd[j]!) * z;
    lp += -0.5 * z * z - logStd[j]! - HALF_LOG_2PI;
  }
  return lp;
}
