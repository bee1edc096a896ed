import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { Box, Discrete } from "../../core/spaces.js";
import { cnnLayers } from "../../nn/sequential.js";
import type { PolicySpec } from "../../nn/spec.js";
import { lineGaussianTeacher, lineTeacher, lineTeacherSpec } from "../testing/fakes.js";
import { SpecTeacher, teacherBackend } from "./spec-teacher.js";

describe("SpecTeacher", () => {
  it("returns logits, features by name, values, and counts parameters", () => {
    const t = lineTeacher({ value: true });
    expect(t.params).toBe(2 * 4 + 4 + 4 * 2 + 2);
    expect(t.features).toEqual([{ name: "fc0", size: 4, shape: [4] }]);
    const out = t.predictSync(Float32Array.of(0.5, 1, -0.5, 1), 2, { features: ["fc0"] });
    expect(out.kind).toBe("logits");
    expect(out.outputs[0]).toBeGreaterThan(out.outputs[1]!); // x > 0: push left (action 0)
    expect(out.outputs[2]).toBeLessThan(out.outputs[3]!);
    expect(out.features.fc0!.length).toBe(8);
    expect(Array.from(out.values!)).toEqual([0, 2]);
  });

  it("gives the same labels with and without features", () => {
    const t = lineTeacher({ value: true });
    const obs = Float32Array.of(0.3, 1, -1.2, 1, 0, 1);
    const plain = t.predictSync(obs, 3);
    const withFeatures = t.predictSync(obs, 3, { features: "all" });
    expect(Array.from(withFeatures.outputs)).toEqual(Array.from(plain.outputs));
    expect(Array.from(withFeatures.values!)).toEqual(Array.from(plain.values!));
    expect(plain.features).toEqual({});
    expect(Object.keys(withFeatures.features)).toEqual(["fc0"]);
  });

  it("onnxruntime and the SIMD kernels give the same outputs, values and (NHWC) conv features", async () => {
    const rng = new Rng(3);
    const layers = cnnLayers(
      {
        inShape: [5, 5, 3],
        convs: [{ channels: 4, kernelSize: 3, padding: "same" }],
        hidden: [8],
        outSize: 3,
      },
      rng,
    );
    const value = cnnLayers(
      { inShape: [5, 5, 3], convs: [{ channels: 2, kernelSize: 2 }], hidden: [], outSize: 1 },
      rng,
    );
    const spec: PolicySpec = {
      obsShape: [5, 5, 3],
      output: "logits",
      actionSize: 3,
      layers,
      valueLayers: value,
      obsNorm: {
        mean: rng.fillNormal(new Float32Array(75)),
        var: new Float32Array(75).fill(2),
        epsilon: 1e-8,
        clip: 3,
      },
    };
    const spaces = { observationSpace: new Box(-5, 5, { shape: [5, 5, 3] }), actionSpace: new Discrete(3) };
    const simd = new SpecTeacher(spec, { name: "t", ...spaces, backend: "simd" });
    const onnx = new SpecTeacher(spec, { name: "t", ...spaces, backend: "onnx" });
    const obs = rng.fillNormal(new Float32Array(6 * 75));
    const a = await simd.predict(obs, 6, { features: "all" });
    const b = await onnx.predict(obs, 6, { features: ["conv0", "fc0"] });
    const close = (x: Float32Array, y: Float32Array) => {
      expect(x.length).toBe(y.length);
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-5);
    };
    close(b.outputs, a.outputs);
    close(b.values!, a.values!);
    close(b.features.conv0!, a.features.conv0!);
    close(b.features.fc0!, a.features.fc0!);
    await onnx.dispose();
  });

  it("runs a batch on onnxruntime only when its work outweighs the call overhead", () => {
    expect(teacherBackend(9_000, 16, true)).toBe("simd");
    expect(teacherBackend(9_000, 64, true)).toBe("onnx");
    expect(teacherBackend(134_000, 1, true)).toBe("simd");
    expect(teacherBackend(134_000, 4, true)).toBe("onnx");
    expect(teacherBackend(134_000, 256, false)).toBe("simd");
  });

  it("names an unknown feature and lists the available ones", () => {
    const t = lineTeacher();
    expect(() => t.predictSync(Float32Array.of(0, 1), 1, { features: ["fc7"] })).toThrow(/fc7.*fc0/);
  });

  it("repeats the state-independent log std for Gaussian teachers", () => {
    const t = lineGaussianTeacher(-0.5);
    const out = t.predictSync(Float32Array.of(1, 1, -1, 1), 2);
    expect(out.kind).toBe("gaussian");
    expect(Array.from(out.logStd!)).toEqual([-0.5, -0.5]);
    expect(out.outputs[0]).toBeLessThan(0);
    expect(out.outputs[1]).toBeGreaterThan(0);
  });

  it("rejects a network that does not fit its spaces", () => {
    const spec: PolicySpec = lineTeacherSpec();
    expect(
      () =>
        new SpecTeacher(spec, {
          name: "t",
          observationSpace: new Box(-1, 1, { shape: [3] }),
          actionSpace: new Discrete(2),
        }),
    ).toThrow(ConfigError);
    expect(
      () =>
        new SpecTeacher(spec, {
          name: "t",
          observationSpace: new Box(-1, 1, { shape: [2] }),
          actionSpace: new Discrete(3),
        }),
    ).toThrow(/2 outputs/);
  });

  it("checks the batch size", () => {
    expect(() => lineTeacher().predictSync(new Float32Array(3), 2)).toThrow(
      /expects 2 x 2 = 4 values, got 3/,
    );
  });
});
