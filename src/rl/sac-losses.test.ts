import { describe, expect, it } from "vitest";
import {
  actorLossGrad,
  alphaLossGrad,
  criticLossGrad,
  softTdTarget,
  squashedGaussianSample,
  squashedMean,
} from "./sac-losses.js";

const LO = -5;
const HI = 2;

/** log N(u; mean, std) - log(1 - tanh(u)^2 + 1e-6): the density of a = tanh(u) through u, not the noise. */
function logDensityViaU(u: number, mean: number, std: number): number {
  const a = Math.tanh(u);
  return (
    -0.5 * ((u - mean) / std) ** 2 - Math.log(std) - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - a * a + 1e-6)
  );
}

describe("squashed Gaussian", () => {
  it("samples tanh(mean + std noise) with the change-of-variables log density", () => {
    // Two rows, two dimensions: outputs [mean0, mean1, raw0, raw1].
    const out = Float32Array.of(0.5, -1, 0, 1, 2, 0.3, -0.7, -3);
    const noise = Float32Array.of(0.3, -1.2, 0, 2);
    const s = squashedGaussianSample(out, noise, 2, 2, LO, HI);
    let expected = 0;
    for (const [b, j] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ] as const) {
      const raw = out[b * 4 + 2 + j]!;
      const logStd = LO + 0.5 * (HI - LO) * (Math.tanh(raw) + 1); // CleanRL's squash
      const std = Math.exp(logStd);
      const u = out[b * 4 + j]! + std * noise[b * 2 + j]!;
      expect(s.action[b * 2 + j]).toBeCloseTo(Math.tanh(u), 6);
      expect(s.std[b * 2 + j]).toBeCloseTo(std, 6);
      expected += logDensityViaU(u, out[b * 4 + j]!, std);
      if (j === 1) {
        expect(s.logProb[b]).toBeCloseTo(expected, 4);
        expected = 0;
      }
    }
    const means = squashedMean(out, 2, 2);
    for (const [k, m] of [0.5, -1, 2, 0.3].entries()) expect(means[k]).toBeCloseTo(Math.tanh(m), 6);
    // raw 0 is the middle of the log-std range: (-5 + 2) / 2.
    expect(Math.log(s.std[0]!)).toBeCloseTo(-1.5, 6);
  });
});

describe("soft TD target and critic loss", () => {
  it("known answers", () => {
    const y = softTdTarget([1, 2], [0, 1], [3, 10], [5, -4], [-1, 7], 0.2, 0.9);
    expect(y[0]).toBeCloseTo(1 + 0.9 * (3 + 0.2), 6); // min(3, 5) - 0.2 * (-1)
    expect(y[1]).toBeCloseTo(2, 6); // terminated: no bootstrap
    const c = criticLossGrad([1, 2], [0, 4], [1, 1]);
    // 0.5 * (mean((0, 1)^2) + mean((-1, 3)^2)) = 0.5 * (0.5 + 5) = 2.75
    expect(c.loss).toBeCloseTo(2.75, 12);
    expect(Array.from(c.dQ1)).toEqual([0, 0.5]);
    expect(Array.from(c.dQ2)).toEqual([-0.5, 1.5]);
  });

  it("the temperature gradient pushes alpha down when the entropy is above target", () => {
    // log pi = -3 on average, target entropy -1: the entropy (3) is above target, the gradient is
    // positive, so gradient descent lowers log(alpha).
    const g = alphaLossGrad(0.1, [-2, -4], -1);
    expect(g.grad).toBeCloseTo(4, 12); // -(mean(log pi) + target) = -(-3 - 1)
    expect(g.loss).toBeCloseTo(-0.1 * -4, 12);
  });
});

describe("actor gradient", () => {
  it("matches finite differences of the loss with Q(a) = -sum (a - c)^2", () => {
    const B = 3;
    const A = 2;
    const alpha = 0.3;
    const c = [0.2, -0.4];
    const noise = Float32Array.of(0.5, -0.3, 1.1, 0.2, -0.8, 0.05);
    const base = [0.1, -0.2, 0.3, -0.5, 0.4, 0.6, -0.9, 0.2, 0.7, -0.1, 0.2, 0.9];
    const loss = (out: number[]): number => {
      const s = squashedGaussianSample(Float64Array.from(out), noise, B, A, LO, HI);
      let j = 0;
      for (let b = 0; b < B; b++) {
        let q = 0;
        for (let k = 0; k < A; k++) q -= (s.action[b * A + k]! - c[k]!) ** 2;
        j += alpha * s.logProb[b]! - q;
      }
      return j / B;
    };
    // The sampler rounds to float32: differentiate in float64 by evaluating its formula directly.
    const s = squashedGaussianSample(Float64Array.from(base), noise, B, A, LO, HI);
    const minQ = new Float32Array(B);
    const dQda = new Float32Array(B * A);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < A; k++) {
        const a = s.action[b * A + k]!;
        minQ[b] = minQ[b]! - (a - c[k]!) ** 2;
        dQda[b * A + k] = -2 * (a - c[k]!);
      }
    }
    const { loss: J, dOut } = actorLossGrad(s, minQ, dQda, alpha, B, A, LO, HI);
    expect(J).toBeCloseTo(loss(base), 4);
    const h = 1e-3;
    for (let i = 0; i < base.length; i++) {
      const up = base.slice();
      const down = base.slice();
      up[i] = up[i]! + h;
      down[i] = down[i]! - h;
      expect(dOut[i]).toBeCloseTo((loss(up) - loss(down)) / (2 * h), 3);
    }
  });
});
