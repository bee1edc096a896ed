import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { categoricalLogProb, gaussianLogProb, sampleGaussian } from "./distributions.js";

describe("categoricalLogProb", () => {
  it("is stable for extreme logits", () => {
    expect(categoricalLogProb([1000, 0, -1000], 0, 3, 0)).toBeCloseTo(0, 12);
    expect(categoricalLogProb([1000, 0, -1000], 0, 3, 2)).toBeCloseTo(-2000, 9);
    expect(categoricalLogProb([9, 5, 5], 1, 2, 1)).toBeCloseTo(Math.log(0.5), 12);
  });
});

describe("gaussian", () => {
  it("log-prob matches the closed form and sampling has the right moments", () => {
    // N(1 | 0, e^0.5) in 1-D, plus N(-2 | -2, 1)
    const lp = gaussianLogProb([1, -2], 0, [0, -2], 0, [0.5, 0], 2);
    const s = Math.exp(0.5);
    const expected = -0.5 * (1 / s) ** 2 - 0.5 - 0.5 * Math.log(2 * Math.PI) + -0.5 * Math.log(2 * Math.PI);
    expect(lp).toBeCloseTo(expected, 10);
    const rng = new Rng(1);
    const out = new Float32Array(1);
    let sum = 0;
    let sq = 0;
    for (let k = 0; k < 20000; k++) {
      const l = sampleGaussian([3], 0, [Math.log(2)], 1, rng, out, 0);
      expect(l).toBeCloseTo(gaussianLogProb(out, 0, [3], 0, [Math.log(2)], 1), 6);
      sum += out[0]!;
      sq += out[0]! ** 2;
    }
    const m = sum / 20000;
    expect(m).toBeCloseTo(3, 1);
    expect(Math.sqrt(sq / 20000 - m * m)).toBeCloseTo(2, 1);
  });
});
