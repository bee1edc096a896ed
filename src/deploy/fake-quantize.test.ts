import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { initBackend, type Tensor, tf } from "../nn/backend.js";
import { fakeQuantize } from "./fake-quantize.js";
import { dequantizeWeights, quantizeWeights } from "./quantize.js";

beforeAll(async () => {
  await initBackend("cpu");
});

describe("fakeQuantize", () => {
  const [rows, cols] = [20, 6];
  const w = new Rng(3).fillNormal(new Float32Array(rows * cols), 0, 1);
  for (let r = 0; r < rows; r++) w[r * cols + 2]! *= 50;

  it("forward equals int8 per-channel quantize-dequantize (axis = output channels)", () => {
    const out = tf.tidy(() => fakeQuantize(tf.tensor2d(w, [rows, cols]), 8, 1).dataSync());
    const expected = dequantizeWeights(quantizeWeights(w, cols));
    let mismatches = 0;
    for (let i = 0; i < w.length; i++) {
      const scale = quantizeWeights(w, cols).scale[i % cols]!;
      // float32 vs float64 division can flip a value sitting on a rounding boundary by one step.
      if (Math.abs(out[i]! - expected[i]!) > 1e-6 * scale) {
        mismatches++;
        expect(Math.abs(out[i]! - expected[i]!)).toBeLessThanOrEqual(scale * 1.001);
      }
    }
    expect(mismatches).toBeLessThanOrEqual(1);
  });

  it("per tensor when axis is omitted: at most 2^(bits-1) - 1 distinct magnitudes", () => {
    const out = tf.tidy(() => fakeQuantize(tf.tensor2d(w, [rows, cols]), 4).dataSync());
    const levels = new Set(Array.from(out, (v) => Math.abs(v).toFixed(5)));
    expect(levels.size).toBeLessThanOrEqual(8); // 0..7
    const maxAbs = Math.max(...w.map(Math.abs));
    expect(Math.max(...out.map(Math.abs))).toBeCloseTo(maxAbs, 4);
  });

  it("gradient passes straight through (where round() alone has none)", () => {
    const x = tf.tensor2d(w, [rows, cols]);
    const c = tf.randomNormal([rows, cols], 0, 1, "float32", 7);
    const g = tf.grad((t: Tensor) => tf.sum(tf.mul(fakeQuantize(t, 8, 1), c)))(x);
    expect(Array.from(g.dataSync())).toEqual(Array.from(c.dataSync()));
    const gRound = tf.grad((t: Tensor) => tf.sum(tf.mul(tf.round(t), c)))(x);
    expect(Math.max(...gRound.dataSync().map(Math.abs))).toBe(0);
    tf.dispose([x, c, g, gRound]);
  });

  it("does not leak tensors and rejects bad bits/axis with the field named", () => {
    const x = tf.tensor2d(w, [rows, cols]);
    const before = tf.memory().numTensors;
    fakeQuantize(x, 8, -1).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => fakeQuantize(x, 1)).toThrow(/bits: must be an integer in \[2, 16\]/);
    expect(() => fakeQuantize(x, 8, 2)).toThrow(/axis: must be an integer in \[-2, 1\]/);
    x.dispose();
  });
});
