/**
 * The algorithms' losses as pure functions of tensors returning `{ loss, metrics }` (metrics are
 * logged under train/). They run inside `trainStep`'s gradient tape; tensors are freed by it.
 */
import { huber, mse, pickActions, type Scalar, type Tensor, tf } from "../nn/index.js";

export interface PpoLossInputs {
  /** log pi(a|s) under the current policy, [batch]. */
  logProb: Tensor;
  /** Per-sample entropy, [batch]. */
  entropy: Tensor;
  /** V(s) under the current critic, [batch]. */
  value: Tensor;
  /** From the rollout: log pi_old(a|s), (normalised) advantages, returns, V_old(s). */
  oldLogProb: Tensor;
  advantages: Tensor;
  returns: Tensor;
  oldValues: Tensor;
}

export interface PpoLossCoefs {
  clipCoef: number;
  clipVloss: boolean;
  entCoef: number;
  vfCoef: number;
}

/**
 * CleanRL's PPO loss: clipped surrogate + vfCoef * (optionally clipped) value loss - entCoef *
 * entropy. Metrics: policy_loss, value_loss, entropy_loss (= -entropy, as SB3 logs it),
 * approx_kl ((r - 1) - log r, Schulman's k3 estimator) and clip_fraction.
 */
export function ppoLoss(
  x: PpoLossInputs,
  c: PpoLossCoefs,
): { loss: Scalar; metrics: Record<string, Scalar> } {
  const logRatio = tf.sub(x.logProb, x.oldLogProb);
  const ratio = tf.exp(logRatio);
  const negAdv = tf.neg(x.advantages);
  const pg1 = tf.mul(negAdv, ratio);
  const pg2 = tf.mul(negAdv, tf.clipByValue(ratio, 1 - c.clipCoef, 1 + c.clipCoef));
  const pgLoss = tf.mean(tf.maximum(pg1, pg2));
  const unclipped = tf.square(tf.sub(x.value, x.returns));
  let vLoss: Tensor;
  if (c.clipVloss) {
    const clippedValue = tf.add(
      x.oldValues,
      tf.clipByValue(tf.sub(x.value, x.oldValues), -c.clipCoef, c.clipCoef),
    );
    vLoss = tf.mul(0.5, tf.mean(tf.maximum(unclipped, tf.square(tf.sub(clippedValue, x.returns)))));
  } else vLoss = tf.mul(0.5, tf.mean(unclipped));
  const entropy = tf.mean(x.entropy);
  const loss = tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, entropy)), tf.mul(c.vfCoef, vLoss));
  const metrics = {
    policy_loss: pgLoss,
    value_loss: vLoss,
    entropy_loss: tf.neg(entropy),
    approx_kl: tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)),
    clip_fraction: tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), c.clipCoef), "float32")),
  };
  return { loss: loss as Scalar, metrics: metrics as Record<string, Scalar> };
}

/**
 * TD target r + gamma * (1 - terminated) * max_a' Q_target(s', a'), or with double DQN
 * Q_target(s', argmax_a' Q_online(s', a')). Compute it outside the gradient tape (no gradient).
 */
export function tdTarget(
  nextQTarget: Tensor,
  nextQOnline: Tensor | null,
  rewards: Tensor,
  terminated: Tensor,
  gamma: number,
): Tensor {
  const nextValue = nextQOnline
    ? pickActions(nextQTarget, tf.argMax(nextQOnline, 1))
    : tf.max(nextQTarget, 1);
  return tf.add(rewards, tf.mul(gamma, tf.mul(nextValue, tf.sub(1, terminated))));
}

/** DQN's regression of Q(s, a) on the TD target: "mse" (CleanRL) or "huber" (SB3). Metric: q_values. */
export function dqnLoss(
  q: Tensor,
  actions: Tensor,
  target: Tensor,
  kind: "mse" | "huber",
): { loss: Scalar; metrics: Record<string, Scalar> } {
  const taken = pickActions(q, actions);
  const loss = (kind === "huber" ? huber(taken, target) : mse(taken, target)) as Scalar;
  return { loss, metrics: { q_values: tf.mean(taken) as Scalar } };
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** A PPO minibatch and the current networks' outputs, as plain arrays (see `ppoLossGrad`). */
export interface PpoArrays {
  size: number;
  /** Actor outputs [batch, n]: logits (discrete) or action means (continuous). */
  out: ArrayLike<number>;
  /** V(s) [batch]. */
  value: ArrayLike<number>;
  /** Actions taken: indices [batch] (discrete) or values [batch, n] (continuous). */
  actions: ArrayLike<number>;
  /** Continuous only: the state-independent log std [n]. */
  logStd?: ArrayLike<number>;
  oldLogProb: ArrayLike<number>;
  advantages: ArrayLike<number>;
  returns: ArrayLike<number>;
  oldValues: ArrayLike<number>;
}

/** `ppoLoss`'s value and metrics, with the gradients of the loss for the backward pass. */
export interface PpoLossGrad {
  loss: number;
  metrics: Record<string, number>;
  /** dLoss/dOut [batch, n]. */
  dOut: Float32Array;
  /** dLoss/dV [batch]. */
  dValue: Float32Array;
  /** dLoss/dlogStd [n] (continuous; empty for discrete). */
  dLogStd: Float32Array;
}

/**
 * `ppoLoss` and its gradient with respect to the actor's outputs, the values and the log std,
 * in plain JS (float64, one pass over the batch): the same function and the same sub-gradients
 * as the tensor version under the registered gradients (ties of the two maxima go to the
 * unclipped term, clip bounds inclusive). Tested against `ppoLoss` under tf.grads.
 */
export function ppoLossGrad(x: PpoArrays, n: number, discrete: boolean, c: PpoLossCoefs): PpoLossGrad {
  const B = x.size;
  const dOut = new Float32Array(B * n);
  const dValue = new Float32Array(B);
  const dLogStd = new Float32Array(discrete ? 0 : n);
  const probs = new Float64Array(n);
  const lo = 1 - c.clipCoef;
  const hi = 1 + c.clipCoef;
  let pgSum = 0;
  let vSum = 0;
  let entSum = 0;
  let klSum = 0;
  let clipped = 0;
  let logStdSum = 0;
  if (!discrete) for (let j = 0; j < n; j++) logStdSum += x.logStd![j]!;
  for (let b = 0; b < B; b++) {
    const row = b * n;
    // log pi(a|s) and the entropy.
    let logProb: number;
    let entropy: number;
    let lse = 0;
    if (discrete) {
      let mx = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < n; j++) mx = Math.max(mx, x.out[row + j]!);
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x.out[row + j]! - mx);
      lse = mx + Math.log(s);
      entropy = 0;
      for (let j = 0; j < n; j++) {
        const lp = x.out[row + j]! - lse;
        probs[j] = Math.exp(lp);
        entropy -= probs[j]! * lp;
      }
      logProb = x.out[row + x.actions[b]!]! - lse;
    } else {
      let q = 0;
      for (let j = 0; j < n; j++) {
        const z = (x.actions[row + j]! - x.out[row + j]!) / Math.exp(x.logStd![j]!);
        q += 0.5 * z * z;
      }
      logProb = -(q + logStdSum + n * HALF_LOG_2PI);
      entropy = logStdSum + n * (0.5 + HALF_LOG_2PI);
    }
    // Clipped surrogate.
    const logRatio = logProb - x.oldLogProb[b]!;
    const ratio = Math.exp(logRatio);
    const negAdv = -x.advantages[b]!;
    const pg1 = negAdv * ratio;
    const pg2 = negAdv * Math.min(Math.max(ratio, lo), hi);
    pgSum += Math.max(pg1, pg2);
    const dLogProb = pg1 >= pg2 ? (negAdv * ratio) / B : 0;
    klSum += ratio - 1 - logRatio;
    if (Math.abs(ratio - 1) > c.clipCoef) clipped++;
    entSum += entropy;
    // Value loss.
    const v = x.value[b]!;
    const ret = x.returns[b]!;
    const unclipped = (v - ret) * (v - ret);
    let dv = 2 * (v - ret);
    if (c.clipVloss) {
      const old = x.oldValues[b]!;
      const d = v - old;
      const cv = old + Math.min(Math.max(d, -c.clipCoef), c.clipCoef);
      const sq = (cv - ret) * (cv - ret);
      if (sq > unclipped) dv = d >= -c.clipCoef && d <= c.clipCoef ? 2 * (cv - ret) : 0;
      vSum += Math.max(unclipped, sq);
    } else vSum += unclipped;
    dValue[b] = (c.vfCoef * 0.5 * dv) / B;
    // dLoss/dOut from log pi(a|s) and from the entropy bonus.
    if (discrete) {
      const a = x.actions[b]!;
      const entScale = c.entCoef / B;
      for (let j = 0; j < n; j++) {
        const p = probs[j]!;
        const lp = x.out[row + j]! - lse;
        dOut[row + j] = dLogProb * ((j === a ? 1 : 0) - p) + entScale * p * (lp + entropy);
      }
    } else {
      for (let j = 0; j < n; j++) {
        const std = Math.exp(x.logStd![j]!);
        const z = (x.actions[row + j]! - x.out[row + j]!) / std;
        dOut[row + j] = (dLogProb * z) / std;
        dLogStd[j] = dLogStd[j]! + dLogProb * (z * z - 1);
      }
    }
  }
  for (let j = 0; j < dLogStd.length; j++) dLogStd[j] = dLogStd[j]! - c.entCoef;
  const pgLoss = pgSum / B;
  const vLoss = (0.5 * vSum) / B;
  const entropy = entSum / B;
  return {
    loss: pgLoss - c.entCoef * entropy + c.vfCoef * vLoss,
    metrics: {
      policy_loss: pgLoss,
      value_loss: vLoss,
      entropy_loss: -entropy,
      approx_kl: klSum / B,
      clip_fraction: clipped / B,
    },
    dOut,
    dValue,
    dLogStd,
  };
}

/**
 * TD targets in plain JS, as `tdTarget`: r + gamma (1 - terminated) max_a' Q_target(s', a'), or
 * with double DQN Q_target(s', argmax_a' Q_online(s', a')) (first maximum on ties, as tf.argMax).
 */
export function tdTargetArray(
  nextQTarget: ArrayLike<number>,
  nextQOnline: ArrayLike<number> | null,
  rewards: ArrayLike<number>,
  terminated: ArrayLike<number>,
  gamma: number,
  n: number,
): Float32Array {
  const B = rewards.length;
  const out = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const row = b * n;
    let next: number;
    if (nextQOnline) {
      let best = 0;
      for (let j = 1; j < n; j++) if (nextQOnline[row + j]! > nextQOnline[row + best]!) best = j;
      next = nextQTarget[row + best]!;
    } else {
      next = nextQTarget[row]!;
      for (let j = 1; j < n; j++) next = Math.max(next, nextQTarget[row + j]!);
    }
    out[b] = rewards[b]! + gamma * (next * (1 - terminated[b]!));
  }
  return out;
}

/**
 * `dqnLoss` and its gradient with respect to Q [batch, n] in plain JS (only the taken actions'
 * entries are non-zero): mse 2 (q - y) / B, huber clip(q - y, -1, 1) / B.
 */
export function dqnLossGrad(
  q: ArrayLike<number>,
  actions: ArrayLike<number>,
  target: ArrayLike<number>,
  n: number,
  kind: "mse" | "huber",
): { loss: number; metrics: Record<string, number>; dQ: Float32Array } {
  const B = target.length;
  const dQ = new Float32Array(B * n);
  let sum = 0;
  let qSum = 0;
  for (let b = 0; b < B; b++) {
    const k = b * n + actions[b]!;
    const taken = q[k]!;
    qSum += taken;
    const d = taken - target[b]!;
    if (kind === "huber") {
      const a = Math.abs(d);
      const c = Math.min(a, 1);
      sum += 0.5 * c * c + (a - c);
      dQ[k] = Math.min(Math.max(d, -1), 1) / B;
    } else {
      sum += d * d;
      dQ[k] = (2 * d) / B;
    }
  }
  return { loss: sum / B, metrics: { q_values: qSum / B }, dQ };
}
