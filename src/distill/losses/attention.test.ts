import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../../nn/backend.js";
import {
  attentionMap,
  attentionMapArrays,
  attentionTransferLayers,
  attentionTransferLoss,
  attentionTransferToMaps,
} from "./attention.js";
import { BACKENDS, finiteDiff, maxRelErr, mean64, tfGrad, useBackend, value } from "./testkit.js";

/** Normalised attention maps in float64 of a flat NHWC map. */
function map64(flat: readonly number[], [b, h, w, c]: number[], p: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < b!; i++) {
    const q: number[] = [];
    for (let s = 0; s < h! * w!; s++) {
      let acc = 0;
      for (let k = 0; k < c!; k++) acc += Math.abs(flat[(i * h! * w! + s) * c! + k]!) ** p;
      q.push(acc / c!);
    }
    const norm = Math.sqrt(q.reduce((a, v) => a + v * v, 0) + 1e-12);
    out.push(q.map((v) => v / norm));
  }
  return out;
}

function at64(s: number[], sShape: number[], t: number[], tShape: number[], p = 2): number {
  const qs = map64(s, sShape, p);
  const qt = map64(t, tShape, p);
  return mean64(qs.map((row, i) => mean64(row.map((v, j) => (v - qt[i]![j]!) ** 2))));
}

// Student [2, 2, 2, 2] and teacher [2, 2, 2, 3]: channels differ, spatial sizes match.
const S_SHAPE = [2, 2, 2, 2];
const T_SHAPE = [2, 2, 2, 3];
const S = [0.5, -1, 2, 0, 1, 1, -0.5, 3, 0.2, 0.1, -2, 1, 0, 0.3, 1.5, -1];
const T = [1, 0, -1, 2, 0.5, 0, 0, 2, 1, -1, 0, 1, 3, 1, 0, 0.5, -0.5, 2, 1, 1, 1, 0, -2, 0.1];

describe.each(BACKENDS)("attention transfer on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("attention map: mean over channels of |F|^p, L2-normalised per sample", () => {
    const m = tf.tidy(() => Array.from(attentionMap(tf.tensor4d(S, S_SHAPE as never)).dataSync()));
    expect(maxRelErr(m, map64(S, S_SHAPE, 2).flat())).toBeLessThan(1e-6);
    const m3 = tf.tidy(() => Array.from(attentionMap(tf.tensor4d(S, S_SHAPE as never), 3).dataSync()));
    expect(maxRelErr(m3, map64(S, S_SHAPE, 3).flat())).toBeLessThan(1e-6);
  });

  it("known answers for p = 1, 2, 3 with different channel counts", () => {
    for (const p of [1, 2, 3]) {
      const got = tf.tidy(() =>
        value(attentionTransferLoss(tf.tensor(S, S_SHAPE), tf.tensor(T, T_SHAPE), { p }).loss),
      );
      expect(got).toBeCloseTo(at64(S, S_SHAPE, T, T_SHAPE, p), 6);
    }
  });

  it("zero for identical or rescaled maps (only where attention goes matters)", () => {
    const s = tf.tensor(S, S_SHAPE);
    expect(tf.tidy(() => value(attentionTransferLoss(s, s).loss))).toBeCloseTo(0, 7);
    expect(tf.tidy(() => value(attentionTransferLoss(s, tf.mul(s, 3)).loss))).toBeCloseTo(0, 7);
  });

  it("gradient matches finite differences; an all-zero map stays finite", () => {
    for (const p of [2, 3]) {
      const g = tfGrad((x) => attentionTransferLoss(x, tf.tensor(T, T_SHAPE), { p }).loss, S, S_SHAPE);
      const fd = finiteDiff((x) => at64(x, S_SHAPE, T, T_SHAPE, p), S);
      expect(maxRelErr(g, fd)).toBeLessThan(1e-4);
    }
    const zeros = new Array(16).fill(0);
    const g0 = tfGrad((x) => attentionTransferLoss(x, tf.tensor(T, T_SHAPE)).loss, zeros, S_SHAPE);
    expect(g0.every(Number.isFinite)).toBe(true);
  });

  it("layers: weighted sum with per-layer metrics", () => {
    const student = { a: tf.tensor(S, S_SHAPE), b: tf.tensor(T, T_SHAPE) };
    const teacher = { a: tf.tensor(T, T_SHAPE), b: tf.tensor(S, S_SHAPE) };
    const [loss, metricA] = tf.tidy(() => {
      const r = attentionTransferLayers(student, teacher, { layerWeights: { a: 2, b: 0.5 } });
      return [value(r.loss), value(r.metrics["attention/a"]!)];
    });
    const base = at64(S, S_SHAPE, T, T_SHAPE);
    expect(metricA).toBeCloseTo(base, 6);
    expect(loss).toBeCloseTo(2.5 * base, 6);
    expect(() => attentionTransferLayers({}, teacher)).toThrow(/studentFeatures\.a: missing/);
    expect(() => attentionTransferLayers(student, teacher, { layerWeights: { c: 1 } })).toThrow(
      /layerWeights\.c/,
    );
  });

  it("errors: spatial mismatch, rank, p", () => {
    const s = tf.tensor(S, S_SHAPE);
    expect(() => attentionTransferLoss(s, tf.zeros([2, 3, 2, 3]))).toThrow(
      /teacherFeatureMap.*\[2, 3, 2, 3\].*studentFeatureMap \[2, 2, 2, 2\]/,
    );
    expect(() => attentionTransferLoss(tf.zeros([2, 4]), s)).toThrow(/studentFeatureMap.*rank-4/);
    expect(() => attentionTransferLoss(s, s, { p: 1.5 })).toThrow(/p: expected an integer/);
    expect(() => attentionTransferLoss(s, s, { p: 0 })).toThrow(/p: must be >= 1/);
  });
});

describe("attention maps on arrays (known answers)", () => {
  it("one lit position gives a one-hot map; the map ignores channel counts and scale; equal maps cost 0", () => {
    // 2 samples of 2x2 positions x 3 channels.
    const f = new Float32Array(2 * 4 * 3);
    f[1 * 3 + 2] = 5; // sample 0, position 1
    for (let i = 0; i < 4; i++) f[12 + i * 3] = 2; // sample 1: uniform over positions
    const a = attentionMapArrays(f, 2, { positions: 4, channels: 3 });
    expect(Array.from(a.subarray(0, 4))).toEqual([0, 1, 0, 0]);
    for (const v of a.subarray(4)) expect(v).toBeCloseTo(0.5, 6);
    // Q = mean_c |F|^2: channel values (3, 4) at a position weigh like a single 5 in another.
    const g = Float32Array.of(3, 4, 0, 0, 5, 0);
    const b = attentionMapArrays(g, 1, { positions: 3, channels: 2 });
    expect(b[0]).toBeCloseTo(b[2]!, 6);
    expect(b[1]).toBe(0);
    const { loss, grad } = attentionTransferToMaps(f, a, 2, { positions: 4, channels: 3 });
    expect(loss).toBeCloseTo(0, 12);
    for (const v of grad) expect(Math.abs(v)).toBeLessThan(1e-6);
    expect(() => attentionTransferToMaps(f, a.subarray(0, 6), 2, { positions: 4, channels: 3 })).toThrow(
      /teacherAttention: has 6 values; 2 maps of 4 positions need 8 \(spatial sizes must match/,
    );
  });
});
