import { describe, expect, it } from "vitest";
import { resolveDistillConfig } from "../distill/config.js";
import { checkTrialSpec, makeTrial, type TrialConfig } from "./trial.js";

const {
  teachers: _t,
  out: _o,
  ...config
} = resolveDistillConfig({ env: "CartPole-v1", teachers: ["t"], seed: 1 });
const parts = {
  role: "search" as const,
  candidate: { kind: "mlp", hidden: [4], activation: "tanh" as const, precision: "float32" as const },
  env: "CartPole-v1",
  envKwargs: {},
  teacher: { hash: "a".repeat(64), name: "t.rldistill" },
  config: config as TrialConfig,
};

describe("trial keys", () => {
  it("depend on what determines the result, not on key order", () => {
    const a = makeTrial(parts);
    const reordered = makeTrial({
      ...parts,
      config: Object.fromEntries(Object.entries(parts.config).reverse()) as TrialConfig,
    });
    expect(reordered.key).toBe(a.key);
    expect(a.key).toMatch(/^[0-9a-f]{24}$/);
    expect(makeTrial({ ...parts, config: { ...parts.config, seed: 2 } }).key).not.toBe(a.key);
    expect(makeTrial({ ...parts, config: { ...parts.config, steps: 999 } }).key).not.toBe(a.key);
    expect(makeTrial({ ...parts, envKwargs: { length: 0.7 } }).key).not.toBe(a.key);
    expect(makeTrial({ ...parts, teacher: { ...parts.teacher, hash: "b".repeat(64) } }).key).not.toBe(a.key);
    // The display name is not part of what the trial is.
    expect(makeTrial({ ...parts, teacher: { ...parts.teacher, name: "other" } }).key).toBe(a.key);
  });

  it("a payload from outside is checked field by field", () => {
    const spec = makeTrial(parts);
    expect(checkTrialSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    expect(() => checkTrialSpec("hello")).toThrow(/trial\.: expected an object/);
    expect(() => checkTrialSpec({ ...spec, key: "xyz" })).toThrow(/trial.key: expected 24 hex digits/);
    expect(() => checkTrialSpec({ ...spec, envKwargs: { length: "long" } })).toThrow(
      /trial.envKwargs.length/,
    );
    expect(() => checkTrialSpec({ ...spec, candidate: { ...spec.candidate, hidden: [0] } })).toThrow(
      /trial.candidate.hidden/,
    );
    // Content changed under the same key: refused (it would be a different trial).
    expect(() => checkTrialSpec({ ...spec, config: { ...spec.config, steps: 1 } })).toThrow(
      /trial.key: does not match the trial's content/,
    );
  });
});
