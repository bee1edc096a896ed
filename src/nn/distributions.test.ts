import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { initBackend, tf } from "./backend.js";
import {
  argmax,
  argmaxRows,
  categoricalLogProb,
  entropyRows,
  gaussianEntropy,
  gaussianLogProb,
  logSoftmax,
  qGapRows,
  sampleCategorical,
  sampleGaussian,
  sampleRow,
  softmaxProbs,
  softmaxRows,
} from "./distributions.js";
import {
  categoricalEntropyTensor,
  categoricalLogProbTensor,
  gaussianEntropyTensor,
  gaussianLogProbTensor,
} from "./ops.js";

describe("categorical", () => {
  it("log-prob is stable for extreme logits", () => {
    expect(categoricalLogProb([1000, 0, -1000], 0, 3, 0)).toBeCloseTo(0, 12);
    expect(categoricalLogProb([1000, 0, -1000], 0, 3, 2)).toBeCloseTo(-2000, 9);
    expect(categoricalLogProb([9, 5, 5], 1, 2, 1)).toBeCloseTo(Math.log(0.5), 12);
  });

  it("softmax and log-softmax agree, tempered, with a one-hot at a tiny temperature", () => {
    const x = [1, 3, 2, 0.5];
    const p = softmaxProbs(x, 1, 3, undefined, 2);
    const lp = logSoftmax(x, 1, 3, new Float64Array(3), 2);
    for (let j = 0; j < 3; j++) expect(Math.log(p[j]!)).toBeCloseTo(lp[j]!, 12);
    expect(Array.from(softmaxProbs([1e4, -1e4, 0], 0, 3, undefined, 1e-3))).toEqual([1, 0, 0]);
    const rows = softmaxRows([0, 0, 5, 5], 2, 2);
    expect(Array.from(rows)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(() => softmaxRows([1], 1, 1, 0)).toThrow(/temperature/);
  });

  it("argmax, entropy and Q-gap by row", () => {
    expect(argmax([1, 5, 5, 2])).toBe(1);
    expect(Array.from(argmaxRows([1, 2, 3, 0], 2, 2))).toEqual([1, 0]);
    const h = entropyRows([0.5, 0.5, 1, 0], 2, 2);
    expect(h[0]).toBeCloseTo(Math.LN2, 6);
    expect(h[1]).toBe(0);
    expect(Array.from(qGapRows([1, 4, 2, 7, 7, 0], 2, 3))).toEqual([2, 0]);
  });

  it("samples with the softmax frequencies (logits or probabilities)", () => {
    const rng = new Rng(3);
    const counts = [0, 0, 0];
    const fromProbs = [0, 0, 0];
    const p = softmaxProbs([0, 1, 2]);
    for (let i = 0; i < 30_000; i++) {
      counts[sampleCategorical([0, 1, 2], rng)]!++;
      fromProbs[sampleRow(p, 0, 3, rng.random())]!++;
    }
    for (let j = 0; j < 3; j++) {
      expect(counts[j]! / 30_000).toBeCloseTo(p[j]!, 1);
      expect(fromProbs[j]! / 30_000).toBeCloseTo(p[j]!, 1);
    }
  });
});

describe("gaussian", () => {
  it("log-prob matches the closed form and sampling has the right moments", () => {
    // N(1 | 0, e^0.5) in 1-D, plus N(-2 | -2, 1)
    const lp = gaussianLogProb([1, -2], 0, [0, -2], 0, [0.5, 0], 2);
    const s = Math.exp(0.5);
    const expected = -0.5 * (1 / s) ** 2 - 0.5 - 0.5 * Math.log(2 * Math.PI) + -0.5 * Math.log(2 * Math.PI);
    expect(lp).toBeCloseTo(expected, 10);
    expect(gaussianEntropy([0, Math.log(2)])).toBeCloseTo(1 + Math.log(2 * Math.PI) + Math.log(2), 12);
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

describe("tensor forms (ops.ts) agree with the array forms", () => {
  it("categorical and Gaussian log-probs and entropies", async () => {
    await initBackend();
    const rng = new Rng(0);
    const logits = Float32Array.from({ length: 12 }, () => rng.normal(0, 3));
    const actions = [2, 0, 1, 2];
    const [t, h] = tf.tidy(() => {
      const l = tf.tensor2d(logits, [4, 3]);
      return [
        categoricalLogProbTensor(l, tf.tensor1d(actions, "int32")).dataSync(),
        categoricalEntropyTensor(l).dataSync(),
      ];
    });
    const p = softmaxRows(logits, 4, 3);
    const ent = entropyRows(p, 4, 3);
    for (const [i, a] of actions.entries()) {
      expect(categoricalLogProb(logits, i * 3, 3, a)).toBeCloseTo(t![i]!, 4);
      expect(ent[i]).toBeCloseTo(h![i]!, 4);
    }
    const mean = Float32Array.from([0.5, -1, 2, 0]);
    const act = Float32Array.from([0.1, -0.5, 3, 1]);
    const logStd = Float32Array.from([-0.5, 0.3]);
    const [g, ge] = tf.tidy(() => [
      gaussianLogProbTensor(
        tf.tensor2d(mean, [2, 2]),
        tf.tensor1d(logStd),
        tf.tensor2d(act, [2, 2]),
      ).dataSync(),
      gaussianEntropyTensor(tf.tensor1d(logStd)).dataSync(),
    ]);
    for (let i = 0; i < 2; i++)
      expect(gaussianLogProb(act, i * 2, mean, i * 2, logStd, 2)).toBeCloseTo(g![i]!, 4);
    expect(gaussianEntropy(logStd)).toBeCloseTo(ge![0]!, 5);
  });
});
