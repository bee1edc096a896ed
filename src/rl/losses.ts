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
