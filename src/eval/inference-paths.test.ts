import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { loadOnnxRuntime } from "../deploy/onnx-runtime.js";
import { initBackend, tf } from "../nn/backend.js";
import type { DenseLayerSpec, PolicySpec } from "../nn/spec.js";
import { INFERENCE_PATHS, measureInferencePaths } from "./inference-paths.js";

function dense(rng: Rng, inSize: number, outSize: number, activation: DenseLayerSpec["activation"]) {
  return {
    kind: "dense" as const,
    inSize,
    outSize,
    weight: Float32Array.from({ length: inSize * outSize }, () => rng.normal(0, 0.5)),
    bias: Float32Array.from({ length: outSize }, () => rng.normal(0, 0.1)),
    activation,
  };
}

/** A small 4-8-8-2 policy with observation normalisation, so every path has to normalise too. */
function smallSpec(): PolicySpec {
  const rng = new Rng(3);
  return {
    obsShape: [4],
    obsNorm: {
      mean: Float32Array.of(0.1, -0.2, 0.01, 0),
      var: Float32Array.of(1, 2, 0.05, 0.5),
      epsilon: 1e-8,
      clip: 10,
    },
    output: "logits",
    actionSize: 2,
    layers: [dense(rng, 4, 8, "tanh"), dense(rng, 8, 8, "relu"), dense(rng, 8, 2, "linear")],
  };
}

const fast = { warmup: 3, iterations: 10, budgetMs: 200 };
let ortAvailable = true;

beforeAll(async () => {
  await initBackend("wasm");
  ortAvailable = await loadOnnxRuntime().then(
    () => true,
    () => false,
  );
});

describe("measureInferencePaths", () => {
  it("times every path at batch 1 and 64, and the outputs agree on the same inputs", async () => {
    const before = tf.memory().numTensors;
    const r = await measureInferencePaths(smallSpec(), { ...fast, env: "CartPole-v1", steps: 100 });
    expect(tf.memory().numTensors).toBe(before); // variables and constants released
    expect(r).toMatchObject({ batches: [1, 64], warmup: 3, iterations: 10, states: 100, checkBatch: 64 });
    expect(r.paths.map((p) => p.path)).toEqual([...INFERENCE_PATHS]);
    for (const p of r.paths) {
      if (p.skipped !== undefined) {
        // Only onnxruntime is optional; its skip names the install line.
        expect(p.path).toBe("onnxruntime");
        expect(ortAvailable).toBe(false);
        expect(p.skipped).toMatch(/onnxruntime-node/);
        expect(p.latency).toEqual([]);
        continue;
      }
      expect(p.latency.map((l) => l.batch)).toEqual([1, 64]);
      for (const l of p.latency) {
        expect(l.iterations).toBe(10);
        expect(l.p50Us).toBeGreaterThan(0);
        expect(l.p50Us).toBeLessThanOrEqual(l.p99Us);
        expect(l.perSampleUs).toBeCloseTo(l.meanUs / l.batch, 9);
      }
      expect(p.maxAbsDiff).toBeLessThan(1e-5);
    }
    expect(r.paths.find((p) => p.path === "tfjs")?.backend).toBe("wasm");
    expect(r.paths.find((p) => p.path === "float32-forward")?.maxAbsDiff).toBe(0);
    if (ortAvailable) expect(r.paths.find((p) => p.path === "onnxruntime")?.skipped).toBeUndefined();
    expect(r.maxAbsDiff).toBeLessThan(1e-5);
    // The results are plain data for eval.json.
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("takes given states and a subset of paths, and leaks nothing on the cpu backend either", async () => {
    await initBackend("cpu");
    try {
      const before = tf.memory().numTensors;
      const states = Float32Array.of(0.01, 0.2, -0.03, 0.1, -0.02, -0.1, 0.04, 0.3);
      const r = await measureInferencePaths(smallSpec(), {
        ...fast,
        states,
        batches: [3],
        paths: ["tfjs"],
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.states).toBe(2);
      expect(r.paths).toHaveLength(1);
      expect(r.paths[0]).toMatchObject({ path: "tfjs", backend: "cpu" });
      expect(r.paths[0]!.latency[0]!.batch).toBe(3);
      expect(r.maxAbsDiff).toBeLessThan(1e-5);
    } finally {
      await initBackend("wasm");
    }
  });

  it("names bad options", async () => {
    const spec = smallSpec();
    await expect(measureInferencePaths(spec, { ...fast })).rejects.toThrow(/states/);
    await expect(measureInferencePaths(spec, { states: new Float32Array(5) })).rejects.toThrow(
      /multiple of 4/,
    );
    await expect(measureInferencePaths(spec, { env: "CartPole-v1", batches: [0] })).rejects.toThrow(
      /batches/,
    );
    await expect(
      measureInferencePaths(spec, { env: "CartPole-v1", paths: ["torch" as never] }),
    ).rejects.toThrow(/allowed: float32-forward, tfjs, onnxruntime/);
  });
});
