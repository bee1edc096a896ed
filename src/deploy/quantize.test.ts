import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { initBackend, tf } from "../nn/backend.js";
import type { PolicySpec } from "../nn/spec.js";
import { fakeQuantize } from "./fake-quantize.js";
import { exportOnnx } from "./onnx-export.js";
import { decodeModel } from "./onnx-proto.js";
import { OnnxPolicy } from "./onnx-runtime.js";
import {
  dequantizeSpec,
  dequantizeWeights,
  INT8_MAX,
  quantizeSpec,
  quantizeWeights,
  roundHalfToEven,
  specSizes,
  symmetricScale,
} from "./quantize.js";
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

/** Float32 bit patterns, so -0 vs +0 and one-ulp differences count. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const FLT_MAX = 3.4028234663852886e38;

/** Weights [rows, cols] with adversarial channels: ties, zeros, huge and tiny ranges, extremes. */
function adversarialWeights(): { w: Float32Array; rows: number; cols: number } {
  const rows = 9;
  const cols = 8;
  const w = new Float32Array(rows * cols);
  const set = (c: number, values: number[]) => {
    for (const [r, v] of values.entries()) w[r * cols + c] = v;
  };
  // Scale exactly 2^-7 (max 127/128): every other w / scale is exactly k + 0.5, a tie.
  set(0, [
    127 / 128,
    0.5 / 128,
    1.5 / 128,
    2.5 / 128,
    -0.5 / 128,
    -1.5 / 128,
    -2.5 / 128,
    125.5 / 128,
    -126.5 / 128,
  ]);
  set(1, []); // all zero
  set(2, [1e30, 1e-30, -1e-20, 3, -7e29, 0, 1, -1, 5e29]); // huge range in one channel
  set(3, [FLT_MAX, -FLT_MAX, 1, -1, 1e38, 0, 0, 0, 0]); // the float32 extremes
  set(4, [1e-44, -3e-45, 1.4e-45, 0, 0, 0, 0, 0, 0]); // denormals only
  set(5, [-1, 0, 0, 0, 0, 0, 0, 0, 0]); // a single negative entry
  set(6, [1.00788116, 0.5, -0.25, 0.125, 0, 0, 0, 0, 0]); // max whose scale is not a fixed point
  set(7, [1e-38, -5e-39, 2e-39, 0, 0, 0, 0, 0, 0]); // around the smallest normal
  return { w, rows, cols };
}

describe("quantization-aware training and export round identically", () => {
  it("rounds half to even, as ONNX QuantizeLinear", () => {
    const ties = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -127.5, 2 ** 51 - 0.5];
    expect(ties.map(roundHalfToEven)).toEqual([0, 2, 2, 0, -2, -2, 126, -128, 2 ** 51]);
    const near = [2.4999999, 2.5000001, -0.4999999, -0.5000001, 1e300, -(2 ** 60), 0.1];
    expect(near.map(roundHalfToEven)).toEqual([2, 3, 0, -1, 1e300, -(2 ** 60), 0]);
    // Away from ties it is Math.round.
    for (let i = -2000; i <= 2000; i++)
      expect(roundHalfToEven(i / 7 + 0.01) + 0).toBe(Math.round(i / 7 + 0.01) + 0);
    const { w, cols } = adversarialWeights();
    const q = quantizeWeights(w, cols);
    expect(q.scale[0]).toBe(2 ** -7);
    const col0 = Array.from({ length: 9 }, (_, r) => q.data[r * cols]!);
    expect(col0).toEqual([127, 0, 2, 2, 0, -2, -2, 126, -126]);
  });

  it("re-quantizing a dequantized channel finds its scale again (exhaustive over a binade of maxima)", () => {
    // Every float32 max m in [128, 256) (scales in [1.008, 2.016), two binades): the dequantized
    // channel's max is fround(127 s), and quantizing that again must give s back.
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    let off = 0;
    for (let mant = 0; mant < 1 << 23; mant++) {
      u[0] = (134 << 23) | mant;
      const s = symmetricScale(f[0]!, INT8_MAX);
      if (symmetricScale(Math.fround(INT8_MAX * s), INT8_MAX) !== s) off++;
    }
    expect(off).toBe(0);
    // The ends: all-zero channels, denormal maxima, and maxima whose 127 s would overflow.
    expect(symmetricScale(0, INT8_MAX)).toBe(1);
    expect(symmetricScale(1e-44, INT8_MAX)).toBe(2 ** -149);
    const top = symmetricScale(FLT_MAX, INT8_MAX);
    expect(Number.isFinite(Math.fround(INT8_MAX * top))).toBe(true);
    expect(symmetricScale(Math.fround(INT8_MAX * top), INT8_MAX)).toBe(top);
  });

  it("fake quantization is bit for bit the exported int8 network; re-export gives the same int8", async () => {
    await initBackend("cpu");
    const cases: Array<{ w: Float32Array; rows: number; cols: number }> = [adversarialWeights()];
    for (const [seed, rows, cols, spread] of [
      [1, 64, 32, 1],
      [2, 4, 64, 1e-3],
      [3, 300, 32, 1e4],
      [4, 16, 16, 1],
    ] as const) {
      const w = new Rng(seed).fillNormal(new Float32Array(rows * cols), 0, spread);
      // Channels of very different magnitudes in one weight.
      for (let r = 0; r < rows; r++) w[r * cols]! *= 1e6;
      cases.push({ w, rows, cols });
    }
    let weights = 0;
    for (const { w, rows, cols } of cases) {
      const exported = quantizeWeights(w, cols);
      const dq = dequantizeWeights(exported);
      expect(dq.every(Number.isFinite)).toBe(true);
      const trained = tf.tidy(() =>
        fakeQuantize(tf.tensor2d(w, [rows, cols]), 8, 1).dataSync(),
      ) as Float32Array;
      // What QAT multiplies with = what the int8 runtime multiplies with, bit for bit.
      expect(bits(trained)).toEqual(bits(dq));
      // The QAT student is saved with these int8-grid weights; exporting it quantizes them again.
      const again = quantizeWeights(trained, cols);
      expect(Array.from(again.data)).toEqual(Array.from(exported.data));
      expect(bits(again.scale)).toEqual(bits(exported.scale));
      weights += w.length;
    }
    expect(weights).toBeGreaterThan(10_000);
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
