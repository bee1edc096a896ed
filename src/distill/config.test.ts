import { describe, expect, it } from "vitest";
import {
  DISTILL_SCHEMA,
  describeDistillFields,
  parseDistillAssignment,
  resolveDistillConfig,
} from "./config.js";

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
    const ppo = { ...ok, method: "ppo" };
    expect(() => resolveDistillConfig({ ...ppo, alpha: "often" })).toThrow(/alpha/);
    expect(resolveDistillConfig({ ...ppo, alpha: "qdagger" }).alpha).toBe("qdagger");
    expect(() => resolveDistillConfig({ ...ok, student: [0, 32] })).toThrow(
      /distill.student: expected a list of integers >= 1/,
    );
    expect(() => resolveDistillConfig({ ...ok, method: "feature", featureWeights: "1,x" })).toThrow(
      /featureWeights: expected non-negative numbers/,
    );
    expect(() => resolveDistillConfig({ ...ok, numEnv: 4 } as never)).toThrow(
      /distill.numEnv: unknown option/,
    );
    expect(() => resolveDistillConfig({ env: "CartPole-v1" })).toThrow(/teacher: at least one teacher/);
    expect(() => resolveDistillConfig({ teachers: ["t"] })).toThrow(/env: required/);
  });

  it("checks schedules over the whole run: tau > 0, alpha and beta in [0, 1]", () => {
    const ok = { env: "CartPole-v1", teachers: ["t"] };
    const ppo = { ...ok, method: "ppo" };
    expect(() => resolveDistillConfig({ ...ppo, alpha: "2" })).toThrow(
      /^alpha: "2" takes values from 2 to 2 over the run \(2\); allowed: a weight in \[0, 1\] throughout, or qdagger \/ dynamic$/,
    );
    expect(() => resolveDistillConfig({ ...ppo, alpha: "-1" })).toThrow(/alpha: "-1" takes values from -1/);
    expect(() => resolveDistillConfig({ ...ppo, alpha: "1:-0.5:linear" })).toThrow(/from -0.5 to 1/);
    expect(() => resolveDistillConfig({ ...ppo, alpha: "piecewise:0=1,0.5=1.2,1=0" })).toThrow(
      /from 0 to 1.2/,
    );
    expect(resolveDistillConfig({ ...ppo, alpha: "1:0:cosine" }).alpha).toBe("1:0:cosine");
    expect(() => resolveDistillConfig({ ...ok, tau: "-1" })).toThrow(
      /^tau: "-1" .*allowed: a temperature > 0/,
    );
    expect(() => resolveDistillConfig({ ...ok, tau: "5:0:linear" })).toThrow(
      /tau: "5:0:linear" takes values from 0 to 5/,
    );
    expect(() => resolveDistillConfig({ ...ok, beta: "1.5:0:linear" })).toThrow(
      /beta: .*a probability in \[0, 1\]/,
    );
    expect(() => resolveDistillConfig({ ...ok, collectNoise: "-0.1" })).toThrow(
      /^collectNoise: "-0.1" takes values from -0.1 to -0.1 .*allowed: a std in \[0, 2\] half-ranges/,
    );
    expect(resolveDistillConfig({ ...ok, collectNoise: "0.3:0:linear" }).collectNoise).toBe("0.3:0:linear");
    expect(resolveDistillConfig(ok).collectNoise).toBe("0");
    expect(() => resolveDistillConfig({ ...ok, collectResetProb: 0.7 })).toThrow(/collectResetProb/);
    expect(resolveDistillConfig({ ...ok, collectResetProb: 0.01 }).collectResetProb).toBe(0.01);
    expect(() => resolveDistillConfig({ ...ppo, collectNoise: "0.1" })).toThrow(/is a field of method/);
  });

  it("each method takes its own fields; another method's field is refused, naming its method", () => {
    const ok = { env: "CartPole-v1", teachers: ["t"] };
    expect(() => resolveDistillConfig({ ...ok, ppoEpochs: 8 })).toThrow(
      /^distill\.ppoEpochs: is a field of method ppo, not of policy/,
    );
    expect(() => resolveDistillConfig({ ...ok, method: "ppo", batchSize: 512 })).toThrow(
      /distill\.batchSize: is a field of method policy \/ dqn \/ feature \/ residual \/ attention, not of ppo/,
    );
    expect(() => resolveDistillConfig({ ...ok, method: "dqn", valueCoef: 1 })).toThrow(
      /distill\.valueCoef: is a field of method policy, not of dqn/,
    );
    // The resolved config holds the common fields and the method's own, nothing else.
    const dqn = resolveDistillConfig({ ...ok, method: "dqn", stateValueCoef: 0.5 });
    expect(dqn.stateValueCoef).toBe(0.5);
    expect("ppoEpochs" in dqn || "valueCoef" in dqn || "featureStage" in dqn).toBe(false);
    expect("batchSize" in dqn && "alpha" in dqn).toBe(true);
    expect("alpha" in resolveDistillConfig(ok)).toBe(false);
    expect(() => resolveDistillConfig({ ...ok, loss: "mse", scaleByTauSquared: "true" })).toThrow(
      /scaleByTauSquared: loss mse takes no temperature/,
    );
    expect(() => resolveDistillConfig({ ...ok, quantizeAwareStart: 0.5 })).toThrow(
      /quantizeAwareStart: applies only/,
    );
    const help = describeDistillFields({ tau: "2" }, "X preset");
    expect(help).toMatch(/Method dqn:\n {2}alpha .*\n {2}gamma .*\n {2}advantageCoef .*\n {2}stateValueCoef/);
    expect(help).toMatch(/tau \(string, default "1"; X preset: "2"\)/);
  });

  it("--set assignments are typed by the schema", () => {
    expect(parseDistillAssignment("student=64,64")).toEqual(["student", [64, 64]]);
    expect(parseDistillAssignment("learningRate=3e-4")).toEqual(["learningRate", 3e-4]);
    expect(parseDistillAssignment("teacherDeterministic=true")).toEqual(["teacherDeterministic", true]);
    expect(parseDistillAssignment("studentDeterministic=true")).toEqual(["studentDeterministic", "true"]);
    const ok = { env: "CartPole-v1", teachers: ["t"] };
    expect(resolveDistillConfig(ok).studentDeterministic).toBe("auto");
    // A boolean, as the field took before "auto", is read as its string.
    expect(resolveDistillConfig({ ...ok, studentDeterministic: false } as never).studentDeterministic).toBe(
      "false",
    );
    expect(() => parseDistillAssignment("batchSize=big")).toThrow(
      /distill.batchSize: expected an integer >= 1/,
    );
  });
});
