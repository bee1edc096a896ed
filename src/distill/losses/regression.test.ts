import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../../nn/backend.js";
import { huberLoss, mseLoss, valueMseLoss } from "./regression.js";
import { BACKENDS, finiteDiff, maxRelErr, mean64, rows, tfGrad, useBackend, value } from "./testkit.js";

const S = [
  [1, 2, 3],
  [0, -1, 0.5],
];
const T = [
  [3, 1, 0],
  [0.25, -1, 4],
];

function huber64(x: number, delta: number): number {
  const d = Math.abs(x);
  return d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
}

/** Mean over rows of the mean over columns of f(s - t). */
function rowMeanRef(s: number[][], t: number[][], f: (x: number) => number): number {
  return mean64(s.map((r, i) => mean64(r.map((v, j) => f(v - t[i]![j]!)))));
}

describe.each(BACKENDS)("regression losses on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("mse: known answer, gradient and agreement", () => {
    const got = tf.tidy(() => {
      const r = mseLoss(tf.tensor2d(S), tf.tensor2d(T));
      return [value(r.loss), value(r.metrics["agreement"]!)];
    });
    expect(got[0]).toBeCloseTo(
      rowMeanRef(S, T, (x) => x * x),
      5,
    );
    expect(got[1]).toBe(0.5); // argmax 2 vs 0, then 2 vs 2
    const g = tfGrad((x) => mseLoss(x, tf.tensor2d(T)).loss, S.flat(), [2, 3]);
    const fd = finiteDiff((x) => rowMeanRef(rows(x, 3), T, (d) => d * d), S.flat());
    expect(maxRelErr(g, fd)).toBeLessThan(1e-4);
  });

  it("mse: shape mismatches name the tensors", () => {
    expect(() => mseLoss(tf.zeros([2, 3]), tf.zeros([2, 2]))).toThrow(/teacherLogits.*studentLogits/);
    expect(() => mseLoss(tf.zeros([3]), tf.zeros([3]))).toThrow(/studentLogits.*rank-2/);
  });

  it("value-mse: V as [B] and [B, 1]", () => {
    const s = [1, -2, 3];
    const t = [0, 2, 3.5];
    const expected = mean64(s.map((v, i) => (v - t[i]!) ** 2));
    expect(tf.tidy(() => value(valueMseLoss(tf.tensor1d(s), tf.tensor1d(t)).loss))).toBeCloseTo(expected, 5);
    expect(
      tf.tidy(() => value(valueMseLoss(tf.tensor2d(s, [3, 1]), tf.tensor2d(t, [3, 1])).loss)),
    ).toBeCloseTo(expected, 5);
    expect(() => valueMseLoss(tf.zeros([3]), tf.zeros([3, 1]))).toThrow(/teacherValues.*studentValues/);
  });

  it("value-mse: Q over all actions, taken actions only, or a mask", () => {
    const all = tf.tidy(() => value(valueMseLoss(tf.tensor2d(S), tf.tensor2d(T)).loss));
    expect(all).toBeCloseTo(
      rowMeanRef(S, T, (x) => x * x),
      5,
    );
    // Taken actions 2 and 0: (3 - 0)^2 and (0 - 0.25)^2.
    const taken = tf.tidy(() =>
      value(valueMseLoss(tf.tensor2d(S), tf.tensor2d(T), { actions: tf.tensor1d([2, 0], "int32") }).loss),
    );
    expect(taken).toBeCloseTo((9 + 0.0625) / 2, 5);
    const mask = tf.tensor2d([
      [0, 0, 1],
      [1, 1, 0],
    ]);
    const masked = tf.tidy(() => value(valueMseLoss(tf.tensor2d(S), tf.tensor2d(T), { mask }).loss));
    expect(masked).toBeCloseTo((9 + (0.0625 + 0) / 2) / 2, 5);
    // Only the taken action's Q gets a gradient (one-hot mask, no gather).
    const g = tfGrad(
      (x) => valueMseLoss(x, tf.tensor2d(T), { actions: tf.tensor1d([2, 0], "int32") }).loss,
      S.flat(),
      [2, 3],
    );
    expect(g.map((v) => Math.abs(v))).toEqual([0, 0, 3, 0.25, 0, 0]);
  });

  it("value-mse: bad actions / mask are rejected by name", () => {
    const s = tf.tensor2d(S);
    const t = tf.tensor2d(T);
    expect(() => valueMseLoss(s, t, { actions: tf.tensor1d([0, 1, 2], "int32") })).toThrow(/actions.*\[2\]/);
    expect(() => valueMseLoss(s, t, { mask: tf.ones([2, 2]) })).toThrow(/mask.*studentValues/);
    expect(() =>
      valueMseLoss(s, t, { mask: tf.ones([2, 3]), actions: tf.tensor1d([0, 1], "int32") }),
    ).toThrow(/either actions or mask/);
    expect(() =>
      valueMseLoss(tf.zeros([2]), tf.zeros([2]), { actions: tf.tensor1d([0, 1], "int32") }),
    ).toThrow(/actions: needs Q-values/);
  });

  it("huber: known answers on both sides of delta, configurable delta", () => {
    const diffs = [0, 0.5, -0.9, 1.5, -3, 10];
    const s = [diffs];
    const t = [diffs.map(() => 0)];
    for (const delta of [1, 0.5, 2]) {
      const got = tf.tidy(() => value(huberLoss(tf.tensor2d(s), tf.tensor2d(t), { delta }).loss));
      expect(got).toBeCloseTo(mean64(diffs.map((d) => huber64(d, delta))), 5);
    }
    expect(() => huberLoss(tf.zeros([1]), tf.zeros([1]), { delta: 0 })).toThrow(/delta: must be > 0/);
  });

  it("huber: gradient matches finite differences and is bounded by delta", () => {
    const x = [0.3, -0.7, 1.6, -2.5, 40, 0.05];
    const t = [[0, 0, 0, 0, 0, 0]];
    const delta = 1;
    const g = tfGrad((v) => huberLoss(v, tf.tensor2d(t), { delta }).loss, x, [1, 6]);
    const fd = finiteDiff((v) => rowMeanRef([v], t, (d) => huber64(d, delta)), x);
    expect(maxRelErr(g, fd)).toBeLessThan(1e-4);
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(delta / 6 + 1e-7);
    // At zero error the gradient is exactly zero; at 1e4 it is finite (linear regime).
    const g0 = tfGrad((v) => huberLoss(v, tf.zeros([1, 2])).loss, [0, 1e4], [1, 2]);
    expect(Math.abs(g0[0]!)).toBe(0);
    expect(g0[1]).toBeCloseTo(0.5, 6);
  });

  it("weights apply to every regression loss", () => {
    const w = tf.tensor1d([0, 3]);
    const second = mean64(S[1]!.map((v, j) => (v - T[1]![j]!) ** 2));
    expect(tf.tidy(() => value(mseLoss(tf.tensor2d(S), tf.tensor2d(T), { weights: w }).loss))).toBeCloseTo(
      (3 * second) / 2,
      4,
    );
    expect(
      tf.tidy(() =>
        value(
          valueMseLoss(tf.tensor2d(S), tf.tensor2d(T), { weights: w, weightNormalization: "weights" }).loss,
        ),
      ),
    ).toBeCloseTo(second, 5);
    expect(() => huberLoss(tf.tensor2d(S), tf.tensor2d(T), { weights: tf.ones([2, 1]) })).toThrow(
      /weights.*studentValues/,
    );
  });
});
