import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dequantizeSpec, quantizeSpec } from "../deploy/quantize.js";
import { packRuntime, runtimeModule } from "../deploy/runtime-export.js";
import { collectStates } from "../eval/similarity.js";
import { loadPolicy } from "../nn/checkpoint.js";
import { compileSpec } from "../nn/fast.js";
import type { DenseLayerSpec } from "../nn/spec.js";
import type { DistillConfig } from "./config.js";
import { obsStatistics } from "./crossmodal/stats.js";
import { distill } from "./distill.js";
import { quantizeAwareAt } from "./loop.js";
import { teacherPolicy } from "./teacher.js";
import { LineWorld, lineGaussianTeacher, lineTeacher } from "./testing/fakes.js";

const tmp = () => mkdtempSync(join(tmpdir(), "rldistill-distill-"));

const small: Partial<DistillConfig> = {
  env: "LineWorld-v0",
  steps: 4000,
  numEnvs: 4,
  rolloutSteps: 25,
  student: [8],
  evalEpisodes: 4,
  finalEpisodes: 8,
  similarityStates: 400,
  trainRatio: 0.25,
  batchSize: 64,
  learningRate: 3e-3,
};

describe("distill (policy method)", () => {
  it("a tiny student learns the line-world teacher and the run folder is complete", async () => {
    const out = tmp();
    const lines: string[] = [];
    const { summary } = await distill(
      { ...small, out, seed: 1, valueCoef: 0.5 },
      { teacher: lineTeacher({ value: true }), makeEnv: () => new LineWorld(), print: (l) => lines.push(l) },
    );
    expect(summary.checkpoints.map((c) => c.progress)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(summary.agreement).toBeGreaterThan(0.9);
    expect(summary.retention).toBeGreaterThan(0.9);
    const [lo, hi] = summary.retention_ci95!;
    expect(lo).toBeLessThanOrEqual(summary.retention!);
    expect(hi).toBeGreaterThanOrEqual(summary.retention!);
    expect(lines.some((l) => l.includes(`(95% CI ${lo.toFixed(3)} to ${hi.toFixed(3)})`))).toBe(true);
    expect(summary.student.params).toBeLessThan(summary.teacher.params * 3);
    for (const f of ["config.json", "progress.jsonl", "summary.json", "student.rldistill"])
      expect(existsSync(join(out, f))).toBe(true);
    const onDisk = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(onDisk.checkpoints.length).toBe(5);
    expect(onDisk.teacher.eval.mean_return).toBeGreaterThan(40);
    const { spec, meta } = loadPolicy(join(out, "student.rldistill"));
    expect(spec.layers.length).toBe(2);
    expect(meta.env).toBe("LineWorld-v0");
    const rows = readFileSync(join(out, "progress.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.some((r) => "train/kl" in r)).toBe(true);
    // Value distillation: the student's value head regresses the teacher's V(s) and gets close.
    const vmse = rows.filter((r) => "train/value_mse" in r).map((r) => r["train/value_mse"] as number);
    expect(vmse.at(-1)!).toBeLessThan(0.1 * vmse[0]!);
    expect(spec.valueLayers?.length).toBe(2);
    expect(rows.filter((r) => "eval/mean_return" in r).length).toBe(5);
    expect(lines.some((l) => l.includes("retention"))).toBe(true);
  });

  it("studentObsNorm gives the student the statistics of greedy teacher states (saved in its spec)", async () => {
    const teacher = lineTeacher();
    const run = (studentObsNorm: number) =>
      distill(
        { ...small, steps: 400, evalEvery: 1, out: tmp(), seed: 2, studentObsNorm },
        { teacher, makeEnv: () => new LineWorld() },
      );
    const { studentFile } = await run(300);
    const states = collectStates(teacherPolicy(teacher), new LineWorld(), {
      steps: 300,
      seed: 2,
      deterministic: true,
    });
    const expected = obsStatistics(states.obs, states.count, states.obsSize);
    const saved = loadPolicy(studentFile).spec.obsNorm!;
    expect(Array.from(saved.mean)).toEqual(Array.from(expected.mean));
    expect(Array.from(saved.var)).toEqual(Array.from(expected.var));
    expect(saved.var.some((v) => v > 0)).toBe(true);
    expect(loadPolicy((await run(0)).studentFile).spec.obsNorm).toBeUndefined();
  });

  it("is deterministic for a seed", async () => {
    const run = async (seed: number) =>
      (
        await distill(
          { ...small, steps: 1200, out: tmp(), seed },
          { teacher: lineTeacher(), makeEnv: () => new LineWorld() },
        )
      ).summary;
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(a.checkpoints).toEqual(b.checkpoints);
    expect(a.js_divergence).toBe(b.js_divergence);
    expect(c.js_divergence).not.toBe(a.js_divergence);
  });

  it("stops early when asked and still writes a loadable student and summary", async () => {
    const out = tmp();
    let rounds = 0;
    const { summary } = await distill(
      { ...small, out, seed: 0 },
      { teacher: lineTeacher(), makeEnv: () => new LineWorld(), shouldStop: () => rounds++ >= 3 },
    );
    expect(summary.interrupted).toBe(true);
    expect(summary.steps).toBe(300);
    expect(existsSync(join(out, "student.rldistill"))).toBe(true);
  });
});

describe("distill (DART collection noise)", () => {
  it("refuses collectNoise on a discrete env before the teacher is loaded", async () => {
    const out = tmp();
    // The teacher file does not exist: the refusal must come first, naming the field.
    await expect(
      distill(
        { ...small, teachers: [join(out, "missing.rldistill")], collectNoise: "0.2", out, seed: 1 },
        { makeEnv: () => new LineWorld() },
      ),
    ).rejects.toThrow(/^collectNoise: applies to continuous \(Box\) action spaces only.*allowed: 0/);
  });

  it("a continuous run with noise logs its schedule and differs from one without", async () => {
    const run = async (collectNoise: string) => {
      const out = tmp();
      await distill(
        { ...small, steps: 1200, out, seed: 2, collectNoise },
        { teacher: lineGaussianTeacher(), makeEnv: () => new LineWorld({ continuous: true }) },
      );
      return {
        spec: loadPolicy(join(out, "student.rldistill")).spec,
        log: readFileSync(join(out, "progress.jsonl"), "utf8"),
      };
    };
    const noisy = await run("0.3:0.1:linear");
    const again = await run("0.3:0.1:linear");
    const quiet = await run("0");
    expect(again.spec.layers).toEqual(noisy.spec.layers);
    expect(quiet.spec.layers).not.toEqual(noisy.spec.layers);
    expect(noisy.log).toMatch(/schedule\/collect_noise/);
    expect(quiet.log).not.toMatch(/schedule\/collect_noise/);
  });
});

describe("distill (quantization-aware)", () => {
  const run = async (quantizeAware: boolean, seed = 3) => {
    const out = tmp();
    const { summary } = await distill(
      { ...small, steps: 1200, student: [8, 8], out, seed, quantizeAware },
      { teacher: lineTeacher(), makeEnv: () => new LineWorld() },
    );
    return { summary, spec: loadPolicy(join(out, "student.rldistill")).spec };
  };

  it("is deterministic, changes training, and saves a student that is its own int8 export", async () => {
    const a = await run(true);
    const b = await run(true);
    const float = await run(false);
    expect(b.spec.layers).toEqual(a.spec.layers);
    expect(b.summary.checkpoints).toEqual(a.summary.checkpoints);
    expect(float.spec.layers).not.toEqual(a.spec.layers);
    // The saved (and evaluated) weights are on the int8 grid: quantizing them changes nothing
    // beyond a float32 rounding of the per-channel scales.
    const again = dequantizeSpec(quantizeSpec(a.spec));
    for (const [i, l] of a.spec.layers.entries()) {
      const w = (l as DenseLayerSpec).weight;
      const q = (again.layers[i] as DenseLayerSpec).weight;
      for (let j = 0; j < w.length; j++)
        expect(Math.abs(q[j]! - w[j]!)).toBeLessThanOrEqual(Math.abs(w[j]!) * 2 ** -22);
    }
    const floatWeights = (float.spec.layers[0] as DenseLayerSpec).weight;
    const refloat = (dequantizeSpec(quantizeSpec(float.spec)).layers[0] as DenseLayerSpec).weight;
    expect(refloat).not.toEqual(floatWeights); // a float-trained student is not on the grid
    // The int8 bundle acts exactly as the student the run evaluated.
    const bundle = packRuntime(a.spec, { weights: "int8" });
    const deployed = (await runtimeModule()).fromBytes(bundle.json, bundle.bin);
    const evaluated = compileSpec(a.spec);
    for (let k = 0; k <= 1000; k++) {
      const o = Float32Array.of(-2 + k * 0.004, 1);
      expect(deployed.act(o)).toBe(evaluated.act(o, { deterministic: true }));
    }
  });

  it("fake quantization starts at quantizeAwareStart", () => {
    expect(quantizeAwareAt({ quantizeAware: false, quantizeAwareStart: 0 }, 0.5)).toBe(false);
    expect(quantizeAwareAt({ quantizeAware: true, quantizeAwareStart: 0.5 }, 0.4)).toBe(false);
    expect(quantizeAwareAt({ quantizeAware: true, quantizeAwareStart: 0.5 }, 0.5)).toBe(true);
  });
});
