import { describe, expect, it } from "vitest";
import { DISTILL_SCHEMA, parseDistillAssignment, resolveDistillConfig } from "./config.js";

describe("distill config", () => {
  it("layers defaults < env preset < given values", () => {
    const plain = resolveDistillConfig({ env: "SomeEnv-v0", teachers: ["t"] });
    expect(plain.steps).toBe(DISTILL_SCHEMA.steps.default);
    expect(plain.out).toBe("runs/distill-SomeEnv-v0-policy-s0");
    const preset = resolveDistillConfig({ env: "MountainCar-v0", teachers: ["t"] });
    expect(preset.beta).toBe("1:0:cosine");
    const mine = resolveDistillConfig({ env: "MountainCar-v0", teachers: ["t"] }, { beta: "0.5", seed: 3 });
    expect(mine.beta).toBe("0.5");
    expect(mine.out).toBe("runs/distill-MountainCar-v0-policy-s3");
  });

  it("names the bad field and what is allowed", () => {
    const ok = { env: "CartPole-v1", teachers: ["t"] };
    expect(() => resolveDistillConfig({ ...ok, loss: "kld" })).toThrow(
      /loss: unknown loss "kld"; allowed: kl, reverse-kl/,
    );
    expect(() => resolveDistillConfig({ ...ok, method: "bc" })).toThrow(
      /distill.method: expected one of policy, ppo, dqn/,
    );
    expect(() => resolveDistillConfig({ ...ok, tau: "5:1:lin" })).toThrow(/tau: cannot parse "5:1:lin"/);
    expect(() => resolveDistillConfig({ ...ok, alpha: "often" })).toThrow(/alpha/);
    expect(resolveDistillConfig({ ...ok, alpha: "qdagger" }).alpha).toBe("qdagger");
    expect(() => resolveDistillConfig({ ...ok, student: [0, 32] })).toThrow(
      /distill.student: expected a list of integers >= 1/,
    );
    expect(() => resolveDistillConfig({ ...ok, featureWeights: "1,x" })).toThrow(/featureWeights/);
    expect(() => resolveDistillConfig({ ...ok, numEnv: 4 } as never)).toThrow(
      /distill.numEnv: unknown option/,
    );
    expect(() => resolveDistillConfig({ env: "CartPole-v1" })).toThrow(/teacher: at least one teacher/);
    expect(() => resolveDistillConfig({ teachers: ["t"] })).toThrow(/env: required/);
  });

  it("--set assignments are typed by the schema", () => {
    expect(parseDistillAssignment("student=64,64")).toEqual(["student", [64, 64]]);
    expect(parseDistillAssignment("learningRate=3e-4")).toEqual(["learningRate", 3e-4]);
    expect(parseDistillAssignment("teacherDeterministic=true")).toEqual(["teacherDeterministic", true]);
    expect(() => parseDistillAssignment("batchSize=big")).toThrow(
      /distill.batchSize: expected an integer >= 1/,
    );
  });
});
