import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../core/errors.js";
import { importOnnx } from "../deploy/onnx-import.js";
import { OnnxPolicy } from "../deploy/onnx-runtime.js";
import { dequantizeSpec, quantizeSpec } from "../deploy/quantize.js";
import { runtimeModule } from "../deploy/runtime-export.js";
import { randomMlpSpec, randomObservations, referenceAction } from "../deploy/test-util.js";
import { STUDENT_FILE } from "../distill/distill.js";
import { cartPoleTeacherSpec } from "../distill/testing/fakes.js";
import { collectStates } from "../eval/similarity.js";
import { loadPolicy, savePolicy } from "../nn/checkpoint.js";
import { argmax } from "../nn/distributions.js";
import { compileSpec } from "../nn/fast.js";
import { distillCommand } from "./distill.js";
import { exportCommand } from "./export.js";

const tmp = mkdtempSync(join(tmpdir(), "rldistill-cli-export-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spec = randomMlpSpec({ obsSize: 4, hidden: [16], actionSize: 2, obsNorm: true, value: true, seed: 3 });
const model = join(tmp, "policy.rlp");
savePolicy(model, spec);

async function run(argv: string[], command = exportCommand): Promise<number> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    return await command.run(argv);
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
    // --out of the wrong kind is named before anything is written.
    await expect(run(["--model", model, "--format", "onnx", "--out", tmp])).rejects.toThrow(
      /--out: .* is a folder; give the path of the \.onnx file to write/,
    );
    writeFileSync(join(tmp, "plain-file"), "x");
    await expect(run(["--model", model, "--format", "js", "--out", join(tmp, "plain-file")])).rejects.toThrow(
      /--out: .*plain-file is a file; --format js writes a folder/,
    );
  });
});

describe("rldistill distill, then rldistill export --quantize int8", () => {
  it("ships a (quantization-aware) distilled student as int8 ONNX and as an int8 bundle that act as evaluated", async () => {
    const teacher = join(tmp, "cartpole-teacher.rldistill");
    savePolicy(teacher, cartPoleTeacherSpec(), { env: "CartPole-v1" });
    const runDir = join(tmp, "distill-run");
    const distillArgs = [
      "--teacher",
      teacher,
      "--env",
      "CartPole-v1",
      "--student",
      "16,16",
      "--steps",
      "2000",
    ];
    const quick = ["--set", "evalEpisodes=2", "--set", "finalEpisodes=2", "--set", "similarityStates=200"];
    const printed: string[] = [];
    const log = vi
      .spyOn(console, "log")
      .mockImplementation((...a: unknown[]) => void printed.push(a.join(" ")));
    try {
      expect(
        await distillCommand.run([...distillArgs, "--quantize-aware", "--out", runDir, "--quiet", ...quick]),
      ).toBe(0);
    } finally {
      log.mockRestore();
    }
    // Even --quiet says what was built: the student is int8.
    expect(printed.find((l) => l.startsWith("built:"))).toMatch(
      /^built: method policy, student 4-16-16-2 tanh, logits, int8 weights \(quantization-aware\), 386 parameters/,
    );
    const student = join(runDir, STUDENT_FILE);
    const onnxFile = join(tmp, "student-int8.onnx");
    const bundle = join(tmp, "student-int8");
    expect(await run(["--model", student, "--format", "onnx", "--quantize", "int8", "--out", onnxFile])).toBe(
      0,
    );
    expect(await run(["--model", student, "--format", "js", "--quantize", "int8", "--out", bundle])).toBe(0);

    const saved = loadPolicy(student).spec;
    const int8 = dequantizeSpec(quantizeSpec(saved));
    const onnxBytes = new Uint8Array(readFileSync(onnxFile));
    expect(importOnnx(onnxBytes).layers).toEqual(int8.layers);
    const states = collectStates(compileSpec(saved), "CartPole-v1", { steps: 400, seed: 3 });
    const onnx = await OnnxPolicy.create(onnxBytes);
    const logits = (await onnx.run(states.obs, states.count)).logits!.data;
    await onnx.release();
    const js = await (await runtimeModule()).load(bundle);
    const evaluated = compileSpec(saved);
    const simulated = compileSpec(int8);
    const actions = new Set<number>();
    for (let b = 0; b < states.count; b++) {
      const o = states.obs.subarray(b * 4, b * 4 + 4);
      const a = evaluated.act(o, { deterministic: true }) as number;
      actions.add(a);
      expect(simulated.act(o, { deterministic: true })).toBe(a);
      expect(js.act(o)).toBe(a);
      expect(argmax(logits, b * 2, 2)).toBe(a);
    }
    expect(actions.size).toBe(2);
  });
});
