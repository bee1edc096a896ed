import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../core/errors.js";
import { evalCommand } from "./eval.js";
import { reportCommand } from "./report.js";

const teacher = new URL("../../models/cartpole-ppo.rldistill", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rldistill-eval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rldistill eval and report", () => {
  it("writes eval.json with every metric, then an HTML report of it", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const code = await evalCommand.run([
        "--model",
        teacher,
        "--teacher",
        teacher,
        "--episodes",
        "2",
        "--robustness",
        "--robustness-episodes",
        "1",
        "--latency-warmup",
        "5",
        "--latency-iterations",
        "20",
        "--out",
        dir,
      ]);
      expect(code).toBe(0);
      const file = JSON.parse(readFileSync(join(dir, "eval.json"), "utf8"));
      expect(file.env).toBe("CartPole-v1"); // read from the model, no --env given
      const t = file.policies.teacher;
      expect(t.eval.meanReturn).toBeGreaterThan(475);
      expect(t.eval.ci95).toHaveLength(2);
      expect(t.efficiency.params).toBeGreaterThan(60_000);
      expect(t.latency.p50Us).toBeGreaterThan(0);
      // Each inference path at batch 1 and 64 (onnxruntime may be skipped, with its reason).
      expect(t.inference.batches).toEqual([1, 64]);
      expect(t.inference.paths[0].latency[1]).toMatchObject({ batch: 64, iterations: 20 });
      expect(t.inference.paths.map((p: { path: string }) => p.path)).toEqual([
        "float32-forward",
        "tfjs",
        "onnxruntime",
      ]);
      // The same policy on both sides agrees with itself everywhere.
      expect(file.similarity.agreement).toBe(1);
      expect(file.similarity.jsDivergence).toBeLessThan(1e-9);
      expect(file.retention).toBeCloseTo(1, 6);
      expect(file.robustness.perturbations.length).toBeGreaterThanOrEqual(4);
      const printed = log.mock.calls.map((c) => String(c[0])).join("\n");
      expect(printed).toMatch(/teacher\s+500\.00/);
      expect(printed).toMatch(/teacher\s+tfjs \(wasm\)\s+64\s/);
      expect(printed).toMatch(/retention \(random = 0, teacher = 1\): [\d.]+ \(95% CI [\d.]+ to [\d.]+\)/);

      const out = join(dir, "report.html");
      expect(await reportCommand.run([dir, "--out", out])).toBe(0);
      const html = readFileSync(out, "utf8");
      expect(html).toContain("Robustness");
      expect(html).not.toMatch(/<script[^>]+src=/); // self-contained
    } finally {
      log.mockRestore();
    }
  });

  it("skips the inference paths with --no-latency-paths", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const out = join(dir, "no-paths");
      const args = ["--model", teacher, "--episodes", "1", "--no-latency-paths", "--out", out];
      expect(await evalCommand.run(args)).toBe(0);
      const file = JSON.parse(readFileSync(join(out, "eval.json"), "utf8"));
      expect(file.policies.model.inference).toBeNull();
      expect(file.policies.model.latency.p50Us).toBeGreaterThan(0);
    } finally {
      log.mockRestore();
    }
  });

  it("evaluates a MuJoCo model (the engine is loaded before the env is made)", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const sac = new URL("../../models/invertedpendulum-sac.rldistill", import.meta.url).pathname;
      const out = join(dir, "mujoco");
      const args = ["--model", sac, "--episodes", "1", "--no-latency-paths", "--out", out];
      expect(await evalCommand.run(args)).toBe(0);
      const file = JSON.parse(readFileSync(join(out, "eval.json"), "utf8"));
      expect(file.env).toBe("InvertedPendulum-v5");
      expect(file.policies.model.eval.meanReturn).toBeGreaterThan(900);
    } finally {
      log.mockRestore();
    }
  });

  it("names the missing or bad flag", async () => {
    await expect(evalCommand.run([])).rejects.toThrow(/--model/);
    await expect(evalCommand.run(["--model", teacher, "--episodes", "two"])).rejects.toThrow(ConfigError);
    await expect(evalCommand.run(["--model", join(dir, "missing.rldistill")])).rejects.toThrow(
      /missing\.rldistill/,
    );
    await expect(reportCommand.run([])).rejects.toThrow(/RUN_DIR/);
  });
});
