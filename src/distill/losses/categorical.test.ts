import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { tf } from "../../nn/backend.js";
import { jsLoss, klLoss, nllLoss, reverseKlLoss, type TemperedArgs } from "./categorical.js";
import {
  BACKENDS,
  finiteDiff,
  kl64,
  logSoftmax64,
  maxRelErr,
  mean64,
  rows,
  tfGrad,
  useBackend,
  value,
} from "./testkit.js";

type Ref = (s: number[], t: number[], tau: number) => number;

const refKl: Ref = (s, t, tau) => kl64(logSoftmax64(t, tau), logSoftmax64(s, tau));
const refReverse: Ref = (s, t, tau) => kl64(logSoftmax64(s, tau), logSoftmax64(t, tau));
const refJs: Ref = (s, t, tau) => {
  const p = logSoftmax64(s, tau).map(Math.exp);
  const q = logSoftmax64(t, tau).map(Math.exp);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) js += 0.5 * p[i]! * Math.log(p[i]! / m);
    if (q[i]! > 0) js += 0.5 * q[i]! * Math.log(q[i]! / m);
  }
  return js;
};
const refNll: Ref = (s, t) => -logSoftmax64(s)[t.indexOf(Math.max(...t))]!;

const LOSSES = [
  { name: "kl", fn: klLoss, ref: refKl },
  { name: "reverse-kl", fn: reverseKlLoss, ref: refReverse },
  { name: "js", fn: jsLoss, ref: refJs },
  { name: "nll", fn: nllLoss as typeof klLoss, ref: refNll },
] as const;

/** Batch reference: mean over rows of the per-row formula. */
function batchRef(ref: Ref, s: number[][], t: number[][], tau: number): number {
  return mean64(s.map((row, i) => ref(row, t[i]!, tau)));
}

function run(fn: typeof klLoss, s: number[][], t: number[][], args: TemperedArgs = {}): number {
  return tf.tidy(() => value(fn(tf.tensor2d(s), tf.tensor2d(t), args).loss));
}

const S = [
  [1, 2, 3],
  [0, 0, 0],
  [-1.5, 0.25, 4],
];
const T = [
  [3, 1, 0],
  [1, -1, 2],
  [0.5, 0.5, -2],
];

describe.each(BACKENDS)("categorical losses on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  for (const { name, fn, ref } of LOSSES) {
    const tau = name === "nll" ? 1 : 2;
    it(`${name}: known answer against float64 formula`, () => {
      expect(
        maxRelErr([run(fn, S, T, name === "nll" ? {} : { tau })], [batchRef(ref, S, T, tau)]),
      ).toBeLessThan(1e-5);
    });

    it(`${name}: gradient matches central finite differences`, () => {
      const flat = S.flat();
      const args: TemperedArgs = name === "nll" ? {} : { tau: 0.5 };
      const analytic = tfGrad((x) => fn(x, tf.tensor2d(T), args).loss, flat, [3, 3]);
      const numeric = finiteDiff((x) => batchRef(ref, rows(x, 3), T, args.tau ?? 1), flat);
      expect(maxRelErr(analytic, numeric)).toBeLessThan(2e-4);
    });

    it(`${name}: extreme logits and tiny temperatures stay finite and match float64`, () => {
      const s = [
        [1e4, -1e4, 0],
        [-1e4, -1e4, -1e4],
        [3, 1e4, -2],
      ];
      const t = [
        [-1e4, 1e4, 5],
        [1e4, 0, -1e4],
        [3, 1e4, -2],
      ];
      for (const tau of name === "nll" ? [1] : [1, 0.01, 1e-3]) {
        const got = run(fn, s, t, name === "nll" ? {} : { tau });
        expect(Number.isFinite(got)).toBe(true);
        expect(maxRelErr([got], [batchRef(ref, s, t, tau)])).toBeLessThan(1e-4);
        const g = tfGrad((x) => fn(x, tf.tensor2d(t), name === "nll" ? {} : { tau }).loss, s.flat(), [3, 3]);
        expect(g.every(Number.isFinite)).toBe(true);
      }
    });

    it(`${name}: per-sample weights select and scale samples`, () => {
      const weighted = (w: number[], weightNormalization?: "batch" | "weights") =>
        tf.tidy(() =>
          value(fn(tf.tensor2d(S), tf.tensor2d(T), { weights: tf.tensor1d(w), weightNormalization }).loss),
        );
      const first = ref(S[0]!, T[0]!, 1);
      expect(weighted([1, 0, 0])).toBeCloseTo(first / 3, 5);
      expect(weighted([5, 0, 0], "weights")).toBeCloseTo(first, 5);
      expect(weighted([2, 2, 2])).toBeCloseTo(2 * batchRef(ref, S, T, 1), 5);
      // A zero-weight sample gets no gradient.
      const g = tfGrad(
        (x) => fn(x, tf.tensor2d(T), { weights: tf.tensor1d([0, 1, 1]) }).loss,
        S.flat(),
        [3, 3],
      );
      expect(g.slice(0, 3).every((v) => v === 0)).toBe(true);
      expect(g.slice(3).some((v) => v !== 0)).toBe(true);
    });

    it(`${name}: shape mismatches name the tensors`, () => {
      expect(() => fn(tf.zeros([2, 3]), tf.zeros([2, 4]))).toThrow(
        /teacherLogits.*\[2, 4\].*studentLogits \[2, 3\]/,
      );
      expect(() => fn(tf.zeros([3]), tf.zeros([3]))).toThrow(/studentLogits.*rank-2/);
      expect(() => fn(tf.zeros([2, 3]), tf.zeros([2, 3, 1]))).toThrow(/teacherLogits/);
      expect(() => fn(tf.zeros([2, 3]), tf.zeros([2, 3]), { weights: tf.ones([3]) })).toThrow(
        /weights.*\[2\].*studentLogits/,
      );
      expect(() =>
        fn(tf.zeros([2, 3]), tf.zeros([2, 3]), { weights: tf.ones([2]), weightNormalization: "x" as never }),
      ).toThrow(ConfigError);
    });
  }

  for (const fn of [klLoss, reverseKlLoss, jsLoss]) {
    it(`${fn.name}: identical logits give 0, also extreme and at tiny tau`, () => {
      for (const logits of [S, [[1e4, -1e4, 0]], [[-1e4, 3, 1e4]]]) {
        for (const tau of [1, 0.01, 1e-3])
          expect(Math.abs(run(fn, logits, logits, { tau }))).toBeLessThan(1e-6);
      }
    });

    it(`${fn.name}: tau^2 scaling and tau validation`, () => {
      const plain = run(fn, S, T, { tau: 3 });
      expect(run(fn, S, T, { tau: 3, scaleByTauSquared: true })).toBeCloseTo(9 * plain, 4);
      const metric = tf.tidy(
        () =>
          Object.values(
            fn(tf.tensor2d(S), tf.tensor2d(T), { tau: 3, scaleByTauSquared: true }).metrics,
          )[0]!.dataSync()[0]!,
      );
      expect(metric).toBeCloseTo(plain, 5);
      expect(() => run(fn, S, T, { tau: 0 })).toThrow(/tau: must be > 0/);
      expect(() => run(fn, S, T, { tau: Number.NaN })).toThrow(/tau/);
      expect(() => run(fn, S, T, { scaleByTauSquared: "yes" as never })).toThrow(/scaleByTauSquared/);
    });
  }

  it("kl: a one-hot teacher reduces forward KL to the NLL of its action", () => {
    const s = [
      [1, 2, 0.5],
      [0, -3, 2],
    ];
    const t = [
      [60, 0, 0],
      [0, 0, 1e4],
    ];
    expect(run(klLoss, s, t)).toBeCloseTo(run(nllLoss, s, t), 5);
  });

  it("js: symmetric and bounded by log 2", () => {
    expect(run(jsLoss, S, T)).toBeCloseTo(run(jsLoss, T, S), 6);
    const disjoint = run(jsLoss, [[1e4, -1e4]], [[-1e4, 1e4]]);
    expect(disjoint).toBeCloseTo(Math.LN2, 5);
    expect(disjoint).toBeLessThanOrEqual(Math.LN2 + 1e-6);
  });

  it("metrics: agreement and entropies", () => {
    const metrics = tf.tidy(() => {
      const m = klLoss(tf.tensor2d(S), tf.tensor2d(T)).metrics;
      return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.dataSync()[0]!]));
    });
    // argmax: S -> 2, 0 (tie), 2; T -> 0, 2, 0 (tie): no row agrees.
    expect(metrics["agreement"]).toBe(0);
    expect(metrics["kl"]).toBeCloseTo(batchRef(refKl, S, T, 1), 5);
    const entropy = (l: number[]) => -l.reduce((a, v) => a + Math.exp(v) * v, 0);
    expect(metrics["studentEntropy"]).toBeCloseTo(mean64(S.map((r) => entropy(logSoftmax64(r)))), 5);
    expect(metrics["teacherEntropy"]).toBeCloseTo(mean64(T.map((r) => entropy(logSoftmax64(r)))), 5);
  });
});
