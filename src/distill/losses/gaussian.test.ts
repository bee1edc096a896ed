import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../../nn/backend.js";
import { gaussianKlLoss } from "./gaussian.js";
import { BACKENDS, finiteDiff, maxRelErr, mean64, rows, tfGrad, useBackend, value } from "./testkit.js";

interface G {
  mean: number[][];
  logStd: number[][];
}

/** KL(p || q) from the textbook formula with standard deviations (not log-stds). */
function kl64(p: G, q: G): number {
  return mean64(
    p.mean.map((row, i) =>
      row.reduce((acc, mp, j) => {
        const sp = Math.exp(p.logStd[i]![j]!);
        const sq = Math.exp(q.logStd[i]![j]!);
        const mq = q.mean[i]![j]!;
        return acc + Math.log(sq / sp) + (sp * sp + (mp - mq) ** 2) / (2 * sq * sq) - 0.5;
      }, 0),
    ),
  );
}

const STUDENT: G = {
  mean: [
    [0.1, -0.5],
    [2, 0],
  ],
  logStd: [
    [-0.3, 0.2],
    [0, -1],
  ],
};
const TEACHER: G = {
  mean: [
    [0.4, -0.2],
    [1, 0.5],
  ],
  logStd: [
    [-0.5, 0.1],
    [0.3, -0.2],
  ],
};

function tensors(g: G) {
  return { mean: tf.tensor2d(g.mean), logStd: tf.tensor2d(g.logStd) };
}

function run(s: G, t: G, direction?: "forward" | "reverse"): number {
  return tf.tidy(() => value(gaussianKlLoss(tensors(s), tensors(t), { direction }).loss));
}

describe.each(BACKENDS)("gaussian KL on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("known answers in both directions", () => {
    expect(run(STUDENT, TEACHER)).toBeCloseTo(kl64(TEACHER, STUDENT), 5);
    expect(run(STUDENT, TEACHER, "reverse")).toBeCloseTo(kl64(STUDENT, TEACHER), 5);
    // N(0, 1) vs N(1, 1): 1/2 either way.
    const a = { mean: [[0]], logStd: [[0]] };
    const b = { mean: [[1]], logStd: [[0]] };
    expect(run(a, b)).toBeCloseTo(0.5, 6);
    expect(run(STUDENT, STUDENT)).toBeCloseTo(0, 6);
  });

  it("gradients in student mean and log-std match finite differences", () => {
    for (const direction of ["forward", "reverse"] as const) {
      const ref = (s: G) => (direction === "forward" ? kl64(TEACHER, s) : kl64(s, TEACHER));
      const gMean = tfGrad(
        (m) =>
          gaussianKlLoss({ mean: m, logStd: tf.tensor2d(STUDENT.logStd) }, tensors(TEACHER), { direction })
            .loss,
        STUDENT.mean.flat(),
        [2, 2],
      );
      const fdMean = finiteDiff(
        (m) => ref({ mean: rows(m, 2), logStd: STUDENT.logStd }),
        STUDENT.mean.flat(),
      );
      expect(maxRelErr(gMean, fdMean)).toBeLessThan(1e-4);
      const gStd = tfGrad(
        (l) =>
          gaussianKlLoss({ mean: tf.tensor2d(STUDENT.mean), logStd: l }, tensors(TEACHER), { direction })
            .loss,
        STUDENT.logStd.flat(),
        [2, 2],
      );
      const fdStd = finiteDiff((l) => ref({ mean: STUDENT.mean, logStd: rows(l, 2) }), STUDENT.logStd.flat());
      expect(maxRelErr(gStd, fdStd)).toBeLessThan(1e-4);
    }
  });

  it("extreme log-stds stay finite", () => {
    const narrow = { mean: [[0, 3]], logStd: [[-10, -10]] };
    const wide = { mean: [[1, -3]], logStd: [[5, 5]] };
    for (const [s, t] of [
      [narrow, wide],
      [wide, narrow],
    ] as const) {
      const got = run(s, t);
      expect(Number.isFinite(got)).toBe(true);
      expect(maxRelErr([got], [kl64(t, s)])).toBeLessThan(1e-4);
    }
  });

  it("weights and shape errors", () => {
    const w = tf.tensor1d([1, 0]);
    const got = tf.tidy(() =>
      value(
        gaussianKlLoss(tensors(STUDENT), tensors(TEACHER), { weights: w, weightNormalization: "weights" })
          .loss,
      ),
    );
    const first = (g: G): G => ({ mean: [g.mean[0]!], logStd: [g.logStd[0]!] });
    expect(got).toBeCloseTo(kl64(first(TEACHER), first(STUDENT)), 5);
    const t = tensors(TEACHER);
    expect(() => gaussianKlLoss(tensors(STUDENT), { mean: t.mean, logStd: tf.zeros([2, 3]) })).toThrow(
      /teacherLogStd.*studentMean/,
    );
    expect(() => gaussianKlLoss({ mean: tf.zeros([2, 2]), logStd: tf.zeros([2]) }, t)).toThrow(
      /studentLogStd/,
    );
    expect(() => gaussianKlLoss({ mean: tf.zeros([2]), logStd: tf.zeros([2]) }, t)).toThrow(
      /studentMean.*rank-2/,
    );
    expect(() => gaussianKlLoss(tensors(STUDENT), t, { direction: "sideways" as never })).toThrow(
      /direction.*"forward" or "reverse"/,
    );
  });
});
