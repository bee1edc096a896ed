import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { tf } from "../../nn/backend.js";
import { klLoss } from "./categorical.js";
import { combineLosses } from "./combine.js";
import { createFeatureProjector } from "./features.js";
import { getLoss, type LossInputs, lossNames, lossRegistry } from "./registry.js";
import { useBackend, value } from "./testkit.js";

function inputs(): LossInputs {
  const rng = new Rng(11);
  const r = (shape: number[]) =>
    tf.tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape);
  return {
    studentLogits: r([4, 3]),
    teacherLogits: r([4, 3]),
    studentMean: r([4, 2]),
    studentLogStd: r([4, 2]),
    teacherMean: r([4, 2]),
    teacherLogStd: r([4, 2]),
    studentValues: r([4, 3]),
    teacherValues: r([4, 3]),
    studentFeatures: { conv: r([4, 3, 3, 2]) },
    teacherFeatures: { conv: r([4, 3, 3, 5]) },
    weights: tf.tensor1d([1, 0.5, 2, 0]),
  };
}

describe("loss registry", () => {
  beforeAll(() => useBackend("cpu"));

  it("lists the issue's losses with descriptions, inputs and action-space flags", () => {
    expect([...lossNames].sort()).toEqual(
      [
        "attention",
        "feature-l2",
        "gaussian-kl",
        "gaussian-w2",
        "huber",
        "mean-mse",
        "js",
        "kl",
        "mse",
        "nll",
        "reverse-kl",
        "value-mse",
      ].sort(),
    );
    for (const name of lossNames) {
      const spec = lossRegistry[name];
      expect(spec.name).toBe(name);
      expect(spec.description.length).toBeGreaterThan(10);
      expect(spec.inputs.length).toBeGreaterThan(0);
      expect(spec.discreteOnly && spec.continuousOnly).toBe(false);
    }
    expect(lossRegistry["kl"].discreteOnly).toBe(true);
    expect(lossRegistry["gaussian-kl"].continuousOnly).toBe(true);
  });

  it("getLoss rejects unknown names, listing the allowed ones", () => {
    expect(getLoss("js").name).toBe("js");
    expect(() => getLoss("kld")).toThrow(ConfigError);
    expect(() => getLoss("kld", "distill.loss")).toThrow(
      /^distill\.loss: unknown loss "kld"; allowed: kl, reverse-kl/,
    );
    expect(() => getLoss("toString")).toThrow(/unknown loss/);
  });

  it("every loss runs from the shared inputs, finite, without leaking tensors", () => {
    const given = inputs();
    const projector = createFeatureProjector(
      [{ name: "conv", studentWidth: 2, teacherWidth: 5 }],
      new Rng(0),
    );
    const before = tf.memory().numTensors;
    for (const name of lossNames) {
      const options = name === "feature-l2" ? { projector } : {};
      const loss = tf.tidy(() => value(getLoss(name).fn(given, options).loss));
      expect(Number.isFinite(loss), name).toBe(true);
      expect(loss, name).toBeGreaterThanOrEqual(0);
    }
    expect(tf.memory().numTensors).toBe(before);
    projector.dispose();
  });

  it("passes options and per-sample weights through to the loss", () => {
    const given = inputs();
    const viaRegistry = tf.tidy(() =>
      value(getLoss("kl").fn(given, { tau: 0.5, scaleByTauSquared: true }).loss),
    );
    const direct = tf.tidy(() =>
      value(
        klLoss(given.studentLogits!, given.teacherLogits!, {
          tau: 0.5,
          scaleByTauSquared: true,
          weights: given.weights,
        }).loss,
      ),
    );
    expect(viaRegistry).toBeCloseTo(direct, 6);
    const unweighted = tf.tidy(() => value(getLoss("kl").fn({ ...given, weights: undefined }).loss));
    expect(Math.abs(unweighted - value(getLoss("kl").fn(given).loss))).toBeGreaterThan(1e-4);
    const taken = tf.tidy(() =>
      value(getLoss("value-mse").fn({ ...given, actions: tf.tensor1d([0, 1, 2, 0], "int32") }).loss),
    );
    expect(Math.abs(taken - value(getLoss("value-mse").fn(given).loss))).toBeGreaterThan(1e-4);
  });

  it("missing tensors and unknown options are named", () => {
    const given = inputs();
    expect(() => getLoss("kl").fn({ studentLogits: given.studentLogits })).toThrow(
      /^inputs\.teacherLogits: required by loss "kl"/,
    );
    expect(() => getLoss("kl").fn(given, { taux: 2 })).toThrow(
      /^loss\.kl\.taux: unknown option; allowed: tau, scaleByTauSquared, weightNormalization/,
    );
    expect(() => getLoss("kl").fn(given, { tau: -1 })).toThrow(/^tau: must be > 0/);
    expect(() => getLoss("huber").fn(given, { delta: "big" })).toThrow(/^delta: expected a finite number/);
    expect(() => getLoss("feature-l2").fn(given)).toThrow(/loss\.feature-l2\.projector: required/);
  });
});

describe("combineLosses", () => {
  beforeAll(() => useBackend("cpu"));

  it("alpha * distill + (1 - alpha) * rl, with namespaced metrics", () => {
    const out = tf.tidy(() => {
      const r = combineLosses(
        0.3,
        { loss: tf.scalar(2), metrics: { kl: tf.scalar(2), agreement: tf.scalar(0.5) } },
        tf.scalar(-1),
      );
      return {
        loss: value(r.loss),
        metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, value(v)])),
      };
    });
    expect(out.loss).toBeCloseTo(0.3 * 2 + 0.7 * -1, 6);
    expect(out.metrics).toEqual({
      "distill/loss": 2,
      "rl/loss": -1,
      "distill/kl": 2,
      "distill/agreement": 0.5,
    });
    expect(() => combineLosses(1.2, tf.scalar(0), tf.scalar(0))).toThrow(/^alpha: must be <= 1/);
    expect(() => combineLosses(Number.NaN, tf.scalar(0), tf.scalar(0))).toThrow(/^alpha/);
  });

  it("gradient flows to both parts in proportion", () => {
    const g = tf.grad(
      (x: tf.Tensor) =>
        combineLosses(0.25, tf.sum(tf.square(x)) as tf.Scalar, tf.sum(tf.mul(x, 4)) as tf.Scalar).loss,
    )(tf.tensor1d([1, -2]));
    expect(Array.from(g.dataSync())).toEqual([0.25 * 2 + 0.75 * 4, 0.25 * -4 + 0.75 * 4]);
  });
});
