import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initBackend, tf } from "../../nn/backend.js";
import type { DistillConfig } from "../config.js";
import { distill } from "../distill.js";
import { pairFeatures } from "../feature-pairs.js";
import { evalPoints } from "../loop.js";
import { LineWorld, lineGaussianTeacher, lineTeacher } from "../testing/fakes.js";
import { adapterGate } from "./residual.js";

/** Each method takes its own fields (config.ts refuses another method's): the replay ones apart. */
const replay: Partial<DistillConfig> = { rolloutSteps: 25, trainRatio: 0.25, batchSize: 64 };
const base: Partial<DistillConfig> = {
  env: "LineWorld-v0",
  steps: 3000,
  numEnvs: 4,
  student: [8],
  evalEvery: 0.5,
  evalEpisodes: 3,
  finalEpisodes: 6,
  similarityStates: 300,
  learningRate: 3e-3,
};
const out = () => mkdtempSync(join(tmpdir(), "rldistill-methods-"));
const line = () => new LineWorld();

describe("distillers learn the line-world teacher", () => {
  it("dqn: Q distillation with the dual target, TD mix and Q-gap prioritised replay", async () => {
    const { summary } = await distill(
      {
        ...base,
        ...replay,
        out: out(),
        method: "dqn",
        alpha: "0.8",
        tau: "0.1",
        stateValueCoef: 0.5,
        prioritisation: "qgap",
        targetUpdate: 50,
      },
      { teacher: lineTeacher({ output: "q" }), makeEnv: line },
    );
    expect(summary.agreement).toBeGreaterThan(0.9);
    expect(summary.retention).toBeGreaterThan(0.85);
  });

  it("ppo: on-policy distillation (alpha 1) imitates; mixed with PPO (alpha 1 -> 0.5) keeps the return", async () => {
    const run = (alpha: string) =>
      distill(
        { ...base, out: out(), method: "ppo", alpha, ppoSteps: 50, ppoEpochs: 4, ppoMinibatches: 4 },
        { teacher: lineTeacher({ value: true }), makeEnv: line },
      );
    const pure = (await run("1")).summary;
    expect(pure.agreement).toBeGreaterThan(0.9);
    // With the PPO term the student optimises reward too: any policy that stays near 0 scores
    // fully here, so agreement may drop while the return is kept.
    const mixed = (await run("1:0.5:linear")).summary;
    expect(mixed.retention).toBeGreaterThan(0.9);
  });

  it("ppo and policy with a Gaussian (continuous) teacher", async () => {
    const makeEnv = () => new LineWorld({ continuous: true });
    for (const method of ["policy", "ppo"] as const) {
      const { summary } = await distill(
        method === "ppo"
          ? { ...base, out: out(), method, ppoSteps: 50 }
          : { ...base, ...replay, out: out(), method },
        { teacher: lineGaussianTeacher(-1), makeEnv },
      );
      expect(summary.agreement).toBeNull();
      expect(summary.js_divergence).toBeLessThan(0.1);
      expect(summary.retention).toBeGreaterThan(0.8);
    }
  });

  it("feature: hints first, then outputs", async () => {
    const { summary } = await distill(
      { ...base, ...replay, out: out(), method: "feature", featureStage: 0.3 },
      { teacher: lineTeacher(), makeEnv: line },
    );
    expect(summary.agreement).toBeGreaterThan(0.9);
  });

  it("residual: the deployed student works without the teacher", async () => {
    const { summary, studentSpec } = await distill(
      { ...base, ...replay, out: out(), method: "residual", adapterEnd: 0.5 },
      { teacher: lineTeacher(), makeEnv: line },
    );
    expect(summary.agreement).toBeGreaterThan(0.9);
    expect(studentSpec.layers.length).toBe(2); // the plain student: no adapter in the artifact
  });

  it("rejects a method that does not fit the teacher", async () => {
    await expect(
      distill({ ...base, ...replay, out: out(), method: "dqn" }, { teacher: lineTeacher(), makeEnv: line }),
    ).rejects.toThrow(/dqn distils Q-values/);
    await expect(
      distill({ ...base, ...replay, out: out(), valueCoef: 1 }, { teacher: lineTeacher(), makeEnv: line }),
    ).rejects.toThrow(/valueCoef.*no value head/);
  });
});

describe("tensor hygiene", () => {
  it("no method leaves tensors behind after a run", async () => {
    await initBackend();
    const before = tf.memory().numTensors;
    for (const method of ["policy", "ppo", "dqn", "feature", "residual"] as const) {
      const teacher = method === "dqn" ? lineTeacher({ output: "q" }) : lineTeacher({ value: true });
      await distill(
        {
          ...base,
          ...(method === "ppo" ? { alpha: "0.5", ppoSteps: 25 } : replay),
          ...(method === "dqn" ? { alpha: "0.5" } : {}),
          ...(method === "policy" ? { valueCoef: 0.5 } : {}),
          steps: 400,
          out: out(),
          method,
        },
        { teacher, makeEnv: line },
      );
      expect(tf.memory().numTensors, method).toBe(before);
    }
    await distill(
      { ...base, steps: 400, out: out(), method: "ppo", ppoSteps: 25 },
      { teacher: lineGaussianTeacher(), makeEnv: () => new LineWorld({ continuous: true }) },
    );
    expect(tf.memory().numTensors, "gaussian ppo").toBe(before);
  });
});

describe("known answers", () => {
  it("evaluation points", () => {
    expect(evalPoints(0.2)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(evalPoints(0.3)).toEqual([0.3, 0.6, 0.9, 1]);
    expect(evalPoints(1)).toEqual([1]);
  });

  it("adapter gate anneals to zero by adapterEnd", () => {
    expect([0, 0.3, 0.6, 0.9].map((p) => adapterGate(p, 0.6))).toEqual([1, 0.5, 0, 0]);
  });

  it("feature pairs from the output end, with weights and clear errors", () => {
    const teacher = [
      { name: "fc0", size: 64 },
      { name: "fc1", size: 64 },
      { name: "fc2", size: 32 },
    ];
    const student = [
      { name: "fc0", size: 16 },
      { name: "fc1", size: 8 },
    ];
    const auto = pairFeatures(teacher, student, { featureLayers: "auto", featureWeights: "" });
    expect(auto.pairs).toEqual([
      { name: "fc1", studentWidth: 16, teacherWidth: 64, weight: 1 },
      { name: "fc2", studentWidth: 8, teacherWidth: 32, weight: 1 },
    ]);
    expect([...auto.studentOf]).toEqual([
      ["fc1", "fc0"],
      ["fc2", "fc1"],
    ]);
    const one = pairFeatures(teacher, student, { featureLayers: "fc0", featureWeights: "2" });
    expect(one.pairs).toEqual([{ name: "fc0", studentWidth: 8, teacherWidth: 64, weight: 2 }]);
    expect(() => pairFeatures(teacher, student, { featureLayers: "fc9", featureWeights: "" })).toThrow(
      /no feature "fc9"/,
    );
    expect(() => pairFeatures(teacher, student, { featureLayers: "auto", featureWeights: "1" })).toThrow(
      /1 weights for 2/,
    );
  });
});
