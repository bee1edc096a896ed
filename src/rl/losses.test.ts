import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import {
  categoricalEntropyTensor,
  categoricalLogProbTensor,
  gaussianEntropyTensor,
  gaussianLogProbTensor,
  initBackend,
  type Scalar,
  tf,
} from "../nn/index.js";
import {
  dqnLoss,
  dqnLossGrad,
  type PpoLossCoefs,
  ppoLoss,
  ppoLossGrad,
  tdTarget,
  tdTargetArray,
} from "./losses.js";

beforeAll(async () => {
  await initBackend();
});

const t = (xs: number[]) => tf.tensor1d(xs);
const num = (x: tf.Tensor) => x.dataSync()[0]!;

describe("ppoLoss", () => {
  it("matches a hand computation (clipped surrogate, clipped value loss, entropy, KL, clip fraction)", () => {
    // ratio = [0.5/0.4, 0.2/0.4] = [1.25, 0.5]; advantages [1, -1]; clip 0.2
    //   -A r = [-1.25, 0.5], -A clip(r) = [-1.2, 0.8] -> max [-1.2, 0.8] -> policy loss -0.2
    // V [1, 2], returns [1.5, 1], V_old [0.5, 2.5]
    //   unclipped [0.25, 1], clipped V [0.7, 2.3] -> [0.64, 1.69] -> max [0.64, 1.69] -> 0.5 * 1.165 = 0.5825
    // entropy mean 0.5; loss = -0.2 - 0.01 * 0.5 + 0.5 * 0.5825 = 0.08625
    // approx_kl = mean((r - 1) - log r) = mean(0.25 - log 1.25, -0.5 - log 0.5) = 0.1100015
    const { loss, metrics } = ppoLoss(
      {
        logProb: t([Math.log(0.5), Math.log(0.2)]),
        oldLogProb: t([Math.log(0.4), Math.log(0.4)]),
        advantages: t([1, -1]),
        value: t([1, 2]),
        returns: t([1.5, 1]),
        oldValues: t([0.5, 2.5]),
        entropy: t([0.6, 0.4]),
      },
      { clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.5 },
    );
    expect(num(metrics.policy_loss!)).toBeCloseTo(-0.2, 6);
    expect(num(metrics.value_loss!)).toBeCloseTo(0.5825, 6);
    expect(num(metrics.entropy_loss!)).toBeCloseTo(-0.5, 6);
    expect(num(metrics.approx_kl!)).toBeCloseTo(0.1100015, 5);
    expect(num(metrics.clip_fraction!)).toBe(1);
    expect(num(loss)).toBeCloseTo(0.08625, 6);
  });

  it("without value clipping uses 0.5 * MSE", () => {
    const { metrics } = ppoLoss(
      {
        logProb: t([0]),
        oldLogProb: t([0]),
        advantages: t([1]),
        value: t([3]),
        returns: t([1]),
        oldValues: t([0]),
        entropy: t([0]),
      },
      { clipCoef: 0.2, clipVloss: false, entCoef: 0, vfCoef: 1 },
    );
    expect(num(metrics.value_loss!)).toBeCloseTo(2, 6);
    expect(num(metrics.clip_fraction!)).toBe(0);
  });
});

/**
 * ppoLossGrad (the loss PPO and DistilledPPO train on, in plain JS) against ppoLoss under tf.grads
 * with respect to the actor's outputs, the values and the log std. Ratios spread over [0.6, 1.5]
 * so that some samples are clipped and some are not; old values within and beyond the clip range.
 */
function comparePpoGrad(discrete: boolean, c: PpoLossCoefs, seed: number) {
  const rng = new Rng(seed);
  const B = 24;
  const n = 3;
  const u = (lo: number, hi: number) => rng.uniform(lo, hi);
  const out = Float32Array.from({ length: B * n }, () => u(-2, 2));
  const logStd = Float32Array.from({ length: n }, () => u(-1, 0.5));
  const value = Float32Array.from({ length: B }, () => u(-1, 1));
  const returns = Float32Array.from({ length: B }, () => u(-1, 1));
  const oldValues = Float32Array.from({ length: B }, (_, b) => value[b]! + u(-0.5, 0.5));
  const advantages = Float32Array.from({ length: B }, () => u(-1.5, 1.5));
  const actions = discrete
    ? Int32Array.from({ length: B }, () => rng.integer(n))
    : Float32Array.from({ length: B * n }, () => u(-2, 2));

  // The current log pi(a|s) and entropy as tensors of (out, logStd), so that tf.grads sees them:
  // the ops ActorCritic.evaluate feeds the tensor loss with.
  const logProbAndEntropy = (o: tf.Tensor2D, ls: tf.Tensor1D) =>
    discrete
      ? {
          logProb: categoricalLogProbTensor(o, tf.tensor1d(actions as Int32Array, "int32")),
          entropy: categoricalEntropyTensor(o),
        }
      : {
          logProb: gaussianLogProbTensor(o, ls, tf.tensor2d(actions as Float32Array, [B, n])),
          entropy: tf.mul(gaussianEntropyTensor(ls), tf.ones([B])),
        };
  // Old log-probabilities: the current ones shifted so that ratios lie in [0.6, 1.5].
  const current = tf.tidy(() =>
    logProbAndEntropy(tf.tensor2d(out, [B, n]), tf.tensor1d(logStd)).logProb.dataSync(),
  );
  const oldLogProb = Float32Array.from({ length: B }, (_, b) => current[b]! - Math.log(u(0.6, 1.5)));

  const ref = tf.tidy(() => {
    // A discrete policy has no log std: differentiate with respect to (out, value) only.
    const lossOf = (o: tf.Tensor, v: tf.Tensor, ls: tf.Tensor = tf.tensor1d(logStd)) =>
      ppoLoss(
        {
          ...logProbAndEntropy(o as tf.Tensor2D, ls as tf.Tensor1D),
          value: v,
          oldLogProb: tf.tensor1d(oldLogProb),
          advantages: tf.tensor1d(advantages),
          returns: tf.tensor1d(returns),
          oldValues: tf.tensor1d(oldValues),
        },
        c,
      ).loss as Scalar;
    const args = [tf.tensor2d(out, [B, n]), tf.tensor1d(value)];
    if (!discrete) args.push(tf.tensor1d(logStd));
    const grads = tf.grads(lossOf)(args);
    return {
      loss: lossOf(args[0]!, args[1]!, args[2]).dataSync()[0]!,
      dOut: grads[0]!.dataSync(),
      dValue: grads[1]!.dataSync(),
      dLogStd: discrete ? new Float32Array(0) : grads[2]!.dataSync(),
    };
  });
  const got = ppoLossGrad(
    {
      size: B,
      out,
      value,
      actions,
      logStd: discrete ? undefined : logStd,
      oldLogProb,
      advantages,
      returns,
      oldValues,
    },
    n,
    discrete,
    c,
  );
  expect(got.loss).toBeCloseTo(ref.loss, 5);
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    expect(a.length).toBe(b.length);
    for (let j = 0; j < a.length; j++) expect(Math.abs(a[j]! - b[j]!)).toBeLessThan(1e-5);
  };
  close(got.dOut, ref.dOut);
  close(got.dValue, ref.dValue);
  if (!discrete) close(got.dLogStd, ref.dLogStd);
  // Not a vacuous match: both the clipped and the unclipped branches were taken.
  expect(got.metrics.clip_fraction).toBeGreaterThan(0);
  expect(got.metrics.clip_fraction).toBeLessThan(1);
}

describe("ppoLossGrad (the tape-free PPO loss)", () => {
  const coefs = (entCoef: number, clipVloss: boolean): PpoLossCoefs => ({
    clipCoef: 0.2,
    clipVloss,
    entCoef,
    vfCoef: 0.5,
  });
  it("matches ppoLoss under tf.grads: discrete, clipped value loss, entropy bonus", () =>
    comparePpoGrad(true, coefs(0.01, true), 1));
  it("matches it with a plain value loss and a negative entCoef (an entropy penalty)", () =>
    comparePpoGrad(true, coefs(-0.05, false), 2));
  it("matches it for a Gaussian policy (mean and log std), both signs of entCoef", () => {
    comparePpoGrad(false, coefs(0.01, true), 3);
    comparePpoGrad(false, coefs(-0.05, false), 4);
  });
  it("a negative entCoef moves the logits toward the greedy action, a positive one away from it", () => {
    // One sample with a zero advantage: only the entropy term has a gradient.
    const x = {
      size: 1,
      out: [1, 0, -1],
      value: [0],
      actions: [0],
      oldLogProb: [0],
      advantages: [0],
      returns: [0],
      oldValues: [0],
    };
    const bonus = ppoLossGrad(x, 3, true, coefs(0.1, true)).dOut;
    const penalty = ppoLossGrad(x, 3, true, coefs(-0.1, true)).dOut;
    // Gradient descent moves the logits by -dOut: the penalty raises the top logit, the bonus lowers it.
    expect(penalty[0]).toBeLessThan(0);
    expect(bonus[0]).toBeGreaterThan(0);
    for (let j = 0; j < 3; j++) expect(penalty[j]).toBeCloseTo(-bonus[j]!, 7);
  });
});

describe("DQN losses", () => {
  it("TD target (plain and double) and the MSE / Huber regression", () => {
    const nextTarget = tf.tensor2d([1, 5, 3, 2], [2, 2]);
    const nextOnline = tf.tensor2d([9, 0, 0, 9], [2, 2]);
    // plain: r + 0.5 * max Q_target * (1 - done) = [1 + 2.5, 2 + 0] ; double picks Q_target at argmax online = [1, 2]
    expect(Array.from(tdTarget(nextTarget, null, t([1, 2]), t([0, 1]), 0.5).dataSync())).toEqual([3.5, 2]);
    expect(Array.from(tdTarget(nextTarget, nextOnline, t([1, 2]), t([0, 0]), 0.5).dataSync())).toEqual([
      1.5, 3,
    ]);
    const q = tf.tensor2d([0, 1, 2, 3], [2, 2]);
    const actions = tf.tensor1d([1, 0], "int32");
    // Q(s, a) = [1, 2]; target [4, 2.5]: errors [3, 0.5]
    expect(num(dqnLoss(q, actions, t([4, 2.5]), "mse").loss)).toBeCloseTo((9 + 0.25) / 2, 6);
    expect(num(dqnLoss(q, actions, t([4, 2.5]), "huber").loss)).toBeCloseTo((2.5 + 0.125) / 2, 6);
    expect(num(dqnLoss(q, actions, t([4, 2.5]), "mse").metrics.q_values!)).toBeCloseTo(1.5, 6);
  });
});

describe("dqnLossGrad and tdTargetArray (the tape-free DQN loss)", () => {
  it("match dqnLoss and tdTarget (tf.grads for dLoss/dQ), plain and double, mse and huber", () => {
    const rng = new Rng(7);
    const B = 16;
    const n = 4;
    const u = (lo: number, hi: number) => rng.uniform(lo, hi);
    const q = Float32Array.from({ length: B * n }, () => u(-3, 3));
    const nextTarget = Float32Array.from({ length: B * n }, () => u(-3, 3));
    const nextOnline = Float32Array.from({ length: B * n }, () => u(-3, 3));
    const rewards = Float32Array.from({ length: B }, () => u(-1, 1));
    const terminated = Float32Array.from({ length: B }, () => (rng.random() < 0.3 ? 1 : 0));
    const actions = Int32Array.from({ length: B }, () => rng.integer(n));
    for (const double of [false, true]) {
      const target = tdTargetArray(nextTarget, double ? nextOnline : null, rewards, terminated, 0.9, n);
      const refTarget = tf.tidy(() =>
        tdTarget(
          tf.tensor2d(nextTarget, [B, n]),
          double ? tf.tensor2d(nextOnline, [B, n]) : null,
          tf.tensor1d(rewards),
          tf.tensor1d(terminated),
          0.9,
        ).dataSync(),
      );
      for (let b = 0; b < B; b++) expect(target[b]).toBeCloseTo(refTarget[b]!, 5);
      for (const kind of ["mse", "huber"] as const) {
        const got = dqnLossGrad(q, actions, target, n, kind);
        const ref = tf.tidy(() => {
          const lossOf = (x: tf.Tensor) =>
            dqnLoss(x, tf.tensor1d(actions, "int32"), tf.tensor1d(target), kind).loss as Scalar;
          const x = tf.tensor2d(q, [B, n]);
          return { loss: lossOf(x).dataSync()[0]!, dQ: tf.grad(lossOf)(x).dataSync() };
        });
        expect(got.loss).toBeCloseTo(ref.loss, 5);
        for (let j = 0; j < B * n; j++) expect(Math.abs(got.dQ[j]! - ref.dQ[j]!)).toBeLessThan(1e-6);
        // Huber's both pieces were exercised (errors on either side of 1).
        if (kind === "huber") {
          const errs = Array.from({ length: B }, (_, b) => Math.abs(q[b * n + actions[b]!]! - target[b]!));
          expect(errs.some((e) => e < 1) && errs.some((e) => e > 1)).toBe(true);
        }
      }
    }
  });
});
