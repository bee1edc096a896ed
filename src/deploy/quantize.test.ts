import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import type { PolicySpec } from "../nn/spec.js";
import { exportOnnx } from "./onnx-export.js";
import { decodeModel } from "./onnx-proto.js";
import { OnnxPolicy } from "./onnx-runtime.js";
import { dequantizeSpec, dequantizeWeights, quantizeSpec, quantizeWeights, specSizes } from "./quantize.js";
import {
  onnxChecker,
  randomCnnSpec,
  randomMlpSpec,
  randomObservations,
  referenceAction,
  referenceForward,
  requireOrWarn,
} from "./test-util.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-q-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("quantizeWeights", () => {
  it("per output channel: |w - dq(q(w))| <= scale/2, max maps to +-127, zero channels stay zero", () => {
    const rng = new Rng(1);
    const [rows, cols] = [37, 5];
    const w = rng.fillNormal(new Float32Array(rows * cols), 0, 1);
    for (let r = 0; r < rows; r++) {
      w[r * cols + 1]! *= 100; // channels of very different ranges must get their own scales
      w[r * cols + 4] = 0;
    }
    const q = quantizeWeights(w, cols);
    const dq = dequantizeWeights(q);
    expect(q.scale[1]! / q.scale[0]!).toBeGreaterThan(20);
    for (let i = 0; i < w.length; i++) {
      const scale = q.scale[i % cols]!;
      expect(Math.abs(w[i]! - dq[i]!)).toBeLessThanOrEqual((scale / 2) * (1 + 1e-6));
    }
    for (let c = 0; c < 4; c++) {
      let maxQ = 0;
      for (let r = 0; r < rows; r++) maxQ = Math.max(maxQ, Math.abs(q.data[r * cols + c]!));
      expect(maxQ).toBe(127);
    }
    for (let r = 0; r < rows; r++) expect(dq[r * cols + 4]).toBe(0);
  });

  it("rejects non-finite weights, naming the entry", () => {
    expect(() => quantizeWeights(Float32Array.of(1, Number.NaN), 2)).toThrow(/weight: entry 1 is NaN/);
  });
});

describe("quantizeSpec", () => {
  const spec = randomMlpSpec({
    obsSize: 6,
    hidden: [64, 64],
    actionSize: 3,
    obsNorm: true,
    value: true,
    seed: 2,
  });

  it("weights take 4x fewer bytes; biases and normalisation stay float32", () => {
    const f = specSizes(spec);
    const q = specSizes(quantizeSpec(spec));
    expect(f.weightBytes).toBe(4 * q.weightBytes);
    expect(q.biasBytes).toBe(f.biasBytes);
    expect(q.otherBytes).toBe(f.otherBytes);
    expect(q.scaleBytes).toBe(f.biasBytes); // one float32 scale per output channel
    expect(q.totalBytes).toBeLessThan(f.totalBytes / 3);
  });

  it("int8 and float policies agree on >= 95% of greedy actions for random observations", () => {
    const dq = dequantizeSpec(quantizeSpec(spec));
    const n = 500;
    const obs = randomObservations(3, n, 6);
    let same = 0;
    for (let b = 0; b < n; b++) {
      const o = obs.subarray(b * 6, (b + 1) * 6);
      if (referenceAction(spec, o) === referenceAction(dq, o)) same++;
    }
    expect(same / n).toBeGreaterThanOrEqual(0.95);
  });

  it("dequantizeSpec(quantizeSpec(s)) keeps everything but the weights", () => {
    const dq = dequantizeSpec(quantizeSpec(spec));
    expect(dq.obsNorm).toEqual(spec.obsNorm);
    expect(dq.layers.map((l) => l.kind)).toEqual(spec.layers.map((l) => l.kind));
    expect("quantization" in dq).toBe(false);
  });
});

/** Max |onnxruntime(int8 model) - reference(dequantized spec)|. */
async function int8OnnxError(spec: PolicySpec, name: string): Promise<{ err: number; bytes: Uint8Array }> {
  const q = quantizeSpec(spec);
  const bytes = exportOnnx(q, { includeValue: true });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const r = onnxChecker(path);
  if (requireOrWarn("python3-onnx (onnx.checker)", r.ok !== "unavailable")) expect(r).toEqual({ ok: true });
  const dq = dequantizeSpec(q);
  const size = spec.obsShape.reduce((a, b) => a * b, 1);
  const n = 32;
  const obs = randomObservations(4, n, size);
  const policy = await OnnxPolicy.create(bytes);
  const out = await policy.run(obs, n);
  await policy.release();
  let err = 0;
  for (let b = 0; b < n; b++) {
    const ref = referenceForward(dq, obs.subarray(b * size, (b + 1) * size));
    for (let i = 0; i < spec.actionSize; i++) {
      err = Math.max(
        err,
        Math.abs(out[policy.outputNames[0]!]!.data[b * spec.actionSize + i]! - ref.out[i]!),
      );
    }
    err = Math.max(err, Math.abs(out["value"]!.data[b]! - ref.value!));
  }
  return { err, bytes };
}

describe("int8 ONNX export (DequantizeLinear per axis)", () => {
  it("MLP: onnxruntime matches the dequantized float forward within 1e-5; file ~4x smaller", async () => {
    const spec = randomMlpSpec({
      obsSize: 6,
      hidden: [128, 128],
      actionSize: 3,
      obsNorm: true,
      value: true,
      seed: 5,
    });
    const { err, bytes } = await int8OnnxError(spec, "mlp-int8.onnx");
    expect(err).toBeLessThan(1e-5);
    const model = decodeModel(bytes);
    expect(model.graph.nodes.filter((n) => n.opType === "DequantizeLinear")).toHaveLength(6);
    expect(bytes.length).toBeLessThan(exportOnnx(spec, { includeValue: true }).length / 3);
  });

  it("CNN: onnxruntime matches the dequantized float forward within 1e-5", async () => {
    const { err } = await int8OnnxError(randomCnnSpec(6), "cnn-int8.onnx");
    expect(err).toBeLessThan(1e-5);
  });
});

describe("OnnxPolicy int8Activations", () => {
  it("lets onnxruntime quantize activations too: close to, but not exactly, the int8-weight model", async () => {
    const spec = randomMlpSpec({ obsSize: 6, hidden: [128, 128], actionSize: 3, seed: 5 });
    const q = quantizeSpec(spec);
    const bytes = exportOnnx(q);
    const obs = randomObservations(4, 16, 6);
    const exact = await OnnxPolicy.create(bytes);
    const fast = await OnnxPolicy.create(bytes, { int8Activations: true });
    const a = (await exact.run(obs)).logits!.data;
    const b = (await fast.run(obs)).logits!.data;
    const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.1);
    await exact.release();
    await fast.release();
  });
});
