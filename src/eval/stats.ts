/**
 * Summary statistics of episode returns, as RL papers and libraries report them.
 *
 * - `std` is the population standard deviation (divide by n), as NumPy's `np.std` which
 *   Stable-Baselines3's `evaluate_policy` uses, so "mean +- std" matches SB3 printouts.
 * - `percentile` interpolates linearly between order statistics (NumPy's default method).
 * - `iqm` is the interquartile mean of Agarwal et al. 2021, "Deep RL at the Edge of the
 *   Statistical Precipice" (rliable), with fractional trimming: the mean of the empirical quantile
 *   function over [0.25, 0.75], so each sorted value weighs by how much of its 1/n slice lies in
 *   the middle half. It equals rliable's `scipy.stats.trim_mean(x, 0.25)` when n is a multiple of
 *   4 and, unlike it, does not jump when n is not.
 * - `bootstrapCI` is the percentile bootstrap (Efron 1979) with a seeded `Rng`;
 *   `bootstrapMeansCI` the same for a function of several independent samples' means.
 */
import { ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";

function nonEmpty(xs: ArrayLike<number>, what: string): void {
  if (xs.length === 0) throw new ConfigError(what, "needs at least one value");
}

function sorted(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

export function mean(xs: ArrayLike<number>): number {
  nonEmpty(xs, "mean");
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Population standard deviation (ddof = 0), as `np.std`. */
export function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2;
  return Math.sqrt(s / xs.length);
}

function percentileOfSorted(s: Float64Array, q: number): number {
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!);
}

/** The q-th percentile (q in [0, 100]), linear interpolation as `np.percentile`. */
export function percentile(xs: ArrayLike<number>, q: number): number {
  nonEmpty(xs, "percentile");
  if (!(q >= 0 && q <= 100)) throw new ConfigError("percentile.q", `must be in [0, 100], got ${q}`);
  return percentileOfSorted(sorted(xs), q);
}

/** Several percentiles with one sort. */
export function percentiles(xs: ArrayLike<number>, qs: readonly number[]): number[] {
  nonEmpty(xs, "percentiles");
  const s = sorted(xs);
  return qs.map((q) => {
    if (!(q >= 0 && q <= 100)) throw new ConfigError("percentiles.q", `must be in [0, 100], got ${q}`);
    return percentileOfSorted(s, q);
  });
}

export function median(xs: ArrayLike<number>): number {
  return percentile(xs, 50);
}

/** Interquartile mean with fractional trimming (see the file comment). */
export function iqm(xs: ArrayLike<number>): number {
  nonEmpty(xs, "iqm");
  const s = sorted(xs);
  const n = s.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    // Overlap of the value's slice [i/n, (i+1)/n] with the middle half [0.25, 0.75].
    const w = Math.max(0, Math.min((i + 1) / n, 0.75) - Math.max(i / n, 0.25));
    total += w * s[i]!;
  }
  return total / 0.5;
}

export interface BootstrapOptions {
  /** Number of resamples. Default 2000. */
  resamples?: number;
  /** Confidence level in (0, 1). Default 0.95. */
  confidence?: number;
  /** Seed of the resampling generator. Default 0. */
  seed?: number;
  /** Statistic to bootstrap. Default `mean`. */
  statistic?: (xs: Float64Array) => number;
}

function bootstrapSettings(opts: Omit<BootstrapOptions, "statistic">): {
  resamples: number;
  confidence: number;
} {
  const resamples = opts.resamples ?? 2000;
  const confidence = opts.confidence ?? 0.95;
  if (!(Number.isInteger(resamples) && resamples >= 1)) {
    throw new ConfigError("resamples", `must be an integer >= 1, got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new ConfigError("confidence", `must be in (0, 1), got ${confidence}`);
  }
  return { resamples, confidence };
}

function percentileInterval(stats: Float64Array, confidence: number): [number, number] {
  stats.sort();
  const alpha = (1 - confidence) / 2;
  return [percentileOfSorted(stats, 100 * alpha), percentileOfSorted(stats, 100 * (1 - alpha))];
}

/** Percentile-bootstrap confidence interval [lo, hi] of a statistic (the mean by default). */
export function bootstrapCI(xs: ArrayLike<number>, opts: BootstrapOptions = {}): [number, number] {
  nonEmpty(xs, "bootstrapCI");
  const { resamples, confidence } = bootstrapSettings(opts);
  const stat = opts.statistic ?? mean;
  const rng = new Rng(opts.seed ?? 0);
  const n = xs.length;
  const sample = new Float64Array(n);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = xs[rng.integer(n)]!;
    stats[r] = stat(sample);
  }
  return percentileInterval(stats, confidence);
}

/**
 * Percentile-bootstrap interval of a function of several independent samples' means (e.g. a
 * ratio of two policies' mean returns): each sample is resampled on its own, with replacement and
 * at its own size, and `f` is taken of the resampled means. Null when `f` gives a non-finite value
 * on any resample (the interval would be unbounded, e.g. a ratio whose denominator can reach 0).
 */
export function bootstrapMeansCI(
  samples: readonly ArrayLike<number>[],
  f: (means: readonly number[]) => number | null,
  opts: Omit<BootstrapOptions, "statistic"> = {},
): [number, number] | null {
  for (const [k, xs] of samples.entries()) nonEmpty(xs, `bootstrapMeansCI sample ${k}`);
  const { resamples, confidence } = bootstrapSettings(opts);
  const rng = new Rng(opts.seed ?? 0);
  const means = samples.map(() => 0);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (const [k, xs] of samples.entries()) {
      let s = 0;
      for (let i = 0; i < xs.length; i++) s += xs[rng.integer(xs.length)]!;
      means[k] = s / xs.length;
    }
    const v = f(means);
    if (v === null || !Number.isFinite(v)) return null;
    stats[r] = v;
  }
  return percentileInterval(stats, confidence);
}

/** " (95% CI lo to hi)" to follow a printed figure, or "" when there is no interval. */
export function formatCI95(ci: readonly [number, number] | null, digits = 3): string {
  return ci ? ` (95% CI ${ci[0].toFixed(digits)} to ${ci[1].toFixed(digits)})` : "";
}

export interface Summary {
  n: number;
  mean: number;
  std: number;
  median: number;
  iqm: number;
  min: number;
  max: number;
  ci95: [number, number];
}

/** Everything a results table needs about one sample of returns. */
export function summarize(xs: ArrayLike<number>, opts: BootstrapOptions = {}): Summary {
  nonEmpty(xs, "summarize");
  const s = sorted(xs);
  return {
    n: s.length,
    mean: mean(s),
    std: std(s),
    median: percentileOfSorted(s, 50),
    iqm: iqm(s),
    min: s[0]!,
    max: s[s.length - 1]!,
    ci95: bootstrapCI(xs, { ...opts, confidence: 0.95 }),
  };
}
