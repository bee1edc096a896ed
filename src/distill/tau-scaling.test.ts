import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveDistillConfig } from "./config.js";
import { distill, scalesByTauSquared } from "./distill.js";
import { policyObjective } from "./objectives.js";
import type { Student } from "./student.js";
import { LineWorld, lineTeacher } from "./testing/fakes.js";

const base = { env: "CartPole-v1", teachers: ["t"] };
const cfg = (fields: Record<string, unknown>) => resolveDistillConfig({ ...base, ...fields });

describe("scaleByTauSquared (Hinton et al. 2015): reachable from config, on by default when the KL is mixed", () => {
  it("auto: on when a method mixes the tempered loss with another term, off when it stands alone", () => {
    expect(scalesByTauSquared(cfg({}))).toBe(false); // policy, KL alone
    expect(scalesByTauSquared(cfg({ valueCoef: 0.5 }))).toBe(true); // policy + value term
    expect(scalesByTauSquared(cfg({ method: "ppo" }))).toBe(false); // alpha 1: pure distillation
    expect(scalesByTauSquared(cfg({ method: "ppo", alpha: "0.7" }))).toBe(true); // README's DistilledPPO example
    expect(scalesByTauSquared(cfg({ method: "ppo", alpha: "1:0:linear" }))).toBe(true);
    expect(scalesByTauSquared(cfg({ method: "ppo", alpha: "qdagger" }))).toBe(true);
    expect(scalesByTauSquared(cfg({ method: "dqn" }))).toBe(true); // advantage term on by default
    expect(scalesByTauSquared(cfg({ method: "dqn", advantageCoef: 0 }))).toBe(false);
    expect(scalesByTauSquared(cfg({ method: "dqn", advantageCoef: 0, alpha: "0.9" }))).toBe(true);
    expect(scalesByTauSquared(cfg({ method: "feature" }))).toBe(false);
    expect(scalesByTauSquared(cfg({ method: "ppo", alpha: "0.7", scaleByTauSquared: "false" }))).toBe(false);
    expect(scalesByTauSquared(cfg({ scaleByTauSquared: "true" }))).toBe(true);
  });

  it("the objective multiplies the tempered loss (and its gradient) by tau^2 when asked", () => {
    const s = Float32Array.of(0.3, -1.2, 2.0);
    const t = Float32Array.of(1.0, 0.5, -0.4);
    const at = (scale: boolean, tau: number) =>
      policyObjective("kl", "logits", { scaleByTauSquared: scale })(
        {} as Student,
        s,
        { batch: 1, teacherOut: t },
        tau,
      );
    const plain = at(false, 3);
    const scaled = at(true, 3);
    expect(plain.loss).toBeGreaterThan(0);
    expect(scaled.loss).toBeCloseTo(9 * plain.loss, 5);
    for (let j = 0; j < 3; j++) expect(scaled.dOut[j]!).toBeCloseTo(9 * plain.dOut[j]!, 5);
    expect(at(true, 1).loss).toBeCloseTo(at(false, 1).loss, 7);
  });

  it("a DistilledPPO run at tau 2 mixing KL and PPO says it scales; a pure KL run does not", async () => {
    const lines: string[] = [];
    const run = (alpha: string) =>
      distill(
        {
          env: "LineWorld-v0",
          method: "ppo",
          tau: "2",
          alpha,
          steps: 200,
          numEnvs: 2,
          ppoSteps: 25,
          student: [4],
          evalEvery: 1,
          evalEpisodes: 1,
          finalEpisodes: 1,
          similarityStates: 20,
          out: mkdtempSync(join(tmpdir(), "rldistill-tau2-")),
        },
        {
          teacher: lineTeacher({ value: true }),
          makeEnv: () => new LineWorld(),
          print: (l) => lines.push(l),
        },
      );
    await run("0.7");
    expect(lines.find((l) => l.startsWith("built:"))).toMatch(/loss kl x tau\^2/);
    lines.length = 0;
    await run("1");
    expect(lines.find((l) => l.startsWith("built:"))).toMatch(/loss kl, /);
  });
});
