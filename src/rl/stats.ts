/** Small statistics on the rollout arrays and episode lists, for the updates and the logs. */

/** The arithmetic mean (NaN for no values). */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** (x - mean) / (std + 1e-8) in place, with the unbiased std as torch.std (CleanRL's per-minibatch normalisation). */
export function normalizeAdvantages(x: Float32Array): void {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i]!;
  m /= x.length;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - m) ** 2;
  const std = Math.sqrt(s / (x.length - 1));
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - m) / (std + 1e-8);
}

/** 1 - Var(returns - values) / Var(returns) (NaN when the returns are constant), as CleanRL logs. */
export function explainedVariance(values: Float32Array, returns: Float32Array): number {
  const n = values.length;
  let mr = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    mr += returns[i]!;
    md += returns[i]! - values[i]!;
  }
  mr /= n;
  md /= n;
  let vr = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vr += (returns[i]! - mr) ** 2;
    vd += (returns[i]! - values[i]! - md) ** 2;
  }
  return vr === 0 ? Number.NaN : 1 - vd / vr;
}
