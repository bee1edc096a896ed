import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import {
  categoricalJS,
  categoricalKL,
  distributionJS,
  distributionKL,
  gaussianJS,
  gaussianKL,
} from "./divergence.js";

// Known answers from SciPy 1.10:
//   scipy.stats.entropy(p, q)                         (KL, natural log)
//   scipy.spatial.distance.jensenshannon(p, q) ** 2   (JS divergence, natural log)
//   Gaussian JS by scipy.integrate.quad of 0.5 p log(p/m) + 0.5 q log(q/m) over [-30, 30]
describe("categorical divergences", () => {
  it("match SciPy", () => {
    expect(categoricalKL([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.5108256237659906, 12);
    expect(categoricalJS([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.10174922507919676, 12);
    expect(categoricalKL([0.7, 0.2, 0.1], [0.1, 0.3, 0.6])).toBeCloseTo(1.101868135794281, 12);
    expect(categoricalJS([0.7, 0.2, 0.1], [0.1, 0.3, 0.6])).toBeCloseTo(0.2306454879041134, 12);
  });

  it("are 0 for equal distributions and JS is symmetric", () => {
    expect(categoricalKL([0.2, 0.8], [0.2, 0.8])).toBe(0);
    expect(categoricalJS([0.2, 0.8], [0.2, 0.8])).toBe(0);
    expect(categoricalJS([0.1, 0.9], [0.6, 0.4])).toBeCloseTo(categoricalJS([0.6, 0.4], [0.1, 0.9]), 15);
  });

  it("stay finite with zero probabilities: JS reaches ln 2, KL is large but finite", () => {
    expect(categoricalJS([1, 0], [0, 1])).toBeCloseTo(Math.LN2, 15);
    // Teacher zeros contribute nothing.
    expect(categoricalKL([0, 1], [0.5, 0.5])).toBeCloseTo(Math.LN2, 15);
    // Student zero where the teacher has mass: clamped at 1e-12 -> 1 * (0 - ln 1e-12).
    const kl = categoricalKL([1, 0], [0, 1]);
    expect(Number.isFinite(kl)).toBe(true);
    expect(kl).toBeCloseTo(-Math.log(1e-12), 9);
  });
});

describe("Gaussian divergences", () => {
  it("closed-form KL matches hand computation, summed over dimensions", () => {
    // KL(N(0,1) || N(1,2)) = ln 2 + (1 + 1) / 8 - 1/2
    const one = Math.LN2 + 0.25 - 0.5;
    expect(gaussianKL([0], [1], [1], [2])).toBeCloseTo(one, 14);
    expect(gaussianKL([0, 3], [1, 0.5], [1, 3], [2, 0.5])).toBeCloseTo(one, 14);
    expect(gaussianKL([0.3], [0.7], [0.3], [0.7])).toBe(0);
  });

  it("Monte Carlo JS is close to numeric integration, seeded, and 0 for equal inputs", () => {
    const a = gaussianJS([0], [1], [1], [1], new Rng(1), 20000);
    expect(a).toBeCloseTo(0.1114214821847362, 2);
    const b = gaussianJS([0], [1], [0.5], [2], new Rng(2), 20000);
    expect(b).toBeCloseTo(0.10176053864589023, 2);
    expect(gaussianJS([0], [1], [1], [1], new Rng(7), 64)).toBe(
      gaussianJS([0], [1], [1], [1], new Rng(7), 64),
    );
    expect(gaussianJS([0.2, -1], [0.3, 2], [0.2, -1], [0.3, 2], new Rng(3))).toBe(0);
    expect(gaussianJS([0], [0.01], [100], [0.01], new Rng(3))).toBeCloseTo(Math.LN2, 10);
  });
});

describe("distribution dispatch", () => {
  it("compares like with like and rejects mixed kinds", () => {
    const c = { kind: "categorical", probs: Float64Array.of(0.5, 0.5) } as const;
    const g = { kind: "gaussian", mean: Float64Array.of(0), std: Float64Array.of(1) } as const;
    expect(distributionKL(c, c)).toBe(0);
    expect(distributionKL(g, g)).toBe(0);
    expect(distributionJS(g, g, new Rng(0))).toBe(0);
    expect(() => distributionKL(c, g)).toThrow(/categorical with gaussian/);
    expect(() => distributionJS(g, g)).toThrow(/rng/);
  });
});
