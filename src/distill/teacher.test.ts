import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";
import { argmaxRows, entropyRows, qGapRows, softmaxRows } from "../nn/distributions.js";
import {
  checkCompatible,
  rowDistribution,
  type TeacherBatch,
  teacherActions,
  teacherConfidence,
  teacherPolicy,
  teacherProbs,
} from "./teacher.js";
import { LineWorld, lineGaussianTeacher, lineTeacher } from "./testing/fakes.js";

const batch = (outputs: number[], k: number, kind: TeacherBatch["kind"] = "logits"): TeacherBatch => ({
  kind,
  n: outputs.length / k,
  actionSize: k,
  outputs: Float32Array.from(outputs),
  features: {},
});

describe("probs", () => {
  it("softmax is stable for extreme logits and tiny temperatures", () => {
    const p = softmaxRows([1000, 0, -1000, 1e-3, 0, 0], 2, 3, 0.01);
    expect(Array.from(p.subarray(0, 3))).toEqual([1, 0, 0]);
    expect(p[3]).toBeGreaterThan(p[4]!);
    expect(p.every(Number.isFinite)).toBe(true);
    expect(Array.from(softmaxRows([0, Math.log(3)], 1, 2))).toEqual([Math.fround(0.25), Math.fround(0.75)]);
    expect(() => softmaxRows([0], 1, 1, 0)).toThrow(RangeError);
  });

  it("entropy, argmax and Q-gap (known answers)", () => {
    expect(entropyRows([0.5, 0.5, 1, 0], 2, 2)[0]).toBeCloseTo(Math.log(2), 6);
    expect(entropyRows([0.5, 0.5, 1, 0], 2, 2)[1]).toBe(0);
    expect(Array.from(argmaxRows([1, 3, 2, 5, 5, 0], 2, 3))).toEqual([1, 0]);
    expect(Array.from(qGapRows([1, 3, 2, 5, 5, 0], 2, 3))).toEqual([1, 0]);
  });
});

describe("teacher helpers", () => {
  it("checkCompatible names both spaces", () => {
    const t = lineTeacher();
    checkCompatible(t, new LineWorld());
    const err = (() => {
      try {
        checkCompatible(t, new LineWorld({ continuous: true }));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toContain("Discrete(2)");
    expect(err?.message).toContain("Box(-1, 1, (1,), float32)");
    const wrongObs = {
      ...t,
      predict: t.predict.bind(t),
      observationSpace: new Box(-1, 1, { shape: [4] }),
      name: "t",
    };
    expect(() => checkCompatible(wrongObs, new LineWorld())).toThrow(
      /Box\(-1, 1, \(4,\), float32\).*LineWorld gives Box/,
    );
  });

  it("confidence: inverse entropy for probabilities, best-minus-second for Q", () => {
    const b = batch([0, 0, 10, 0], 2);
    const c = teacherConfidence(b, "entropy");
    expect(c[0]).toBeCloseTo(1 / (Math.log(2) + 0.05), 5);
    expect(c[1]).toBeGreaterThan(15);
    expect(Array.from(teacherConfidence(batch([1, 4, 2, 2], 2, "q"), "qgap"))).toEqual([3, 0]);
    const g: TeacherBatch = { ...batch([0, 0], 1, "gaussian"), logStd: Float32Array.of(0, Math.log(0.1)) };
    const cg = teacherConfidence(g, "entropy");
    expect(cg[0]).toBeCloseTo(1 / 1.05, 5);
    expect(cg[1]).toBeCloseTo(1 / 0.15, 4);
    expect(() => teacherProbs(batch([0, 0], 2, "gaussian"))).toThrow(/Gaussian/);
  });

  it("greedy and sampled actions; sampling follows the probabilities", () => {
    const b = batch([0, Math.log(3)], 2);
    expect(teacherActions(b, new Discrete(2))).toEqual([1]);
    expect(teacherActions(b, new Discrete(2, { start: 5 }))).toEqual([6]);
    const rng = new Rng(3);
    let ones = 0;
    for (let i = 0; i < 4000; i++)
      ones += teacherActions(b, new Discrete(2), { deterministic: false, rng })[0] as number;
    expect(ones / 4000).toBeGreaterThan(0.72);
    expect(ones / 4000).toBeLessThan(0.78);
    expect(() => teacherActions(b, new Discrete(2), { deterministic: false })).toThrow(/generator/);
  });

  it("Gaussian actions are clipped to the box", () => {
    const t = lineGaussianTeacher(0);
    const out = t.predictSync(Float32Array.of(2, 1), 1);
    const box = new Box(-0.1, 0.1, { shape: [1] });
    const a = teacherActions(out, box, { deterministic: false, rng: new Rng(1) })[0] as Float32Array;
    expect(Math.abs(a[0]!)).toBeLessThanOrEqual(Math.fround(0.1));
  });

  it("a Gaussian teacher with means only (squashed SAC, TD3) acts with its mean when sampled", () => {
    const means: TeacherBatch = {
      kind: "gaussian",
      n: 2,
      actionSize: 2,
      outputs: Float32Array.of(0.5, -0.25, 0.9, 0),
      features: {},
    };
    const box = new Box(-1, 1, { shape: [2] });
    const sampled = teacherActions(means, box, { deterministic: false, rng: new Rng(1) });
    expect(sampled.map((a) => Array.from(a as Float32Array))).toEqual([
      [0.5, -0.25],
      [Math.fround(0.9), 0],
    ]);
    // With a log std the same means are sampled around.
    const spread = { ...means, logStd: new Float32Array(4).fill(Math.log(0.3)) };
    const a = teacherActions(spread, box, { deterministic: false, rng: new Rng(1) })[0] as Float32Array;
    expect(a[0]).not.toBe(0.5);
  });

  it("teacherPolicy acts and exposes its distribution", () => {
    const p = teacherPolicy(lineTeacher());
    expect(p.act(Float32Array.of(1, 1))).toBe(0);
    expect(p.act(Float32Array.of(-1, 1))).toBe(1);
    const d = p.distribution(Float32Array.of(1, 1));
    expect(d.kind).toBe("categorical");
    if (d.kind === "categorical") expect(d.probs[0]! + d.probs[1]!).toBeCloseTo(1, 6);
    const g = rowDistribution(lineGaussianTeacher(-1).predictSync(Float32Array.of(0, 1), 1), 0);
    expect(g.kind === "gaussian" && g.std[0]).toBeCloseTo(Math.exp(-1), 6);
  });
});
