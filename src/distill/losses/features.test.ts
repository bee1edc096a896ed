import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { tf } from "../../nn/backend.js";
import { createFeatureProjector, featureL2Loss } from "./features.js";
import { BACKENDS, finiteDiff, maxRelErr, mean64, rows, tfGrad, useBackend, value } from "./testkit.js";

/** mean_i mean_j ((s W + b)_ij - t_ij)^2 in float64; W [in][out] row-major flat. */
function projectedL2(
  s: number[][],
  t: number[][],
  w: ArrayLike<number> | null,
  b: ArrayLike<number> | null,
): number {
  const out = t[0]!.length;
  return mean64(
    s.map((row, i) =>
      mean64(
        Array.from({ length: out }, (_, j) => {
          const p = w ? row.reduce((acc, v, k) => acc + v * w[k * out + j]!, b![j]!) : row[j]!;
          return (p - t[i]![j]!) ** 2;
        }),
      ),
    ),
  );
}

const S_WIDE = [
  [0.5, -1, 2, 0],
  [1, 1, -0.5, 3],
];
const T_WIDE = [
  [1, 0, -1, 2, 0.5, 0],
  [0, 2, 1, -1, 0, 1],
];
const S_SAME = [
  [1, 2],
  [3, -4],
];
const T_SAME = [
  [0, 2],
  [1, 1],
];

describe.each(BACKENDS)("feature L2 on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("identity where widths match: no parameters, plain mean squared error", () => {
    const proj = createFeatureProjector([{ name: "h", studentWidth: 2, teacherWidth: 2 }], new Rng(0));
    expect(proj.variables).toHaveLength(0);
    const got = tf.tidy(() =>
      value(featureL2Loss({ h: tf.tensor2d(S_SAME) }, { h: tf.tensor2d(T_SAME) }, proj).loss),
    );
    expect(got).toBeCloseTo(projectedL2(S_SAME, T_SAME, null, null), 5);
  });

  it("learned projection: seeded Glorot init, known answer, per-layer weights and metrics", () => {
    const pairs = [
      { name: "wide", studentWidth: 4, teacherWidth: 6, weight: 0.5 },
      { name: "same", studentWidth: 2, teacherWidth: 2, weight: 2 },
    ];
    const proj = createFeatureProjector(pairs, new Rng(7));
    const again = createFeatureProjector(pairs, new Rng(7));
    expect(proj.variables.map((v) => v.shape)).toEqual([[4, 6], [6]]);
    const kernel = proj.variables[0]!.dataSync();
    expect(Array.from(kernel)).toEqual(Array.from(again.variables[0]!.dataSync()));
    const limit = Math.sqrt(6 / 10);
    expect(Math.max(...Array.from(kernel, Math.abs))).toBeLessThanOrEqual(limit);
    expect(Array.from(proj.variables[1]!.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    again.dispose();

    const student = { wide: tf.tensor2d(S_WIDE), same: tf.tensor2d(S_SAME), unused: tf.zeros([2, 9]) };
    const teacher = { wide: tf.tensor2d(T_WIDE), same: tf.tensor2d(T_SAME) };
    const [loss, wideMetric] = tf.tidy(() => {
      const r = featureL2Loss(student, teacher, proj);
      return [value(r.loss), value(r.metrics["feature/wide"]!)];
    });
    const wide = projectedL2(S_WIDE, T_WIDE, kernel, new Float32Array(6));
    expect(wideMetric).toBeCloseTo(wide, 5);
    expect(loss).toBeCloseTo(0.5 * wide + 2 * projectedL2(S_SAME, T_SAME, null, null), 5);
    proj.dispose();
  });

  it("gradients: finite differences through the projection, and the projection trains", () => {
    const proj = createFeatureProjector([{ name: "h", studentWidth: 4, teacherWidth: 6 }], new Rng(1));
    const kernel = proj.variables[0]!.dataSync().slice();
    const g = tfGrad(
      (x) => featureL2Loss({ h: x }, { h: tf.tensor2d(T_WIDE) }, proj).loss,
      S_WIDE.flat(),
      [2, 4],
    );
    const fd = finiteDiff((x) => projectedL2(rows(x, 4), T_WIDE, kernel, new Float32Array(6)), S_WIDE.flat());
    expect(maxRelErr(g, fd)).toBeLessThan(1e-4);
    const { grads } = tf.variableGrads(
      () => featureL2Loss({ h: tf.tensor2d(S_WIDE) }, { h: tf.tensor2d(T_WIDE) }, proj).loss,
      proj.variables,
    );
    expect(Object.keys(grads)).toHaveLength(2);
    for (const grad of Object.values(grads))
      expect(Array.from(grad.dataSync()).some((v) => v !== 0)).toBe(true);
    tf.dispose(grads);
    proj.dispose();
  });

  it("conv feature maps: the projection acts on channels (1x1)", () => {
    const proj = createFeatureProjector([{ name: "conv", studentWidth: 2, teacherWidth: 3 }], new Rng(3));
    const got = tf.tidy(() =>
      value(featureL2Loss({ conv: tf.ones([2, 4, 4, 2]) }, { conv: tf.zeros([2, 4, 4, 3]) }, proj).loss),
    );
    // Every pixel projects to the same vector: the column sums of the kernel (bias 0).
    const w = proj.variables[0]!.dataSync();
    const col = [0, 1, 2].map((j) => w[j]! + w[3 + j]!);
    expect(got).toBeCloseTo(mean64(col.map((v) => v * v)), 5);
    expect(() =>
      featureL2Loss({ conv: tf.ones([2, 4, 4, 2]) }, { conv: tf.zeros([2, 5, 4, 3]) }, proj),
    ).toThrow(/teacherFeatures\.conv.*\[2, 5, 4, 3\]/);
    proj.dispose();
  });

  it("dispose frees the projection variables", () => {
    const before = tf.memory().numTensors;
    const proj = createFeatureProjector([{ name: "h", studentWidth: 3, teacherWidth: 5 }], new Rng(0));
    expect(tf.memory().numTensors).toBe(before + 2);
    proj.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("errors name the field", () => {
    const rng = new Rng(0);
    expect(() => createFeatureProjector([], rng)).toThrow(/featurePairs/);
    expect(() => createFeatureProjector([{ name: "", studentWidth: 1, teacherWidth: 1 }], rng)).toThrow(
      /featurePairs\[0\]\.name/,
    );
    expect(() => createFeatureProjector([{ name: "a", studentWidth: 1.5, teacherWidth: 1 }], rng)).toThrow(
      /featurePairs\[0\]\.studentWidth/,
    );
    expect(() =>
      createFeatureProjector(
        [
          { name: "a", studentWidth: 1, teacherWidth: 1 },
          { name: "a", studentWidth: 1, teacherWidth: 1 },
        ],
        rng,
      ),
    ).toThrow(/featurePairs\[1\]\.name: duplicate/);
    expect(() =>
      createFeatureProjector([{ name: "a", studentWidth: 1, teacherWidth: 1, weight: -1 }], rng),
    ).toThrow(/featurePairs\[0\]\.weight/);
    const proj = createFeatureProjector([{ name: "h", studentWidth: 4, teacherWidth: 6 }], rng);
    expect(() => featureL2Loss({}, { h: tf.zeros([2, 6]) }, proj)).toThrow(/studentFeatures\.h: missing/);
    expect(() => featureL2Loss({ h: tf.zeros([2, 4]) }, {}, proj)).toThrow(/teacherFeatures\.h: missing/);
    expect(() => featureL2Loss({ h: tf.zeros([2, 5]) }, { h: tf.zeros([2, 6]) }, proj)).toThrow(
      /studentFeatures\.h.*studentWidth/,
    );
    expect(() => featureL2Loss({ h: tf.zeros([2, 4]) }, { h: tf.zeros([3, 6]) }, proj)).toThrow(
      /teacherFeatures\.h/,
    );
    proj.dispose();
  });
});
