import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";
import { dequantizeSpec, quantizeSpec } from "../deploy/quantize.js";
import { initBackend, type Scalar, tf } from "../nn/backend.js";
import { argmax } from "../nn/distributions.js";
import { compileSpec } from "../nn/fast.js";
import { Adam, trainStep } from "../nn/optim.js";
import type { DenseLayerSpec } from "../nn/spec.js";
import { checkHidden, Student } from "./student.js";

beforeAll(async () => {
  await initBackend("cpu");
});

describe("Student", () => {
  it("forward matches its synchronous snapshot, and counts acting parameters", () => {
    const s = new Student({
      obsSize: 3,
      actionSpace: new Discrete(2),
      hidden: [5, 4],
      output: "logits",
      valueWidth: 1,
      rng: new Rng(1),
      obsNorm: { mean: Float32Array.of(1, 0, 0), var: Float32Array.of(4, 1, 1), epsilon: 0, clip: 10 },
    });
    expect(s.params).toBe(3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2);
    const obs = Float32Array.of(1, 2, 3, -1, 0.5, 0);
    const { out, value, hidden } = tf.tidy(() => {
      const f = s.forward(tf.tensor2d(obs, [2, 3]));
      return { out: f.out.arraySync(), value: f.value!.arraySync(), hidden: Object.keys(f.hidden) };
    });
    expect(hidden).toEqual(["fc0", "fc1"]);
    expect(value.length).toBe(2);
    const p = s.policy();
    const sync = p.forward(obs, 2);
    for (let i = 0; i < 4; i++) expect(sync[i]).toBeCloseTo(out[Math.floor(i / 2)]![i % 2]!, 5);
    expect(s.toSpec().valueLayers?.length).toBe(3);
    s.dispose();
  });

  it("Gaussian students expose their log std and clip actions", () => {
    const s = new Student({
      obsSize: 2,
      actionSpace: new Box(-0.5, 0.5, { shape: [1] }),
      hidden: [4],
      output: "mean",
      initLogStd: -1,
      rng: new Rng(2),
    });
    const p = s.policy();
    const d = p.distribution(Float32Array.of(0, 0));
    expect(d.kind === "gaussian" && d.std[0]).toBeCloseTo(Math.exp(-1), 6);
    for (let i = 0; i < 50; i++) {
      const a = p.act(Float32Array.of(0, 0), { deterministic: false, rng: new Rng(i) }) as Float32Array;
      expect(Math.abs(a[0]!)).toBeLessThanOrEqual(0.5);
    }
    expect(tf.tidy(() => s.logStdRows(3).shape)).toEqual([3, 1]);
    s.dispose();
  });

  it("quantization-aware: trains through int8 fake quantization; its int8 export acts as in training", () => {
    const make = () =>
      new Student({
        obsSize: 3,
        actionSpace: new Discrete(3),
        hidden: [16, 16],
        output: "logits",
        valueWidth: 1,
        rng: new Rng(4),
        obsNorm: {
          mean: Float32Array.of(0.5, 0, 0),
          var: Float32Array.of(2, 1, 0.5),
          epsilon: 1e-8,
          clip: 5,
        },
      });
    const rng = new Rng(5);
    const obs = rng.fillNormal(new Float32Array(600 * 3));
    const target = rng.fillNormal(new Float32Array(600 * 3));
    const train = (s: Student, qat: boolean) => {
      s.fakeQuant = qat;
      const opt = new Adam(s.variables, { lr: 1e-2 });
      for (let i = 0; i < 20; i++) {
        trainStep(opt, () => {
          const f = s.forward(tf.tensor2d(obs, [600, 3]));
          const loss = tf.add(
            tf.mean(tf.square(tf.sub(f.out, tf.tensor2d(target, [600, 3])))),
            tf.mean(tf.square(f.value!)),
          ) as Scalar;
          return { loss, metrics: {} };
        });
      }
      opt.dispose();
    };
    const qat = make();
    const plain = make();
    train(qat, true);
    train(plain, false);
    // The straight-through gradient trains the float variables, differently from float training.
    const w = (s: Student) => Array.from((s.net.params.get("fc0.weight") as tf.Tensor).dataSync());
    expect(w(qat)).not.toEqual(w(plain));

    // What training saw (the tfjs forward with fake quantization) ...
    const seen = tf.tidy(() => qat.forward(tf.tensor2d(obs, [600, 3])).out.dataSync());
    // ... is what the float variables give once quantized as the export does it.
    qat.fakeQuant = false;
    const float = qat.toSpec();
    qat.fakeQuant = true;
    const int8 = dequantizeSpec(quantizeSpec(float));
    expect(qat.toSpec().layers).toEqual(int8.layers);
    expect(qat.toSpec().valueLayers).toEqual(int8.valueLayers);
    const exported = compileSpec(int8).forward(obs, 600);
    const unquantized = compileSpec(float).forward(obs, 600);
    let maxErr = 0;
    let maxQuantEffect = 0;
    for (let i = 0; i < 600 * 3; i++) {
      maxErr = Math.max(maxErr, Math.abs(exported[i]! - seen[i]!));
      maxQuantEffect = Math.max(maxQuantEffect, Math.abs(unquantized[i]! - seen[i]!));
    }
    expect(maxErr).toBeLessThan(1e-5);
    expect(maxQuantEffect).toBeGreaterThan(20 * maxErr); // quantization really was on
    for (let b = 0; b < 600; b++) expect(argmax(exported, b * 3, 3)).toBe(argmax(seen, b * 3, 3));
    // The int8 grid is a fixed point of quantization: exporting the saved spec again gives the same int8 values.
    const again = quantizeSpec(qat.toSpec());
    for (const [i, l] of quantizeSpec(float).layers.entries()) {
      const a = again.layers[i] as { weight: { data: Int8Array } };
      expect(Array.from(a.weight.data)).toEqual(
        Array.from((l as { weight: { data: Int8Array } }).weight.data),
      );
    }
    expect((int8.layers[0] as DenseLayerSpec).weight).not.toEqual((float.layers[0] as DenseLayerSpec).weight);
    qat.dispose();
    plain.dispose();
  });

  it("rejects shapes that cannot work, naming the layer", () => {
    expect(() => checkHidden("student", [0, 32])).toThrow(/layer 0 has width 0/);
    expect(() => checkHidden("student", [])).toThrow(/at least one hidden layer/);
    expect(() => checkHidden("student", [Number.NaN])).toThrow(/NaN/);
    expect(
      () =>
        new Student({
          obsSize: 2,
          actionSpace: new Discrete(2),
          hidden: [4],
          output: "mean",
          rng: new Rng(0),
        }),
    ).toThrow(/Gaussian student/);
  });
});
