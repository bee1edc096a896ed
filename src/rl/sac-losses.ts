/**
 * SAC's math on plain arrays (Haarnoja et al. 2018, https://arxiv.org/abs/1812.05905), as
 * CleanRL's sac_continuous_action.py and Stable-Baselines3 compute it: a tanh-squashed diagonal
 * Gaussian policy, the soft TD target, the reparameterised actor loss and its gradient with
 * respect to the actor's outputs, and the entropy-temperature gradient. Pure functions, known-answer
 * tested (sac-losses.test.ts), called by the tape-free training step in sac.ts.
 *
 * `sacActorGradient` puts the actor's part together on the networks (the kernels' forwards and the
 * critics' backward down to their action input).
 *
 * The actor outputs `[mean (A), raw log std (A)]` per sample. The log std is squashed into
 * [logStdMin, logStdMax] with CleanRL's `min + (max - min) (tanh(raw) + 1) / 2`. Actions are in
 * the squashed space [-1, 1]; the env scale is applied outside.
 */

import { concatRows, type DenseNets } from "./off-policy-nets.js";

/** Constant of the Gaussian log density, log(2 pi) / 2. */
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** As SB3 and CleanRL: keeps log(1 - tanh(u)^2) finite at saturation. */
export const SQUASH_EPS = 1e-6;

export interface SquashedSample {
  /** tanh(u), [B * A]. */
  action: Float32Array;
  /** log pi(action | s) with the tanh correction, [B]. */
  logProb: Float32Array;
  /** The noise used, [B * A] (u = mean + std * noise). */
  noise: Float32Array;
  /** std, [B * A]. */
  std: Float32Array;
  /** tanh of the raw log-std output, [B * A] (for the log-std gradient). */
  rawTanh: Float32Array;
}

/** log std in [lo, hi] from the raw output, and tanh(raw). */
function squashLogStd(raw: number, lo: number, hi: number): { logStd: number; t: number } {
  const t = Math.tanh(raw);
  return { logStd: lo + 0.5 * (hi - lo) * (t + 1), t };
}

/**
 * Samples a = tanh(mean + std * noise) for B rows of actor outputs `out` ([B * 2A]) with the given
 * standard-normal `noise` ([B * A]), and its log-probability.
 */
export function squashedGaussianSample(
  out: ArrayLike<number>,
  noise: Float32Array,
  B: number,
  A: number,
  logStdMin: number,
  logStdMax: number,
): SquashedSample {
  const action = new Float32Array(B * A);
  const logProb = new Float32Array(B);
  const std = new Float32Array(B * A);
  const rawTanh = new Float32Array(B * A);
  for (let b = 0; b < B; b++) {
    let lp = 0;
    for (let j = 0; j < A; j++) {
      const k = b * A + j;
      const { logStd, t } = squashLogStd(out[b * 2 * A + A + j]!, logStdMin, logStdMax);
      const s = Math.exp(logStd);
      const e = noise[k]!;
      const a = Math.tanh(out[b * 2 * A + j]! + s * e);
      action[k] = a;
      std[k] = s;
      rawTanh[k] = t;
      lp += -0.5 * e * e - logStd - HALF_LOG_2PI - Math.log(1 - a * a + SQUASH_EPS);
    }
    logProb[b] = lp;
  }
  return { action, logProb, noise, std, rawTanh };
}

/** The deterministic action tanh(mean) of B rows of actor outputs ([B * 2A]). */
export function squashedMean(out: ArrayLike<number>, B: number, A: number): Float32Array {
  const a = new Float32Array(B * A);
  for (let b = 0; b < B; b++) for (let j = 0; j < A; j++) a[b * A + j] = Math.tanh(out[b * 2 * A + j]!);
  return a;
}

/** Soft TD target y = r + gamma (1 - terminated) (min(Q1', Q2') - alpha log pi(a' | s')). */
export function softTdTarget(
  rewards: ArrayLike<number>,
  terminated: ArrayLike<number>,
  q1Next: ArrayLike<number>,
  q2Next: ArrayLike<number>,
  logProbNext: ArrayLike<number>,
  alpha: number,
  gamma: number,
): Float32Array {
  const y = new Float32Array(rewards.length);
  for (let i = 0; i < y.length; i++) {
    const soft = Math.min(q1Next[i]!, q2Next[i]!) - alpha * logProbNext[i]!;
    y[i] = rewards[i]! + gamma * (1 - terminated[i]!) * soft;
  }
  return y;
}

/**
 * The twin critics' loss, SB3's `0.5 * (mse(Q1, y) + mse(Q2, y))`, and its gradients with respect
 * to Q1 and Q2 ([B] each).
 */
export function criticLossGrad(
  q1: ArrayLike<number>,
  q2: ArrayLike<number>,
  y: ArrayLike<number>,
): { loss: number; dQ1: Float32Array; dQ2: Float32Array } {
  const B = y.length;
  const dQ1 = new Float32Array(B);
  const dQ2 = new Float32Array(B);
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const e1 = q1[i]! - y[i]!;
    const e2 = q2[i]! - y[i]!;
    loss += e1 * e1 + e2 * e2;
    dQ1[i] = e1 / B;
    dQ2[i] = e2 / B;
  }
  return { loss: (0.5 * loss) / B, dQ1, dQ2 };
}

/**
 * The actor loss J = mean(alpha log pi(a|s) - min(Q1, Q2)(s, a)) for the reparameterised sample
 * `s`, and dJ/d(actor outputs) ([B * 2A]) given `dQda`, the gradient of min(Q1, Q2) with respect
 * to the action ([B * A], from the critic that is the minimum for each row).
 *
 * With u = mean + std * noise and a = tanh(u):
 *   dJ/du = (alpha * 2 a (1 - a^2) / (1 - a^2 + eps) - dQ/da * (1 - a^2)) / B
 *   dJ/dmean = dJ/du;  dJ/dlogStd = dJ/du * std * noise - alpha / B
 *   dJ/draw = dJ/dlogStd * (max - min) / 2 * (1 - tanh(raw)^2)
 */
export function actorLossGrad(
  s: SquashedSample,
  minQ: ArrayLike<number>,
  dQda: ArrayLike<number>,
  alpha: number,
  B: number,
  A: number,
  logStdMin: number,
  logStdMax: number,
): { loss: number; dOut: Float32Array } {
  const dOut = new Float32Array(B * 2 * A);
  const half = 0.5 * (logStdMax - logStdMin);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    loss += alpha * s.logProb[b]! - minQ[b]!;
    for (let j = 0; j < A; j++) {
      const k = b * A + j;
      const a = s.action[k]!;
      const oneMinusA2 = 1 - a * a;
      const du = ((alpha * 2 * a * oneMinusA2) / (oneMinusA2 + SQUASH_EPS) - dQda[k]! * oneMinusA2) / B;
      const dLogStd = du * s.std[k]! * s.noise[k]! - alpha / B;
      const t = s.rawTanh[k]!;
      dOut[b * 2 * A + j] = du;
      dOut[b * 2 * A + A + j] = dLogStd * half * (1 - t * t);
    }
  }
  return { loss: loss / B, dOut };
}

/**
 * The temperature loss mean(-log(alpha) (log pi + targetEntropy)) (log pi held fixed) and its
 * gradient with respect to log(alpha).
 */
export function alphaLossGrad(
  logAlpha: number,
  logProb: ArrayLike<number>,
  targetEntropy: number,
): {
  loss: number;
  grad: number;
} {
  let m = 0;
  for (let i = 0; i < logProb.length; i++) m += logProb[i]! + targetEntropy;
  m /= logProb.length;
  return { loss: -logAlpha * m, grad: -m };
}

/** Sizes of a gradient step's batch. */
export interface SacShapes {
  batch: number;
  obsSize: number;
  actionSize: number;
  logStdMin: number;
  logStdMax: number;
}

/**
 * The reparameterised actor loss J = mean(alpha log pi(a|s) - min(Q1, Q2)(s, a)), a = tanh(mean +
 * std noise), and its gradient with respect to the actor's parameters, written into `actor.grad`
 * (network 0). dmin(Q1, Q2)/da comes from each row's minimum critic, backward down to its action
 * input (the critics' own gradients are not computed). Returns J and log pi(a|s) (for the
 * temperature step).
 */
export function sacActorGradient(
  actor: DenseNets,
  critics: DenseNets,
  obs: Float32Array,
  noise: Float32Array,
  alpha: number,
  shapes: SacShapes,
): { loss: number; logProb: Float32Array } {
  const { batch: B, obsSize: O, actionSize: A, logStdMin, logStdMax } = shapes;
  const sample = squashedGaussianSample(actor.forward(0, obs, B), noise, B, A, logStdMin, logStdMax);
  const sa = concatRows(obs, sample.action, B, O, A);
  const q1 = critics.forward(0, sa, B);
  const q2 = critics.forward(1, sa, B);
  const pick1 = new Float32Array(B);
  const pick2 = new Float32Array(B);
  const minQ = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    pick1[i] = q1[i]! <= q2[i]! ? 1 : 0;
    pick2[i] = 1 - pick1[i]!;
    minQ[i] = Math.min(q1[i]!, q2[i]!);
  }
  const d1 = critics.inputGrad(0, pick1);
  const d2 = critics.inputGrad(1, pick2);
  const dQda = new Float32Array(B * A);
  for (let i = 0; i < B; i++)
    for (let j = 0; j < A; j++) dQda[i * A + j] = d1[i * (O + A) + O + j]! + d2[i * (O + A) + O + j]!;
  const { loss, dOut } = actorLossGrad(sample, minQ, dQda, alpha, B, A, logStdMin, logStdMax);
  actor.backward(0, dOut);
  return { loss, logProb: sample.logProb };
}
