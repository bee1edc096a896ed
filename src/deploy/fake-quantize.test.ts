import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { initBackend, type Tensor, tf } from "../nn/backend.js";
import { fakeQuantize } from "./fake-quantize.js";
import { dequantizeWeights, quantizeDequantize, quantizeWeights } from "./quantize.js";

/** Entries whose float32 bits differ (0 = bit-exact; +0 and -0 count as different). */
function bitMismatches(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) n++;
  return n;
}

beforeAll(async () => {
  await initBackend("cpu");
});

describe("fakeQuantize", () => {
  const [rows, cols] = [20, 6];
  const w = new Rng(3).fillNormal(new Float32Array(rows * cols), 0, 1);
  for (let r = 0; r < rows; r++) w[r * cols + 2]! *= 50;

  it("forward is bit for bit the int8 network quantizeSpec exports (axis = output channels)", () => {
    const out = tf.tidy(() => fakeQuantize(tf.tensor2d(w, [rows, cols]), 8, 1).dataSync());
    expect(bitMismatches(out as Float32Array, dequantizeWeights(quantizeWeights(w, cols)))).toBe(0);
  });

  it("conv HWIO (axis 3), a leading axis (axis 0) and per tensor use the same quantization", () => {
    const hwio = new Rng(4).fillNormal(new Float32Array(3 * 3 * 2 * 4), 0, 1);
    const conv = tf.tidy(() => fakeQuantize(tf.tensor4d(hwio, [3, 3, 2, 4]), 8, 3).dataSync());
    expect(bitMismatches(conv as Float32Array, dequantizeWeights(quantizeWeights(hwio, 4)))).toBe(0);
    // axis 0 of [rows, cols]: channel r holds entries r * cols .. r * cols + cols - 1.
    const rowsQ = tf.tidy(() => fakeQuantize(tf.tensor2d(w, [rows, cols]), 8, 0).dataSync());
    expect(bitMismatches(rowsQ as Float32Array, quantizeDequantize(w, rows, { stride: cols }))).toBe(0);
    for (let r = 0; r < rows; r++) {
      const row = w.slice(r * cols, (r + 1) * cols);
      const expected = quantizeDequantize(row, 1);
      expect(bitMismatches((rowsQ as Float32Array).slice(r * cols, (r + 1) * cols), expected)).toBe(0);
    }
    const whole = tf.tidy(() => fakeQuantize(tf.tensor2d(w, [rows, cols]), 4).dataSync());
    expect(bitMismatches(whole as Float32Array, quantizeDequantize(w, 1, { bits: 4 }))).toBe(0);
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
