import { describe, expect, it } from "vitest";
import { exportOnnx } from "../deploy/onnx-export.js";
import { decodeModel, type OnnxTensor } from "../deploy/onnx-proto.js";
import { quantizeSpec, specSizes } from "../deploy/quantize.js";
import { randomCnnSpec, randomMlpSpec } from "../deploy/test-util.js";
import type { DenseLayerSpec, LayerSpec, PolicySpec } from "../nn/spec.js";
import { efficiencyOf, measureActLatencies, measureLatency, measureLatencyAsync } from "./latency.js";

function dense(
  inSize: number,
  outSize: number,
  activation: DenseLayerSpec["activation"] = "tanh",
): DenseLayerSpec {
  return {
    kind: "dense",
    inSize,
    outSize,
    weight: new Float32Array(inSize * outSize),
    bias: new Float32Array(outSize),
    activation,
  };
}

const mlp: PolicySpec = {
  obsShape: [4],
  output: "logits",
  actionSize: 2,
  layers: [dense(4, 64), dense(64, 64), dense(64, 2, "linear")],
  valueLayers: [dense(4, 64), dense(64, 1, "linear")],
};

describe("efficiencyOf", () => {
  it("counts a 4-64-64-2 MLP by hand", () => {
    // params: (4*64 + 64) + (64*64 + 64) + (64*2 + 2) = 320 + 4160 + 130
    // FLOPs:  2 * (4*64 + 64*64 + 64*2) = 2 * 4480
    // int8:   4480 weight bytes + 130 per-channel float32 scales * 4 + 130 float32 biases * 4
    const e = efficiencyOf(mlp, { int8: true });
    expect(e).toEqual({
      params: 4610,
      valueParams: 4 * 64 + 64 + 64 + 1,
      flopsPerAction: 8960,
      bytesFloat32: 4 * 4610,
      bytesInt8: 4480 + 520 + 520,
    });
    expect(efficiencyOf(mlp).bytesInt8).toBeNull();
    expect(efficiencyOf(mlp, { int8: 1234 }).bytesInt8).toBe(1234);
  });

  it("counts a conv policy and the Gaussian log std", () => {
    const layers: LayerSpec[] = [
      {
        kind: "conv2d",
        inShape: [10, 10, 4],
        outChannels: 16,
        kernelSize: 3,
        stride: 1,
        padding: "valid",
        weight: new Float32Array(3 * 3 * 4 * 16),
        bias: new Float32Array(16),
        activation: "relu",
      },
      { kind: "flatten" },
      dense(8 * 8 * 16, 6, "linear"),
    ];
    const spec: PolicySpec = {
      obsShape: [10, 10, 4],
      output: "mean",
      actionSize: 6,
      layers,
      logStd: new Float32Array(6),
    };
    // conv: 576 weights + 16 biases, 8*8 outputs * 576 MACs; dense 1024 -> 6
    const e = efficiencyOf(spec);
    expect(e.params).toBe(576 + 16 + 6144 + 6 + 6);
    expect(e.flopsPerAction).toBe(2 * (64 * 576 + 6144));
    expect(e.valueParams).toBe(0);
  });

  it("int8 size = the bytes deploy writes: quantizeSpec's payload and the int8 ONNX initializers", () => {
    const tensorBytes = (t: OnnxTensor) =>
      t.rawData?.byteLength ?? (t.floatData ? 4 * t.floatData.length : (t.int32Data?.length ?? 0));
    const specs: PolicySpec[] = [
      randomMlpSpec({ obsSize: 6, hidden: [64, 16], actionSize: 3, obsNorm: true, value: true, seed: 1 }),
      randomMlpSpec({ obsSize: 3, hidden: [32], actionSize: 2, output: "mean", seed: 2 }),
      randomCnnSpec(3),
    ];
    for (const spec of specs) {
      const estimate = efficiencyOf(spec, { int8: true }).bytesInt8;
      // The acting network only (the value head is not needed to act).
      const actor = quantizeSpec({ ...spec, valueLayers: undefined });
      const logStdBytes = 4 * (spec.logStd?.length ?? 0);
      const sizes = specSizes(actor);
      expect(estimate).toBe(sizes.weightBytes + sizes.scaleBytes + sizes.biasBytes + logStdBytes);
      // The same bytes as initializers of the int8 ONNX file (log std travels as metadata), which
      // adds one int8 zero point per channel and the observation normalisation.
      const inits = decodeModel(exportOnnx(actor)).graph.initializers.filter((t) => t.name.startsWith("pi."));
      const params = inits.filter((t) => !t.name.endsWith("_zero_point"));
      expect(params.reduce((a, t) => a + tensorBytes(t), 0) + logStdBytes).toBe(estimate);
      const zeroPoints = inits.filter((t) => t.name.endsWith("_zero_point"));
      expect(zeroPoints.reduce((a, t) => a + tensorBytes(t), 0)).toBe(sizes.scaleBytes / 4);
    }
  });

  it("names the layer whose input size does not fit", () => {
    const bad: PolicySpec = { ...mlp, layers: [dense(4, 8), dense(9, 2)] };
    expect(() => efficiencyOf(bad)).toThrow(/layers\[1\]\.inSize/);
  });
});

describe("measureLatency", () => {
  it("calls warmup + iterations times and reports ordered percentiles", () => {
    let calls = 0;
    const lat = measureLatency(
      () => {
        calls++;
      },
      { warmup: 5, iterations: 50, batch: 4 },
    );
    expect(calls).toBe(55);
    expect(lat.iterations).toBe(50);
    expect(lat.batch).toBe(4);
    expect(lat.p50Us).toBeGreaterThanOrEqual(0);
    expect(lat.p99Us).toBeGreaterThanOrEqual(lat.p50Us);
    expect(lat.perSampleUs).toBeCloseTo(lat.meanUs / 4, 12);
  });

  it("awaits the async variant and validates options", async () => {
    let done = 0;
    const lat = await measureLatencyAsync(
      async () => {
        await Promise.resolve();
        done++;
      },
      { warmup: 2, iterations: 10 },
    );
    expect(done).toBe(12);
    expect(lat.iterations).toBe(10);
    expect(() => measureLatency(() => 0, { iterations: 0 })).toThrow(/iterations/);
  });
});

describe("measureActLatencies", () => {
  it("times every policy through act() on the same states, taking turns in rounds", () => {
    const log: string[] = [];
    const seen: Record<string, number[]> = { a: [], b: [] };
    const policy = (name: "a" | "b") => ({
      act(obs: Float32Array) {
        log.push(name);
        seen[name]!.push(obs[0]!);
        return 0;
      },
    });
    // Three observations of two numbers each; the first number names the row.
    const states = Float32Array.from([0, 9, 1, 9, 2, 9]);
    const lat = measureActLatencies({ a: policy("a"), b: policy("b") }, states, 2, {
      warmup: 2,
      iterations: 6,
      rounds: 3,
    });
    expect(lat.a!.iterations).toBe(6);
    expect(lat.b!.iterations).toBe(6);
    expect(lat.a!.p99Us).toBeGreaterThanOrEqual(lat.a!.p50Us);
    // Warm-up of each, then rounds of two timed calls each, alternating a, b.
    expect(log.join("")).toBe("aabb" + "aabbaabbaabb");
    // Both saw the same observations in the same order (warm-up, then timed calls cycle the rows).
    expect(seen.a).toEqual([0, 1, 0, 1, 2, 0, 1, 2]);
    expect(seen.b).toEqual(seen.a);
  });

  it("names a bad option", () => {
    const p = { act: () => 0 };
    expect(() => measureActLatencies({ p }, new Float32Array(3), 2)).toThrow(/states.*multiple of 2/);
    expect(() => measureActLatencies({ p }, new Float32Array(2), 2, { iterations: 4, rounds: 5 })).toThrow(
      /rounds/,
    );
    expect(() => measureActLatencies({ p }, new Float32Array(2), 2, { iterations: 0 })).toThrow(/iterations/);
  });
});
