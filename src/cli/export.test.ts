import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../core/errors.js";
import { importOnnx } from "../deploy/onnx-import.js";
import { dequantizeSpec, quantizeSpec } from "../deploy/quantize.js";
import { runtimeModule } from "../deploy/runtime-export.js";
import { randomMlpSpec, randomObservations, referenceAction } from "../deploy/test-util.js";
import { savePolicy } from "../nn/checkpoint.js";
import { exportCommand } from "./export.js";

const tmp = mkdtempSync(join(tmpdir(), "rldistill-cli-export-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spec = randomMlpSpec({ obsSize: 4, hidden: [16], actionSize: 2, obsNorm: true, value: true, seed: 3 });
const model = join(tmp, "policy.rlp");
savePolicy(model, spec);

async function run(argv: string[]): Promise<number> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    return await exportCommand.run(argv);
  } finally {
    log.mockRestore();
  }
}

describe("rldistill export", () => {
  it("--format onnx --include-value writes a model that imports back to the saved spec", async () => {
    const out = join(tmp, "onnx", "policy.onnx");
    expect(await run(["--model", model, "--format", "onnx", "--out", out, "--include-value"])).toBe(0);
    expect(importOnnx(new Uint8Array(readFileSync(out)))).toEqual(spec);
  });

  it("--format onnx --quantize int8 without value: the dequantized spec, no value head", async () => {
    const out = join(tmp, "policy-int8.onnx");
    expect(await run(["--model", model, "--format", "onnx", "--out", out, "--quantize", "int8"])).toBe(0);
    const { valueLayers: _, ...noValue } = spec;
    expect(importOnnx(new Uint8Array(readFileSync(out)))).toEqual(dequantizeSpec(quantizeSpec(noValue)));
  });

  it("--format js --quantize int8 writes a bundle that acts like the int8 simulation", async () => {
    const out = join(tmp, "bundle");
    expect(await run(["--model", model, "--format", "js", "--out", out, "--quantize=int8"])).toBe(0);
    for (const f of ["rldistill-policy.mjs", "policy.json", "policy.bin"])
      expect(existsSync(join(out, f))).toBe(true);
    const policy = await (await runtimeModule()).load(out);
    const obs = randomObservations(1, 50, 4);
    const dq = dequantizeSpec(quantizeSpec(spec));
    for (let b = 0; b < 50; b++)
      expect(policy.act(obs.subarray(b * 4, b * 4 + 4))).toBe(
        referenceAction(dq, obs.subarray(b * 4, b * 4 + 4)),
      );
    expect(policy.forward(obs.subarray(0, 4))["value"]).toBeUndefined();
  });

  it("an .onnx model can be the input (e.g. a PyTorch teacher to the JS runtime)", async () => {
    const onnx = join(tmp, "onnx", "policy.onnx");
    expect(
      await run(["--model", onnx, "--format", "js", "--out", join(tmp, "from-onnx"), "--include-value"]),
    ).toBe(0);
    const policy = await (await runtimeModule()).load(join(tmp, "from-onnx"));
    expect(policy.forward(new Float32Array(4))["value"]).toHaveLength(1);
  });

  it("names missing and bad flags", async () => {
    await expect(run(["--format", "onnx", "--out", "x.onnx"])).rejects.toThrow(/--model: is required/);
    await expect(run(["--model", model, "--format", "tflite", "--out", "x"])).rejects.toThrow(
      /"tflite" is not allowed; allowed: onnx, js/,
    );
    await expect(
      run(["--model", model, "--format", "onnx", "--out", join(tmp, "y.onnx"), "--opset", "9"]),
    ).rejects.toThrow(ConfigError);
  });
});
