import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PolicySpec } from "../nn/spec.js";
import { writeReport } from "../report/write.js";
import { runEval, runEvalAsync, writeEvalFile } from "./run.js";
import { constantPolicy } from "./testing-policies.js";

// The CartPole lean (see testing-policies.ts) as network weights.
const LEAN = [0, 0.1, 1, 0.5];

/** 4-2-2 relu net: h = relu([lean, -lean]); logits = k * [h2, h1] (right when lean > 0). */
function teacherSpec(k: number): PolicySpec {
  return {
    obsShape: [4],
    output: "logits",
    actionSize: 2,
    layers: [
      {
        kind: "dense",
        inSize: 4,
        outSize: 2,
        weight: Float32Array.from(LEAN.flatMap((w) => [w, -w])),
        bias: new Float32Array(2),
        activation: "relu",
      },
      {
        kind: "dense",
        inSize: 2,
        outSize: 2,
        weight: Float32Array.of(0, k, k, 0),
        bias: new Float32Array(2),
        activation: "linear",
      },
    ],
  };
}

/** 4-2 linear net with logits k/2 * [-lean, lean]: the same greedy actions, softer probabilities. */
function studentSpec(k: number): PolicySpec {
  return {
    obsShape: [4],
    output: "logits",
    actionSize: 2,
    layers: [
      {
        kind: "dense",
        inSize: 4,
        outSize: 2,
        weight: Float32Array.from(LEAN.flatMap((w) => [(-k * w) / 2, (k * w) / 2])),
        bias: new Float32Array(2),
        activation: "linear",
      },
    ],
  };
}

const tmp = mkdtempSync(join(tmpdir(), "rldistill-runeval-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("runEval", () => {
  it("measures returns, size, latency, similarity, retention and robustness, and feeds the report", () => {
    const file = runEval({
      env: "CartPole-v1",
      policies: { teacher: teacherSpec(50), student: studentSpec(2) },
      episodes: 2,
      seed: 0,
      similarity: { steps: 300 },
      latency: { warmup: 5, iterations: 20 },
      robustness: { episodes: 1, perturbations: ["obs-noise"] },
    });
    const t = file.policies["teacher"]!;
    const s = file.policies["student"]!;
    expect(t.eval.returns).toEqual([500, 500]);
    expect(s.eval.returns).toEqual([500, 500]);
    expect(t.efficiency).toMatchObject({ params: 16, flopsPerAction: 2 * (8 + 4) });
    expect(s.efficiency).toMatchObject({ params: 10, flopsPerAction: 16, bytesFloat32: 40 });
    expect(t.latency?.iterations).toBe(20);
    expect(file.random!.meanReturn).toBeLessThan(60);
    expect(file.retention).toBe(1);
    expect(file.retentionCI95).toEqual([1, 1]);
    expect(file.similarity).toMatchObject({
      teacher: "teacher",
      student: "student",
      driver: "student",
      states: 300,
      agreement: 1,
    });
    expect(file.similarity!.jsDivergence).toBeGreaterThan(0);
    const noise = file.robustness!.perturbations[0]!;
    expect(Object.keys(noise.results)).toEqual(["teacher", "student"]);

    // eval.json round trip into the HTML report's teacher-vs-student table.
    writeFileSync(join(tmp, "summary.json"), JSON.stringify({ env: "CartPole-v1" }));
    const path = writeEvalFile(tmp, file);
    expect(JSON.parse(readFileSync(path, "utf8")).policies.student.efficiency.params).toBe(10);
    const { markdown } = writeReport([tmp], join(tmp, "report.html"));
    const md = readFileSync(markdown, "utf8");
    expect(md).toMatch(/\| teacher \| 16 \| 24 \| 64 B \|/);
    expect(md).toContain("## Robustness");
  });

  it("runEvalAsync adds the inference paths of each spec, on the same states, into the report", async () => {
    const file = await runEvalAsync({
      env: "CartPole-v1",
      policies: { teacher: teacherSpec(50), student: studentSpec(2), left: { policy: constantPolicy(0) } },
      episodes: 1,
      similarity: false,
      random: false,
      latency: false,
      latencyPaths: { batches: [1, 8], warmup: 2, iterations: 5 },
    });
    for (const name of ["teacher", "student"]) {
      const inf = file.policies[name]!.inference!;
      expect(inf).toMatchObject({ batches: [1, 8], checkBatch: 8, states: 256 });
      expect(inf.paths.map((p) => p.path)).toEqual(["float32-forward", "tfjs", "onnxruntime"]);
      expect(inf.paths.every((p) => p.skipped !== undefined || p.latency.length === 2)).toBe(true);
      expect(inf.maxAbsDiff).toBeLessThan(1e-5);
    }
    expect(file.policies["left"]!.inference).toBeNull(); // no spec, nothing to time
    const dir = join(tmp, "async");
    mkdirSync(dir);
    writeEvalFile(dir, file);
    const md = readFileSync(writeReport([dir], join(dir, "report.html")).markdown, "utf8");
    expect(md).toMatch(/\| tfjs \(wasm\) \| 8 \|/);
    expect(() =>
      runEval({ env: "CartPole-v1", policies: { teacher: teacherSpec(1) }, latencyPaths: true }),
    ).toThrow(/latencyPaths.*runEvalAsync/);
  });

  it("evaluates plain policies without a spec and skips what does not apply", () => {
    const file = runEval({
      env: "CartPole-v1",
      policies: { left: { policy: constantPolicy(0) } },
      episodes: 2,
      latency: false,
      random: false,
    });
    expect(file.policies["left"]).toMatchObject({ efficiency: null, latency: null, inference: null });
    expect(file).toMatchObject({
      random: null,
      retention: null,
      retentionCI95: null,
      similarity: null,
      robustness: null,
    });
  });

  it("names bad options", () => {
    const policies = { teacher: teacherSpec(1) };
    expect(() => runEval({ env: "CartPole-v1", policies: {} })).toThrow(/policies/);
    expect(() => runEval({ env: "CartPole-v1", policies, student: "pupil", latency: false })).toThrow(
      /student: "pupil"/,
    );
    expect(() => runEval({ env: "CartPole-v1", policies: { x: {} as never } })).toThrow(/policies\.x/);
    expect(() =>
      runEval({
        env: "CartPole-v1",
        policies: { teacher: teacherSpec(1), student: studentSpec(1) },
        episodes: 1,
        latency: false,
        similarity: { driver: "both" as never },
      }),
    ).toThrow(/similarity\.driver/);
  });
});
