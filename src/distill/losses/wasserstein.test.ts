import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../../nn/backend.js";
import { policyObjective } from "../objectives.js";
import type { Student } from "../student.js";
import { getLoss } from "./registry.js";
import { BACKENDS, finiteDiff, maxRelErr, mean64, rows, tfGrad, useBackend, value } from "./testkit.js";
import { gaussianW2Loss, meanMseLoss } from "./wasserstein.js";

interface G {
  mean: number[][];
  logStd: number[][];
}

/** W2^2 from its textbook form, with standard deviations. */
function w2(p: G, q: G): number {
  return mean64(
    p.mean.map((row, i) =>
      row.reduce(
        (acc, mp, j) =>
          acc + (mp - q.mean[i]![j]!) ** 2 + (Math.exp(p.logStd[i]![j]!) - Math.exp(q.logStd[i]![j]!)) ** 2,
        0,
      ),
    ),
  );
}

const S: G = {
  mean: [
    [0.1, -0.5],
    [2, 0],
  ],
  logStd: [
    [-0.3, 0.2],
    [0, -1],
  ],
};
const T: G = {
  mean: [
    [0.4, -0.2],
    [1, 0.5],
  ],
  logStd: [
    [-0.5, 0.1],
    [0.3, -0.2],
  ],
};
const tensors = (g: G) => ({ mean: tf.tensor2d(g.mean), logStd: tf.tensor2d(g.logStd) });
const run = (s: G, t: G): number => tf.tidy(() => value(gaussianW2Loss(tensors(s), tensors(t)).loss));

describe.each(BACKENDS)("Gaussian W2 and mean MSE on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  it("known answers", () => {
    const one = (m: number, ls: number): G => ({ mean: [[m]], logStd: [[ls]] });
    expect(run(one(0, 0), one(1, 0))).toBeCloseTo(1, 6); // shift by 1
    expect(run(one(0, 0), one(0, Math.log(3)))).toBeCloseTo(4, 5); // std 1 vs 3
    expect(run(one(2, Math.log(2)), one(-1, Math.log(0.5)))).toBeCloseTo(9 + 2.25, 5);
    expect(run(S, T)).toBeCloseTo(w2(S, T), 5);
    expect(run(T, S)).toBeCloseTo(run(S, T), 6); // symmetric
    expect(run(S, S)).toBeCloseTo(0, 7);
    // A nearly deterministic teacher (std e^-20): W2 stays the mean error plus the student's std^2.
    expect(run(one(0.5, 0), one(0, -20))).toBeCloseTo(0.25 + 1, 5);
    const mse = tf.tidy(() => value(meanMseLoss(tf.tensor2d(S.mean), tf.tensor2d(T.mean)).loss));
    expect(mse).toBeCloseTo((0.09 + 0.09 + 1 + 0.25) / 4, 6);
  });

  it("gradients in student mean and log-std match finite differences", () => {
    const gMean = tfGrad(
      (m) => gaussianW2Loss({ mean: m, logStd: tf.tensor2d(S.logStd) }, tensors(T)).loss,
      S.mean.flat(),
      [2, 2],
    );
    const fdMean = finiteDiff((m) => w2({ mean: rows(m, 2), logStd: S.logStd }, T), S.mean.flat());
    expect(maxRelErr(gMean, fdMean)).toBeLessThan(1e-4);
    const gStd = tfGrad(
      (l) => gaussianW2Loss({ mean: tf.tensor2d(S.mean), logStd: l }, tensors(T)).loss,
      S.logStd.flat(),
      [2, 2],
    );
    const fdStd = finiteDiff((l) => w2({ mean: S.mean, logStd: rows(l, 2) }, T), S.logStd.flat());
    expect(maxRelErr(gStd, fdStd)).toBeLessThan(1e-4);
  });

  it("is in the registry, continuous-only, with sample weights", () => {
    const spec = getLoss("gaussian-w2");
    expect(spec.continuousOnly).toBe(true);
    const got = tf.tidy(() =>
      value(
        spec.fn(
          {
            studentMean: tf.tensor2d(S.mean),
            studentLogStd: tf.tensor2d(S.logStd),
            teacherMean: tf.tensor2d(T.mean),
            teacherLogStd: tf.tensor2d(T.logStd),
            weights: tf.tensor1d([1, 0]),
          },
          { weightNormalization: "weights" },
        ).loss,
      ),
    );
    expect(got).toBeCloseTo(
      w2({ mean: [S.mean[0]!], logStd: [S.logStd[0]!] }, { mean: [T.mean[0]!], logStd: [T.logStd[0]!] }),
      5,
    );
    expect(() => getLoss("gaussian-w2").fn({ studentMean: tf.zeros([1, 1]) })).toThrow(
      /studentLogStd.*gaussian-w2/,
    );
    expect(getLoss("mean-mse").inputs).toEqual(["studentMean", "teacherMean"]);
  });
});

describe("as a distillation objective for Gaussian teachers", () => {
  it("gaussian-w2 uses the student's log std; mean-mse the means only", () => {
    const student = {
      logStdRows: (n: number) => new Float32Array(n * 2).fill(Math.log(2)),
    } as unknown as Student;
    const out = Float32Array.of(0, 0, 1, 1);
    const teacherOut = Float32Array.of(1, 0, 1, 1);
    const teacherLogStd = new Float32Array(4);
    const w2 = policyObjective("gaussian-w2", "gaussian")(
      student,
      out,
      { batch: 2, teacherOut, teacherLogStd },
      1,
    );
    // rows: (1 + 1 + 1) and (0 + 1 + 1): std 2 vs 1 costs 1 per dimension.
    expect(w2.loss).toBeCloseTo(2.5, 5);
    // d/dmu = 2 (mu_s - mu_t) / B; d/dlogStd = 2 (s_s - s_t) s_s / B = 2 per entry.
    expect(Array.from(w2.dOut)).toEqual([-1, 0, 0, 0]);
    expect(Array.from(w2.dLogStd!)).toEqual([2, 2, 2, 2]);
    const mse = policyObjective("mean-mse", "gaussian")(student, out, { batch: 2, teacherOut }, 1);
    expect(mse.loss).toBeCloseTo(0.25, 6);
    expect(mse.dLogStd).toBeUndefined();
    expect(() =>
      policyObjective("gaussian-w2", "gaussian")(student, out, { batch: 2, teacherOut }, 1),
    ).toThrow(/gaussian-w2 needs a teacher with a log std/);
    expect(() => policyObjective("mean-mse", "logits")).toThrow(/does not compare action outputs/);
  });
});
