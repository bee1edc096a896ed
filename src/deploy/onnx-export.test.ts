import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { make } from "../envs/registry.js";
import { compileSpec } from "../nn/fast.js";
import { cnnLayers } from "../nn/sequential.js";
import type { PolicySpec } from "../nn/spec.js";
import { exportOnnx } from "./onnx-export.js";
import { importOnnx } from "./onnx-import.js";
import { DataType, decodeModel } from "./onnx-proto.js";
import { OnnxPolicy } from "./onnx-runtime.js";
import {
  denseLayer,
  onnxChecker,
  randomCnnSpec,
  randomMlpSpec,
  randomObservations,
  referenceForward,
  requireOrWarn,
} from "./test-util.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-onnx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `count` random observations through onnxruntime and the reference; returns the max error. */
async function maxError(spec: PolicySpec, bytes: Uint8Array, count = 64, withValue = false): Promise<number> {
  const size = spec.obsShape.reduce((a, b) => a * b, 1);
  const obs = randomObservations(7, count, size);
  const policy = await OnnxPolicy.create(bytes);
  const out = await policy.run(obs, count);
  const main = out[policy.outputNames[0]!]!;
  expect(main.dims).toEqual([count, spec.actionSize]);
  let worst = 0;
  for (let b = 0; b < count; b++) {
    const ref = referenceForward(spec, obs.subarray(b * size, (b + 1) * size));
    for (let i = 0; i < spec.actionSize; i++)
      worst = Math.max(worst, Math.abs(main.data[b * spec.actionSize + i]! - ref.out[i]!));
    if (withValue) worst = Math.max(worst, Math.abs(out["value"]!.data[b]! - ref.value!));
  }
  await policy.release();
  return worst;
}

function check(bytes: Uint8Array, name: string): void {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const r = onnxChecker(path);
  if (!requireOrWarn("python3-onnx (onnx.checker)", r.ok !== "unavailable")) return;
  expect(r).toEqual({ ok: true });
}

describe("exportOnnx", () => {
  it("MLP with normalisation and value head matches the reference within 1e-5", async () => {
    const spec = randomMlpSpec({
      obsSize: 6,
      hidden: [32, 32],
      actionSize: 3,
      obsNorm: true,
      value: true,
      seed: 1,
    });
    const bytes = exportOnnx(spec, { includeValue: true });
    const model = decodeModel(bytes);
    expect(model.graph.inputs[0]!.shape).toEqual(["batch", 6]);
    expect(model.graph.outputs.map((o) => o.name)).toEqual(["logits", "value"]);
    expect(await maxError(spec, bytes, 64, true)).toBeLessThan(1e-5);
    check(bytes, "mlp.onnx");
  });

  it("opset 17 (the newest onnx 1.12's checker knows) also checks and runs", async () => {
    const spec = randomCnnSpec(9);
    const bytes = exportOnnx(spec, { opset: 17, includeValue: true });
    expect(decodeModel(bytes).opsetImports).toEqual([{ domain: "", version: 17 }]);
    expect(await maxError(spec, bytes, 8, true)).toBeLessThan(1e-5);
    check(bytes, "cnn-17.onnx");
  });

  it("clips normalised observations exactly (far-out observations saturate)", async () => {
    const spec = randomMlpSpec({
      obsSize: 4,
      hidden: [8],
      actionSize: 2,
      obsNorm: true,
      seed: 2,
      activation: "relu",
    });
    const bytes = exportOnnx(spec);
    const policy = await OnnxPolicy.create(bytes, { intermediates: ["obs_norm"] });
    const out = await policy.run(Float32Array.of(1e6, -1e6, 0.1, -0.2));
    expect(Array.from(out["obs_norm"]!.data.subarray(0, 2))).toEqual([2.5, -2.5]);
    await policy.release();
  });

  it("continuous and Q outputs are named action_mean and q_values", async () => {
    const mean = randomMlpSpec({ obsSize: 3, hidden: [16], actionSize: 2, output: "mean", seed: 3 });
    const q = randomMlpSpec({
      obsSize: 3,
      hidden: [16],
      actionSize: 2,
      output: "q",
      activation: "relu",
      seed: 4,
    });
    expect(decodeModel(exportOnnx(mean)).graph.outputs[0]!.name).toBe("action_mean");
    expect(decodeModel(exportOnnx(q)).graph.outputs[0]!.name).toBe("q_values");
    expect(await maxError(mean, exportOnnx(mean))).toBeLessThan(1e-5);
    expect(await maxError(q, exportOnnx(q))).toBeLessThan(1e-5);
  });

  it("CNN (NHWC in, same and valid padding, stride 2, flatten order) matches the reference", async () => {
    const spec = randomCnnSpec(5);
    const bytes = exportOnnx(spec, { includeValue: true });
    expect(decodeModel(bytes).graph.inputs[0]!.shape).toEqual(["batch", 8, 6, 3]);
    expect(await maxError(spec, bytes, 32, true)).toBeLessThan(1e-5);
    check(bytes, "cnn.onnx");
  });

  it("uint8 input (MinAtar frames): a conv student takes the env's Uint8Array as it is, matches compileSpec, round-trips", async () => {
    const rng = new Rng(4);
    const spec: PolicySpec = {
      obsShape: [10, 10, 4],
      output: "logits",
      actionSize: 3,
      layers: cnnLayers(
        {
          inShape: [10, 10, 4],
          convs: [{ channels: 8, kernelSize: 3 }],
          hidden: [16],
          outSize: 3,
          outGain: 1,
        },
        rng,
      ),
    };
    const bytes = exportOnnx(spec, { inputType: "uint8" });
    const model = decodeModel(bytes);
    expect(model.graph.inputs[0]).toMatchObject({
      name: "obs",
      elemType: DataType.UINT8,
      shape: ["batch", 10, 10, 4],
    });
    check(bytes, "cnn-uint8.onnx");
    const env = make("MinAtar/Breakout-v1");
    const frames = new Uint8Array(32 * 400);
    let { obs } = env.reset({ seed: 1 });
    for (let t = 0; t < 32; t++) {
      frames.set(obs as Uint8Array, t * 400);
      const r = env.step(rng.integer(3));
      obs = r.terminated ? env.reset().obs : r.obs;
    }
    const policy = await OnnxPolicy.create(bytes);
    expect(policy.inputType).toBe("uint8");
    const out = (await policy.run(frames, 32)).logits!.data;
    const ref = compileSpec(spec).forward(frames, 32);
    for (let i = 0; i < out.length; i++) expect(Math.abs(out[i]! - ref[i]!)).toBeLessThan(1e-5);
    // Float observations holding the same integers are accepted; others are refused by name.
    const again = (await policy.run(Float32Array.from(frames), 32)).logits!.data;
    expect(Array.from(again)).toEqual(Array.from(out));
    await expect(policy.run(new Float32Array(400).fill(0.5), 1)).rejects.toThrow(
      /takes uint8 input; entry 0 is 0.5/,
    );
    await policy.release();
    expect(importOnnx(bytes)).toEqual(spec);
    expect(() => exportOnnx(spec, { inputType: "int16" as never })).toThrow(
      /inputType: "int16" is not allowed/,
    );
  });

  it("an MLP over a flattened image observation (flatten straight from NHWC) matches and round-trips", async () => {
    const rng = new Rng(8);
    const spec: PolicySpec = {
      obsShape: [3, 4, 2],
      output: "logits",
      actionSize: 3,
      layers: [{ kind: "flatten" }, denseLayer(rng, 24, 10, "relu"), denseLayer(rng, 10, 3, "linear")],
    };
    const bytes = exportOnnx(spec);
    expect(await maxError(spec, bytes)).toBeLessThan(1e-5);
    expect(importOnnx(bytes)).toEqual(spec);
  });

  it("rejects bad options and malformed specs, naming the field", () => {
    const spec = randomMlpSpec({ obsSize: 3, hidden: [4], actionSize: 2 });
    expect(() => exportOnnx(spec, { opset: 9 })).toThrow(/opset: 9 is not allowed; allowed: 13/);
    expect(() => exportOnnx(spec, { includeValue: true })).toThrow(ConfigError);
    expect(() => exportOnnx(spec, { bogus: 1 } as never)).toThrow(/bogus: unknown option/);
    const bad = { ...spec, layers: [{ ...spec.layers[0]!, inSize: 5 }, spec.layers[1]!] } as PolicySpec;
    expect(() => exportOnnx(bad)).toThrow(/layers\[0\]\.inSize/);
  });
});
