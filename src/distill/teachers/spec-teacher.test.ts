import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { Box, Discrete } from "../../core/spaces.js";
import type { PolicySpec } from "../../nn/spec.js";
import { lineGaussianTeacher, lineTeacher, lineTeacherSpec } from "../testing/fakes.js";
import { forwardLayers, hiddenInfo } from "./spec-forward.js";
import { SpecTeacher } from "./spec-teacher.js";

describe("spec forward", () => {
  it("computes a dense tanh layer and keeps the hidden activation (known answer)", () => {
    const spec = lineTeacherSpec({ k: 2 });
    const { output, hidden } = forwardLayers(spec.layers, Float32Array.of(0.5, 1), 1);
    const h = [Math.tanh(0.5), Math.tanh(-0.5), Math.tanh(0.25), Math.tanh(0.1)];
    expect(Array.from(hidden[0]!)).toEqual(h.map(Math.fround));
    expect(output[0]).toBeCloseTo(2 * (h[0]! - h[1]!), 6);
    expect(output[1]).toBeCloseTo(-2 * (h[0]! - h[1]!), 6);
  });

  it("computes a conv2d with valid and same padding (known answer)", () => {
    // 3x3 single-channel input 1..9, 2x2 kernel of ones: valid -> 2x2 sums of each window.
    const x = Float32Array.from({ length: 9 }, (_, i) => i + 1);
    const conv = (padding: "valid" | "same", k: number) =>
      forwardLayers(
        [
          {
            kind: "conv2d",
            inShape: [3, 3, 1],
            outChannels: 1,
            kernelSize: k,
            stride: 1,
            padding,
            weight: new Float32Array(k * k).fill(1),
            bias: Float32Array.of(0),
            activation: "linear",
          },
          { kind: "flatten" },
        ],
        x,
        1,
      ).output;
    expect(Array.from(conv("valid", 2))).toEqual([12, 16, 24, 28]);
    // same, 3x3 kernel: each output is the sum of the in-bounds 3x3 neighbourhood.
    expect(Array.from(conv("same", 3))).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);
    expect(
      hiddenInfo([
        {
          kind: "dense",
          inSize: 2,
          outSize: 7,
          weight: new Float32Array(14),
          bias: new Float32Array(7),
          activation: "relu",
        },
        {
          kind: "dense",
          inSize: 7,
          outSize: 1,
          weight: new Float32Array(7),
          bias: new Float32Array(1),
          activation: "linear",
        },
      ]),
    ).toEqual([{ name: "fc0", size: 7 }]);
  });
});

describe("SpecTeacher", () => {
  it("returns logits, features by name, values, and counts parameters", () => {
    const t = lineTeacher({ value: true });
    expect(t.params).toBe(2 * 4 + 4 + 4 * 2 + 2);
    expect(t.features).toEqual([{ name: "fc0", size: 4 }]);
    const out = t.predictSync(Float32Array.of(0.5, 1, -0.5, 1), 2, { features: ["fc0"] });
    expect(out.kind).toBe("logits");
    expect(out.outputs[0]).toBeGreaterThan(out.outputs[1]!); // x > 0: push left (action 0)
    expect(out.outputs[2]).toBeLessThan(out.outputs[3]!);
    expect(out.features.fc0!.length).toBe(8);
    expect(Array.from(out.values!)).toEqual([0, 2]);
  });

  it("the compiled (outputs-only) path and the feature path agree", () => {
    const t = lineTeacher({ value: true });
    const obs = Float32Array.of(0.3, 1, -1.2, 1, 0, 1);
    const fast = t.predictSync(obs, 3);
    const slow = t.predictSync(obs, 3, { features: "all" });
    for (let i = 0; i < 6; i++) expect(fast.outputs[i]).toBeCloseTo(slow.outputs[i]!, 6);
    for (let i = 0; i < 3; i++) expect(fast.values![i]).toBeCloseTo(slow.values![i]!, 6);
    expect(fast.features).toEqual({});
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
