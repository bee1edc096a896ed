import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";
import { dequantizeSpec, quantizeSpec } from "../deploy/quantize.js";
import { initBackend, type Scalar, type Tensor, tf } from "../nn/backend.js";
import { argmax } from "../nn/distributions.js";
import { compileSpec } from "../nn/fast.js";
import { normalizeObs } from "../nn/ops.js";
import { ArrayAdam } from "../nn/optim.js";
import { Sequential } from "../nn/sequential.js";
import type { DenseLayerSpec, PolicySpec } from "../nn/spec.js";
import { getLoss } from "./losses/registry.js";
import { policyObjective, valueObjective } from "./objectives.js";
import { checkHidden, Student, type StudentOptions } from "./student.js";

beforeAll(async () => {
  await initBackend("wasm");
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
    expect(s.hiddenInfo()).toEqual([
      { name: "fc0", size: 5, shape: [5] },
      { name: "fc1", size: 4, shape: [4] },
    ]);
    const obs = Float32Array.of(1, 2, 3, -1, 0.5, 0);
    const f = s.forward(obs, 2);
    expect(f.value!.length).toBe(2);
    const sync = s.policy().forward(obs, 2);
    for (let i = 0; i < 4; i++) expect(sync[i]).toBeCloseTo(f.out[i]!, 5);
    expect(s.toSpec().valueLayers?.length).toBe(3);
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
    expect(Array.from(s.logStdRows(3))).toEqual([-1, -1, -1].map(Math.fround));
  });

  it("a conv student on uint8 observations (MinAtar-shaped) acts as its snapshot", () => {
    const s = new Student({
      obsSize: 10 * 10 * 4,
      obsShape: [10, 10, 4],
      convs: [{ channels: 8, kernelSize: 3 }],
      actionSpace: new Discrete(6),
      hidden: [16],
      output: "logits",
      activation: "relu",
      rng: new Rng(3),
    });
    expect(s.hiddenInfo().map((h) => h.name)).toEqual(["conv0", "fc0"]);
    const rng = new Rng(4);
    const obs = Uint8Array.from({ length: 3 * 400 }, () => (rng.random() < 0.1 ? 1 : 0));
    const out = s.forward(obs, 3).out;
    const snap = s.policy().forward(Float32Array.from(obs), 3);
    for (let i = 0; i < 18; i++) expect(out[i]).toBeCloseTo(snap[i]!, 5);
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
    const mse = getLoss("mse").arrays!;
    const train = (s: Student, qat: boolean) => {
      s.fakeQuant = qat;
      const opt = new ArrayAdam([s.paramGroup()], { lr: 1e-2 });
      for (let i = 0; i < 20; i++) {
        const f = s.forward(obs, 600);
        const pol = mse({ batch: 600, studentLogits: f.out, teacherLogits: target });
        const v = valueObjective(f.value!, new Float32Array(600), 600);
        s.backward({ out: pol.grads.studentLogits!, value: v.dOut });
        opt.apply();
        s.paramsChanged();
      }
    };
    const qat = make();
    const plain = make();
    train(qat, true);
    train(plain, false);
    // The straight-through gradient trains the float weights, differently from float training.
    expect(Array.from(qat.values)).not.toEqual(Array.from(plain.values));

    // What training saw (the forward with fake quantization) ...
    const seen = qat.forward(obs, 600).out.slice();
    // ... is what the float weights give once quantized as the export does it.
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
  });

  it("quantization-aware conv student: per-output-channel (HWIO axis 3) int8 in training is what exports", () => {
    const s = new Student({
      obsSize: 100 * 4,
      obsShape: [10, 10, 4],
      actionSpace: new Discrete(3),
      hidden: [8],
      convs: [{ channels: 4, kernelSize: 3 }],
      output: "logits",
      activation: "relu",
      rng: new Rng(6),
    });
    const rng = new Rng(7);
    const obs = Uint8Array.from({ length: 64 * 400 }, () => (rng.random() < 0.1 ? 1 : 0));
    const target = rng.fillNormal(new Float32Array(64 * 3));
    s.fakeQuant = true;
    const opt = new ArrayAdam([s.paramGroup()], { lr: 1e-2 });
    const mse = getLoss("mse").arrays!;
    for (let i = 0; i < 10; i++) {
      const f = s.forward(obs, 64);
      s.backward({
        out: mse({ batch: 64, studentLogits: f.out, teacherLogits: target }).grads.studentLogits!,
      });
      opt.apply();
      s.paramsChanged();
    }
    const seen = s.forward(obs, 64).out.slice();
    s.fakeQuant = false;
    const int8 = dequantizeSpec(quantizeSpec(s.toSpec()));
    s.fakeQuant = true;
    expect(s.toSpec().layers).toEqual(int8.layers);
    const exported = compileSpec(int8).forward(obs, 64);
    for (let i = 0; i < seen.length; i++) expect(Math.abs(exported[i]! - seen[i]!)).toBeLessThan(1e-5);
    // Each output channel of the conv kernel has its own scale: its largest weight maps to +-127.
    const q = quantizeSpec(s.toSpec()).layers[0] as unknown as {
      weight: { data: Int8Array; scale: Float32Array };
    };
    expect(q.weight.scale.length).toBe(4);
    for (let o = 0; o < 4; o++) {
      let max = 0;
      for (let i = o; i < q.weight.data.length; i += 4) max = Math.max(max, Math.abs(q.weight.data[i]!));
      expect(max).toBe(127);
    }
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
    expect(
      () =>
        new Student({
          obsSize: 8,
          convs: [{ channels: 2, kernelSize: 2 }],
          actionSpace: new Discrete(2),
          hidden: [4],
          output: "logits",
          rng: new Rng(0),
        }),
    ).toThrow(/conv layers need observations \[height, width, channels\]/);
  });
});

/**
 * The tape-free student step (objective arrays + Student.backward on the SIMD kernels) against
 * the same loss on tfjs's tape (tensor registry losses, the project's gradients), for a network
 * rebuilt from the student's spec.
 */
describe("the tape-free student step equals the tape", () => {
  const B = 12;

  function tapeGrads(
    spec: PolicySpec,
    lossFn: (out: Tensor, value: Tensor | undefined, logStd: Tensor | undefined) => Scalar,
    obs: Float32Array,
    valueWidth: number,
  ) {
    return tf.tidy(() => {
      const net = new Sequential(spec.layers, "tape-policy");
      const vnet = spec.valueLayers ? new Sequential(spec.valueLayers, "tape-value") : undefined;
      const logStd = spec.logStd ? tf.variable(tf.tensor1d(spec.logStd)) : undefined;
      const vars = [...net.variables, ...(logStd ? [logStd] : []), ...(vnet?.variables ?? [])];
      let x: Tensor = tf.tensor2d(obs, [B, spec.obsShape.reduce((a, b) => a * b, 1)]);
      if (spec.obsNorm) x = normalizeObs(x, spec.obsNorm);
      const { grads } = tf.variableGrads(() => {
        const out = net.forward(x).out;
        const value = vnet
          ? tf.reshape(vnet.forward(x).out, valueWidth === 1 ? [B] : [B, valueWidth])
          : undefined;
        return lossFn(out, value, logStd);
      }, vars);
      const flat = vars.flatMap((v) => Array.from(grads[v.name]!.dataSync()));
      net.dispose();
      vnet?.dispose();
      logStd?.dispose();
      return flat;
    });
  }

  function expectClose(mine: Float32Array, tape: number[]): void {
    expect(mine.length).toBe(tape.length);
    let scale = 0;
    for (const g of tape) scale = Math.max(scale, Math.abs(g));
    for (let i = 0; i < tape.length; i++)
      expect(Math.abs(mine[i]! - tape[i]!)).toBeLessThan(2e-5 * Math.max(scale, 1e-3));
  }

  const discrete: Array<[string, Record<string, unknown>]> = [
    ["kl", { tau: 2 }],
    ["reverse-kl", { tau: 0.5 }],
    ["js", { tau: 1 }],
    ["nll", {}],
    ["mse", {}],
  ];

  it.each(discrete)(
    "%s policy term with importance weights and a V head (dense and conv students)",
    (name) => {
      for (const conv of [false, true]) {
        const rng = new Rng(21);
        const opts: StudentOptions = conv
          ? {
              obsSize: 36,
              obsShape: [3, 3, 4],
              convs: [{ channels: 3, kernelSize: 2 }],
              hidden: [6],
              actionSpace: new Discrete(3),
              output: "logits",
              valueWidth: 1,
              rng,
            }
          : {
              obsSize: 4,
              hidden: [7, 5],
              actionSpace: new Discrete(3),
              output: "logits",
              valueWidth: 1,
              rng,
              obsNorm: {
                mean: Float32Array.of(0, 1, 0, -1),
                var: Float32Array.of(1, 2, 3, 4),
                epsilon: 1e-8,
                clip: 3,
              },
            };
        const s = new Student(opts);
        const obs = rng.fillNormal(new Float32Array(B * s.obsSize));
        const teacherOut = rng.fillNormal(new Float32Array(B * 3), 0, 2);
        const teacherValue = rng.fillNormal(new Float32Array(B));
        const weights = Float32Array.from({ length: B }, () => 0.3 + rng.random());
        const objective = policyObjective(name, "logits");
        const tau = 1.5;
        const f = s.forward(obs, B);
        const pol = objective(s, f.out, { batch: B, teacherOut, weights }, tau);
        const v = valueObjective(f.value!, teacherValue, B, weights);
        s.backward({ out: pol.dOut, value: v.dOut.map((g) => 0.5 * g) });
        const spec = s.toSpec();
        const tape = tapeGrads(
          spec,
          (out, value) => {
            const w = tf.tensor1d(weights);
            const p = getLoss(name).fn(
              { studentLogits: out, teacherLogits: tf.tensor2d(teacherOut, [B, 3]), weights: w },
              objective.spec.options.includes("tau") ? { tau } : {},
            ).loss;
            const vl = getLoss("value-mse").fn({
              studentValues: value!,
              teacherValues: tf.tensor1d(teacherValue),
              weights: w,
            }).loss;
            return tf.add(p, tf.mul(vl, 0.5)) as Scalar;
          },
          obs,
          1,
        );
        expectClose(s.grad, tape);
      }
    },
  );

  it("gaussian-kl moves the means and the log std", () => {
    const rng = new Rng(22);
    const s = new Student({
      obsSize: 3,
      hidden: [6],
      actionSpace: new Box(-1, 1, { shape: [2] }),
      output: "mean",
      initLogStd: -0.3,
      rng,
    });
    const obs = rng.fillNormal(new Float32Array(B * 3));
    const teacherOut = rng.fillNormal(new Float32Array(B * 2));
    const teacherLogStd = rng.fillNormal(new Float32Array(B * 2), -0.5, 0.2);
    const objective = policyObjective("kl", "gaussian");
    const f = s.forward(obs, B);
    const pol = objective(s, f.out, { batch: B, teacherOut, teacherLogStd }, 1);
    s.backward({ out: pol.dOut, logStd: pol.dLogStd });
    const tape = tapeGrads(
      s.toSpec(),
      (out, _v, logStd) =>
        getLoss("gaussian-kl").fn({
          studentMean: out,
          studentLogStd: tf.add(tf.zeros([B, 2]), logStd!),
          teacherMean: tf.tensor2d(teacherOut, [B, 2]),
          teacherLogStd: tf.tensor2d(teacherLogStd, [B, 2]),
        }).loss,
      obs,
      1,
    );
    expectClose(s.grad, tape);
  });

  it("feature hints reach the hidden layers through their gradients", () => {
    const rng = new Rng(23);
    const s = new Student({
      obsSize: 4,
      hidden: [6, 5],
      actionSpace: new Discrete(2),
      output: "logits",
      rng,
    });
    const obs = rng.fillNormal(new Float32Array(B * 4));
    const target = rng.fillNormal(new Float32Array(B * 5));
    s.forward(obs, B);
    const res = getLoss("value-mse").arrays!({
      batch: B,
      studentValues: s.hiddenActivation("fc1").slice(),
      teacherValues: target,
    });
    s.backward({ hidden: { fc1: res.grads.studentValues! } });
    const tape = tf.tidy(() => {
      const net = new Sequential(s.toSpec().layers, "tape-hint");
      const { grads } = tf.variableGrads(
        () =>
          getLoss("value-mse").fn({
            studentValues: net.forward(tf.tensor2d(obs, [B, 4])).hidden.fc1!,
            teacherValues: tf.tensor2d(target, [B, 5]),
          }).loss,
        net.variables,
      );
      const flat = net.variables.flatMap((v) =>
        grads[v.name] ? Array.from(grads[v.name]!.dataSync()) : new Array(v.size).fill(0),
      );
      net.dispose();
      return flat;
    });
    expectClose(s.grad, tape);
  });
});
