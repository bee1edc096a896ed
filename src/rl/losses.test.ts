import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../nn/index.js";
import { dqnLoss, ppoLoss, tdTarget } from "./losses.js";

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
