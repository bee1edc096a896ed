/**
 * The one set of action-distribution helpers on plain arrays: categorical (softmax over logits,
 * optionally tempered) and diagonal Gaussian (mean, state-independent log std). Acting, rollouts,
 * teachers, replay prioritisation, evaluation and the tape-free losses all use these; nothing here
 * needs tfjs, so code that only acts or evaluates never loads a backend. Their tensor forms, for
 * losses on the gradient tape, are in ops.ts (`categoricalLogProbTensor`, ...), tested against
 * these.
 *
 * Conventions: a row is `values[offset .. offset + n)`; batch forms take `[rows, k]` row-major
 * arrays. Softmaxes subtract the row maximum first: exp never overflows, and a tiny temperature
 * (Rusu et al. 2016 use tau = 0.01 on Q-values) gives a one-hot, not NaN.
 */
import type { Rng } from "../core/rng.js";

/** 0.5 log(2 pi), the Gaussian log-density's constant per dimension. */
export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

// ---- one row ------------------------------------------------------------------------------

/** Index of the largest of values[offset .. offset + n) (first one on ties). */
export function argmax(values: ArrayLike<number>, offset = 0, n = values.length - offset): number {
  let best = 0;
  let bestValue = values[offset]!;
  for (let i = 1; i < n; i++) {
    const v = values[offset + i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * Softmax probabilities of logits[offset .. offset + n) / tau into out[outOffset ..] (a new
 * Float64Array by default).
 */
export function softmaxProbs<T extends Float32Array | Float64Array = Float64Array>(
  logits: ArrayLike<number>,
  offset = 0,
  n = logits.length - offset,
  out?: T,
  tau = 1,
  outOffset = 0,
): T {
  const p = out ?? (new Float64Array(n) as T);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[offset + i]! - max) / tau);
    p[outOffset + i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) p[outOffset + i] = p[outOffset + i]! / sum;
  return p;
}

/**
 * log softmax(x[offset .. offset + n) / tau) into out[0 .. n) (max subtracted: never the log of a
 * softmax, which underflows to -Infinity for extreme logits), and the probabilities themselves
 * into `probs` when given (from the same exponentials). Returns `out`.
 */
export function logSoftmax<T extends Float32Array | Float64Array>(
  x: ArrayLike<number>,
  offset: number,
  n: number,
  out: T,
  tau = 1,
  probs?: Float32Array | Float64Array,
): T {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) max = Math.max(max, x[offset + j]!);
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp((x[offset + j]! - max) / tau);
    if (probs) probs[j] = e;
    sum += e;
  }
  const lse = Math.log(sum);
  for (let j = 0; j < n; j++) out[j] = (x[offset + j]! - max) / tau - lse;
  if (probs) for (let j = 0; j < n; j++) probs[j] = probs[j]! / sum;
  return out;
}

/** log(p) with p clamped away from 0 (1e-12), for divergences and logits built from probabilities. */
export function safeLog(p: number): number {
  return Math.log(Math.max(p, 1e-12));
}

/** log softmax(logits[offset .. offset + n))[action]. */
export function categoricalLogProb(
  logits: ArrayLike<number>,
  offset: number,
  n: number,
  action: number,
): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) max = Math.max(max, logits[offset + j]!);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(logits[offset + j]! - max);
  return logits[offset + action]! - max - Math.log(sum);
}

/** Draws an action index from softmax(logits[offset .. offset + n)) with one uniform from `rng`. */
export function sampleCategorical(
  logits: ArrayLike<number>,
  rng: Rng,
  offset = 0,
  n = logits.length - offset,
): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[offset + i]! - max);
  let u = rng.random() * sum;
  for (let i = 0; i < n; i++) {
    u -= Math.exp(logits[offset + i]! - max);
    if (u < 0) return i;
  }
  // Rounding can leave u at a hair above 0: the last action with non-zero probability.
  for (let i = n - 1; i >= 0; i--) if (logits[offset + i]! - max > -745) return i;
  return n - 1;
}

/** log N(action | mean, exp(logStd)) summed over the `d` dimensions. */
export function gaussianLogProb(
  action: ArrayLike<number>,
  aOffset: number,
  mean: ArrayLike<number>,
  mOffset: number,
  logStd: ArrayLike<number>,
  d: number,
): number {
  let lp = 0;
  for (let j = 0; j < d; j++) {
    const z = (action[aOffset + j]! - mean[mOffset + j]!) / Math.exp(logStd[j]!);
    lp += -0.5 * z * z - logStd[j]! - HALF_LOG_2PI;
  }
  return lp;
}

/** Entropy of a diagonal Gaussian with these log stds: sum over dims of 0.5 + 0.5 log(2 pi) + logStd. */
export function gaussianEntropy(logStd: ArrayLike<number>): number {
  let h = 0;
  for (let j = 0; j < logStd.length; j++) h += logStd[j]! + 0.5 + HALF_LOG_2PI;
  return h;
}

/**
 * Writes mean + exp(logStd) * N(0, 1) (one normal from `rng` per dimension) into
 * out[outOffset .. outOffset + d) and returns the sample's log-probability.
 */
export function sampleGaussian(
  mean: ArrayLike<number>,
  mOffset: number,
  logStd: ArrayLike<number>,
  d: number,
  rng: Rng,
  out: Float32Array,
  outOffset = 0,
): number {
  for (let j = 0; j < d; j++) out[outOffset + j] = mean[mOffset + j]! + Math.exp(logStd[j]!) * rng.normal();
  return gaussianLogProb(out, outOffset, mean, mOffset, logStd, d);
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

// ---- batches of rows ------------------------------------------------------------------------

/** softmax(x[row] / tau) for every row of an [n, k] batch. */
export function softmaxRows(x: ArrayLike<number>, n: number, k: number, tau = 1): Float32Array {
  if (!(tau > 0)) throw new RangeError(`softmax temperature must be > 0, got ${tau}`);
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) softmaxProbs(x, r * k, k, out, tau, r * k);
  return out;
}

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
