/**
 * Divergences between action distributions (natural log, nats), with stable numerics:
 * probabilities are clamped at 1e-12 only inside logs, so a zero-probability action in the teacher
 * contributes exactly 0 to KL(teacher || student), and a zero in the student costs a large but
 * finite penalty instead of Infinity.
 */

import { ConfigError } from "../core/errors.js";
import type { ActionDistribution } from "../core/policy.js";
import type { Rng } from "../core/rng.js";
import { safeLog } from "../nn/distributions.js";

const LN2 = Math.LN2;

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new ConfigError(what, `sizes differ: ${a.length} vs ${b.length}`);
}

/** KL(p || q) of two categorical distributions. */
export function categoricalKL(p: ArrayLike<number>, q: ArrayLike<number>): number {
  sameLength(p, q, "categoricalKL");
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi > 0) kl += pi * (safeLog(pi) - safeLog(q[i]!));
  }
  // Rounding can make a true 0 come out as -1e-17.
  return Math.max(0, kl);
}

/** Jensen-Shannon divergence of two categorical distributions, in [0, ln 2]. */
export function categoricalJS(p: ArrayLike<number>, q: ArrayLike<number>): number {
  sameLength(p, q, "categoricalJS");
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    const qi = q[i]!;
    const lm = safeLog(0.5 * (pi + qi));
    if (pi > 0) js += 0.5 * pi * (safeLog(pi) - lm);
    if (qi > 0) js += 0.5 * qi * (safeLog(qi) - lm);
  }
  return Math.min(LN2, Math.max(0, js));
}

/** Closed-form KL(p || q) of two diagonal Gaussians, summed over action dimensions. */
export function gaussianKL(
  meanP: ArrayLike<number>,
  stdP: ArrayLike<number>,
  meanQ: ArrayLike<number>,
  stdQ: ArrayLike<number>,
): number {
  sameLength(meanP, meanQ, "gaussianKL");
  let kl = 0;
  for (let i = 0; i < meanP.length; i++) {
    const sp = stdP[i]!;
    const sq = stdQ[i]!;
    const d = meanP[i]! - meanQ[i]!;
    kl += Math.log(sq / sp) + (sp * sp + d * d) / (2 * sq * sq) - 0.5;
  }
  return Math.max(0, kl);
}

function diagLogPdf(x: Float64Array, mean: ArrayLike<number>, sd: ArrayLike<number>): number {
  let lp = 0;
  for (let i = 0; i < x.length; i++) {
    const z = (x[i]! - mean[i]!) / sd[i]!;
    lp += -0.5 * z * z - Math.log(sd[i]!) - 0.5 * Math.log(2 * Math.PI);
  }
  return lp;
}

function logMixture(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(0.5 * Math.exp(a - m) + 0.5 * Math.exp(b - m));
}

/**
 * Jensen-Shannon divergence of two diagonal Gaussians. It has no closed form, so it is estimated
 * by Monte Carlo with `samples` draws from each side (common random numbers for both), seeded
 * through `rng`; the estimate is clamped to [0, ln 2] and is exactly 0 for equal distributions.
 */
export function gaussianJS(
  meanP: ArrayLike<number>,
  stdP: ArrayLike<number>,
  meanQ: ArrayLike<number>,
  stdQ: ArrayLike<number>,
  rng: Rng,
  samples = 256,
): number {
  sameLength(meanP, meanQ, "gaussianJS");
  const d = meanP.length;
  const x = new Float64Array(d);
  const y = new Float64Array(d);
  let sum = 0;
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < d; i++) {
      const z = rng.normal();
      x[i] = meanP[i]! + stdP[i]! * z;
      y[i] = meanQ[i]! + stdQ[i]! * z;
    }
    const pX = diagLogPdf(x, meanP, stdP);
    const qX = diagLogPdf(x, meanQ, stdQ);
    const pY = diagLogPdf(y, meanP, stdP);
    const qY = diagLogPdf(y, meanQ, stdQ);
    sum += pX - logMixture(pX, qX) + (qY - logMixture(pY, qY));
  }
  return Math.min(LN2, Math.max(0, sum / (2 * samples)));
}

/** KL(p || q) of two action distributions of the same kind. */
export function distributionKL(p: ActionDistribution, q: ActionDistribution): number {
  if (p.kind === "categorical" && q.kind === "categorical") return categoricalKL(p.probs, q.probs);
  if (p.kind === "gaussian" && q.kind === "gaussian") return gaussianKL(p.mean, p.std, q.mean, q.std);
  throw new ConfigError("distribution.kind", `cannot compare ${p.kind} with ${q.kind}`);
}

/** JS divergence of two action distributions of the same kind (Gaussians need an `rng`). */
export function distributionJS(
  p: ActionDistribution,
  q: ActionDistribution,
  rng?: Rng,
  samples?: number,
): number {
  if (p.kind === "categorical" && q.kind === "categorical") return categoricalJS(p.probs, q.probs);
  if (p.kind === "gaussian" && q.kind === "gaussian") {
    if (!rng)
      throw new ConfigError("rng", "required for the JS divergence of Gaussians (Monte Carlo estimate)");
    return gaussianJS(p.mean, p.std, q.mean, q.std, rng, samples);
  }
  throw new ConfigError("distribution.kind", `cannot compare ${p.kind} with ${q.kind}`);
}
