/**
 * The tape-free (array) form of every registry loss against its tensor form: same loss and
 * metrics, and gradients equal to the tape's (the project's own gradients, src/nn/gradients.ts)
 * and to central finite differences of the array loss.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { initBackend, type Scalar, type Tensor, tf } from "../../nn/backend.js";
import type { ArrayLossResult } from "./common.js";
import { createArrayFeatureProjector, createFeatureProjector } from "./features.js";
import { getLoss, type LossArrays, type LossInputs, lossNames } from "./registry.js";

beforeAll(async () => {
  await initBackend("cpu");
});

const B = 5;
const A = 4;

type StudentKey = "studentLogits" | "studentMean" | "studentLogStd" | "studentValues";

interface Case {
  name: string;
  options?: Record<string, unknown>;
  weighted?: boolean;
  /** Student inputs (gradients checked) and teacher inputs, as [rows, cols]. */
  student: Partial<Record<StudentKey, [number, number]>>;
  teacher: Record<string, [number, number]>;
  actions?: boolean;
}

const CASES: Case[] = [
  {
    name: "kl",
    options: { tau: 2, scaleByTauSquared: true },
    student: { studentLogits: [B, A] },
    teacher: { teacherLogits: [B, A] },
  },
  {
    name: "kl",
    options: { tau: 0.5 },
    weighted: true,
    student: { studentLogits: [B, A] },
    teacher: { teacherLogits: [B, A] },
  },
  {
    name: "reverse-kl",
    options: { tau: 1.5 },
    weighted: true,
    student: { studentLogits: [B, A] },
    teacher: { teacherLogits: [B, A] },
  },
  {
    name: "js",
    options: { tau: 0.7, weightNormalization: "weights" },
    weighted: true,
    student: { studentLogits: [B, A] },
    teacher: { teacherLogits: [B, A] },
  },
  { name: "nll", weighted: true, student: { studentLogits: [B, A] }, teacher: { teacherLogits: [B, A] } },
  { name: "mse", weighted: true, student: { studentLogits: [B, A] }, teacher: { teacherLogits: [B, A] } },
  {
    name: "gaussian-kl",
    weighted: true,
    student: { studentMean: [B, 2], studentLogStd: [B, 2] },
    teacher: { teacherMean: [B, 2], teacherLogStd: [B, 2] },
  },
  {
    name: "gaussian-kl",
    options: { direction: "reverse" },
    student: { studentMean: [B, 2], studentLogStd: [B, 2] },
    teacher: { teacherMean: [B, 2], teacherLogStd: [B, 2] },
  },
  {
    name: "gaussian-w2",
    weighted: true,
    student: { studentMean: [B, 2], studentLogStd: [B, 2] },
    teacher: { teacherMean: [B, 2], teacherLogStd: [B, 2] },
  },
  { name: "mean-mse", weighted: true, student: { studentMean: [B, 3] }, teacher: { teacherMean: [B, 3] } },
  {
    name: "value-mse",
    weighted: true,
    student: { studentValues: [B, 1] },
    teacher: { teacherValues: [B, 1] },
  },
  {
    name: "value-mse",
    actions: true,
    student: { studentValues: [B, A] },
    teacher: { teacherValues: [B, A] },
  },
  {
    name: "huber",
    options: { delta: 0.7 },
    weighted: true,
    student: { studentValues: [B, A] },
    teacher: { teacherValues: [B, A] },
  },
];

/** Equal to float32 rounding of the tensor form: 1e-5 relative. */
function close(a: number, b: number): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(b)));
}

function draw(rng: Rng, [r, c]: [number, number]): Float32Array {
  return Float32Array.from({ length: r * c }, () => rng.normal(0, 1.5));
}

describe("array losses agree with their tensor forms (loss, metrics, tape gradients, finite differences)", () => {
  it("covers every registry loss", () => {
    const covered = new Set([...CASES.map((c) => c.name), "feature-l2", "attention"]);
    expect(lossNames.filter((n) => !covered.has(n))).toEqual([]);
    for (const n of lossNames) expect(getLoss(n).arrays).toBeDefined();
  });

  it.each(CASES.map((c, i) => [`${c.name} #${i}`, c] as const))("%s", (_label, c) => {
    const rng = new Rng(11);
    const arrays: LossArrays = { batch: B };
    const shapes: Record<string, [number, number]> = { ...c.student, ...c.teacher };
    const values: Record<string, Float32Array> = {};
    for (const [k, shape] of Object.entries(shapes)) values[k] = draw(rng, shape);
    Object.assign(arrays, values);
    const weights = c.weighted ? Float32Array.from({ length: B }, () => 0.2 + rng.random()) : undefined;
    const actions = c.actions ? Int32Array.from({ length: B }, () => rng.integer(A)) : undefined;
    if (weights) arrays.weights = weights;
    if (actions) arrays.actions = actions;
    const spec = getLoss(c.name);
    const res = spec.arrays!(arrays, c.options);

    const studentKeys = Object.keys(c.student) as StudentKey[];
    const tensorLoss = (...xs: Tensor[]) => {
      const inputs: LossInputs = {};
      for (const [k, shape] of Object.entries(shapes)) {
        const idx = studentKeys.indexOf(k as StudentKey);
        (inputs as Record<string, Tensor>)[k] = idx >= 0 ? xs[idx]! : tf.tensor2d(values[k]!, shape);
      }
      if (weights) inputs.weights = tf.tensor1d(weights);
      if (actions) inputs.actions = tf.tensor1d(actions, "int32");
      return spec.fn(inputs, c.options);
    };
    const { loss, metrics, grads } = tf.tidy(() => {
      const xs = studentKeys.map((k) => tf.tensor2d(values[k]!, shapes[k]!));
      const out = tensorLoss(...xs);
      const g = tf.grads((...ys: Tensor[]) => tensorLoss(...ys).loss as Scalar)(xs);
      return {
        loss: out.loss.dataSync()[0]!,
        metrics: Object.fromEntries(Object.entries(out.metrics).map(([k, v]) => [k, v.dataSync()[0]!])),
        grads: g.map((t) => Array.from(t.dataSync())),
      };
    });
    close(res.loss, loss);
    expect(Object.keys(res.metrics).sort()).toEqual(Object.keys(metrics).sort());
    for (const [k, v] of Object.entries(metrics)) close(res.metrics[k]!, v);
    studentKeys.forEach((k, i) => {
      const mine = res.grads[k]!;
      for (const [j, g] of grads[i]!.entries()) close(mine[j]!, g);
      // Central differences of the array loss itself.
      for (const j of [0, mine.length - 1, 3]) {
        const x = values[k]!;
        const v = x[j]!;
        const h = 1e-2;
        const at = (d: number) => {
          x[j] = v + d;
          const out = spec.arrays!({ ...arrays, [k]: x }, c.options).loss;
          x[j] = v;
          return out;
        };
        const fd = (at(h) - at(-h)) / (Math.fround(v + h) - Math.fround(v - h));
        expect(Math.abs(mine[j]! - fd)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
    });
  });

  it("feature-l2 with a learned projection (dense and conv maps): loss, student and projection gradients", () => {
    const pairs = [
      { name: "fc0", studentWidth: 3, teacherWidth: 5, weight: 0.5 },
      { name: "conv0", studentWidth: 2, teacherWidth: 4 },
      { name: "fc1", studentWidth: 6, teacherWidth: 6 },
    ];
    const tfProjector = createFeatureProjector(pairs, new Rng(2));
    const projector = createArrayFeatureProjector(pairs, new Rng(2));
    const rng = new Rng(3);
    const sf = {
      fc0: draw(rng, [B, 3]),
      conv0: draw(rng, [B * 6, 2]), // [B, 2, 3, 2] maps
      fc1: draw(rng, [B, 6]),
    };
    const tfeat = { fc0: draw(rng, [B, 5]), conv0: draw(rng, [B * 6, 4]), fc1: draw(rng, [B, 6]) };
    const weights = Float32Array.from({ length: B }, () => 0.5 + rng.random());
    const res: ArrayLossResult = getLoss("feature-l2").arrays!(
      { batch: B, studentFeatures: sf, teacherFeatures: tfeat, weights },
      { projector },
    );
    const shapeOf: Record<string, number[]> = { fc0: [B, 3], conv0: [B, 2, 3, 2], fc1: [B, 6] };
    const tShapeOf: Record<string, number[]> = { fc0: [B, 5], conv0: [B, 2, 3, 4], fc1: [B, 6] };
    const names = ["fc0", "conv0", "fc1"] as const;
    const { loss, sGrads, pGrads } = tf.tidy(() => {
      const xs = names.map((n) => tf.tensor(sf[n], shapeOf[n]));
      const f = (...ys: Tensor[]) =>
        getLoss("feature-l2").fn(
          {
            studentFeatures: Object.fromEntries(names.map((n, i) => [n, ys[i]!])),
            teacherFeatures: Object.fromEntries(names.map((n) => [n, tf.tensor(tfeat[n], tShapeOf[n])])),
            weights: tf.tensor1d(weights),
          },
          { projector: tfProjector },
        ).loss;
      const g = tf.grads(f)(xs);
      const pg = tf.variableGrads(() => f(...xs) as Scalar, tfProjector.variables).grads;
      return {
        loss: f(...xs).dataSync()[0]!,
        sGrads: g.map((t) => Array.from(t.dataSync())),
        pGrads: tfProjector.variables.flatMap((v) => Array.from(pg[v.name]!.dataSync())),
      };
    });
    close(res.loss, loss);
    for (const [i, n] of names.entries())
      for (const [j, g] of sGrads[i]!.entries()) close(res.grads.studentFeatures![n]![j]!, g);
    expect(projector.grad.length).toBe(pGrads.length);
    for (const [j, g] of pGrads.entries()) close(projector.grad[j]!, g);
    tfProjector.dispose();
  });

  it.each([2, 3])("attention transfer (p = %i) on two conv layers of different channel counts", (p) => {
    const rng = new Rng(31);
    const shapes = {
      conv0: { s: [B, 3, 3, 2], t: [B, 3, 3, 4] },
      conv1: { s: [B, 2, 2, 3], t: [B, 2, 2, 1] },
    };
    const sf = { conv0: draw(rng, [B * 9, 2]), conv1: draw(rng, [B * 4, 3]) };
    const tfeat = { conv0: draw(rng, [B * 9, 4]), conv1: draw(rng, [B * 4, 1]) };
    const weights = Float32Array.from({ length: B }, () => 0.5 + rng.random());
    const opts = { p, layerWeights: { conv1: 0.5 } };
    const res = getLoss("attention").arrays!(
      { batch: B, studentFeatures: sf, teacherFeatures: tfeat, weights },
      { ...opts, spatial: { conv0: 9, conv1: 4 } },
    );
    const names = ["conv0", "conv1"] as const;
    const { loss, metrics, g } = tf.tidy(() => {
      const xs = names.map((n) => tf.tensor(sf[n], shapes[n].s));
      const f = (...ys: Tensor[]) =>
        getLoss("attention").fn(
          {
            studentFeatures: Object.fromEntries(names.map((n, i) => [n, ys[i]!])),
            teacherFeatures: Object.fromEntries(names.map((n) => [n, tf.tensor(tfeat[n], shapes[n].t)])),
            weights: tf.tensor1d(weights),
          },
          opts,
        );
      const out = f(...xs);
      return {
        loss: out.loss.dataSync()[0]!,
        metrics: Object.fromEntries(Object.entries(out.metrics).map(([k, v]) => [k, v.dataSync()[0]!])),
        g: tf
          .grads((...ys: Tensor[]) => f(...ys).loss as Scalar)(xs)
          .map((t) => Array.from(t.dataSync())),
      };
    });
    close(res.loss, loss);
    for (const [k, v] of Object.entries(metrics)) close(res.metrics[k]!, v);
    for (const [i, n] of names.entries())
      for (const [j, v] of g[i]!.entries()) close(res.grads.studentFeatures![n]![j]!, v);
    expect(() =>
      getLoss("attention").arrays!({ batch: B, studentFeatures: sf, teacherFeatures: tfeat }, { p }),
    ).toThrow(/spatial.conv0/);
  });
});
