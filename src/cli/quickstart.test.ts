import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cartPoleTeacherSpec } from "../distill/testing/fakes.js";
import { savePolicy } from "../nn/checkpoint.js";
import { quickstartCommand, shippedCartPoleTeacher } from "./quickstart.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-quickstart-"));

describe("rldistill quickstart", () => {
  it("finds the shipped CartPole PPO teacher, or says where it looked", () => {
    expect(() => shippedCartPoleTeacher(join(dir, "none"))).toThrow(
      /no shipped CartPole-v1 teacher \(\*cartpole\*ppo\*\.rldistill\).*--teacher/,
    );
    const models = join(dir, "models");
    savePolicy(join(models, "CartPole-v1-ppo.rldistill"), cartPoleTeacherSpec(), { env: "CartPole-v1" });
    writeFileSync(join(models, "acrobot-ppo.rldistill"), "");
    expect(shippedCartPoleTeacher(models)).toBe(join(models, "CartPole-v1-ppo.rldistill"));
  });

  it("prints teacher vs student and writes the run folder and report", async () => {
    const teacher = join(dir, "teacher.rldistill");
    savePolicy(teacher, cartPoleTeacherSpec(), { env: "CartPole-v1" });
    const out = join(dir, "run");
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(" "));
    let code: number;
    try {
      code = await quickstartCommand.run(["--teacher", teacher, "--out", out, "--steps", "2000", "--quiet"]);
    } finally {
      console.log = orig;
    }
    expect(code).toBe(0);
    const text = lines.join("\n");
    expect(text).toMatch(/parameters\s+30\s+114/);
    expect(text).toMatch(/latency p50 \(us\), act/);
    expect(text).toMatch(/latency p50 \(us\), simd/);
    // Teacher and student timed through the same path: the compiled forward of the acting network.
    expect(text).toContain("each row the same path for both networks (no critic)");
    expect(text).toContain(`run folder: ${out}`);
    expect(existsSync(join(out, "summary.json"))).toBe(true);
    expect(existsSync(join(out, "report.html"))).toBe(true);
  });
});
