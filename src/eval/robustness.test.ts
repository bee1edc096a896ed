import { describe, expect, it } from "vitest";
import { defaultPerturbations, evaluateRobustness, type Perturbation } from "./robustness.js";
import { cartPoleHeuristic, constantPolicy } from "./testing-policies.js";

describe("defaultPerturbations", () => {
  it("has 4-5 strengths per perturbation, the nominal among them, for every built-in env", () => {
    for (const id of [
      "CartPole-v1",
      "Acrobot-v1",
      "MountainCar-v0",
      "MountainCarContinuous-v0",
      "Pendulum-v1",
    ]) {
      const table = defaultPerturbations(id);
      expect(table.map((p) => p.kind).slice(0, 3)).toEqual(["obs-noise", "action-noise", "sticky-action"]);
      expect(table.length).toBeGreaterThanOrEqual(4);
      for (const p of table) {
        expect(p.strengths.length, `${id} ${p.name}`).toBeGreaterThanOrEqual(4);
        expect(p.strengths.length).toBeLessThanOrEqual(5);
        expect(p.strengths).toContain(p.nominal);
        expect([...p.strengths].sort((a, b) => a - b)).toEqual(p.strengths);
      }
    }
    expect(defaultPerturbations("CartPole-v1").map((p) => p.name)).toEqual([
      "obs-noise",
      "action-noise",
      "sticky-action",
      "length",
      "masscart",
    ]);
    expect(defaultPerturbations("Pendulum-v1").find((p) => p.name === "action-noise")?.label).toMatch(/std/);
    expect(
      defaultPerturbations("Acrobot-v1")
        .slice(3)
        .map((p) => p.param),
    ).toEqual(["linkMass1", "linkMass2"]);
    expect(
      defaultPerturbations("MountainCar-v0")
        .slice(3)
        .map((p) => p.param),
    ).toEqual(["force"]);
    expect(
      defaultPerturbations("Pendulum-v1")
        .slice(3)
        .map((p) => p.param),
    ).toEqual(["m", "l"]);
  });
});

describe("evaluateRobustness", () => {
  const policies = { teacher: cartPoleHeuristic, student: constantPolicy(0) };

  it("evaluates every policy at every strength, side by side", () => {
    const r = evaluateRobustness(policies, "CartPole-v1", {
      episodes: 2,
      seed: 0,
      perturbations: ["obs-noise", "length"],
    });
    expect(r).toMatchObject({ env: "CartPole-v1", episodes: 2, seed: 0 });
    expect(r.perturbations.map((p) => p.name)).toEqual(["obs-noise", "length"]);
    for (const p of r.perturbations) {
      expect(Object.keys(p.results)).toEqual(["teacher", "student"]);
      expect(p.results["teacher"]!.map((x) => x.strength)).toEqual(p.strengths);
    }
    const noise = r.perturbations[0]!.results["teacher"]!;
    // Nominal: the heuristic balances the full 500 steps; the same cell in every perturbation.
    expect(noise[0]).toEqual({ strength: 0, meanReturn: 500, stdReturn: 0 });
    const len = r.perturbations[1]!.results["teacher"]!;
    expect(len.find((x) => x.strength === 0.5)).toEqual({ strength: 0.5, meanReturn: 500, stdReturn: 0 });
    // Strong sensor noise hurts; the always-left student is bad everywhere.
    expect(noise[noise.length - 1]!.meanReturn).toBeLessThan(450);
    expect(Math.max(...r.perturbations[0]!.results["student"]!.map((x) => x.meanReturn))).toBeLessThan(20);
  });

  it("changes returns through make() kwargs, action noise and sticky actions", () => {
    // A cruder heuristic (no cart velocity term) that the heavier carts do upset.
    const crude = { act: (o: Float32Array) => (o[2]! + o[3]! > 0 ? 1 : 0) };
    const r = evaluateRobustness({ teacher: crude }, "CartPole-v1", {
      episodes: 2,
      seed: 0,
      perturbations: ["masscart", "action-noise", "sticky-action"],
    });
    for (const p of r.perturbations) {
      const returns = p.results["teacher"]!.map((x) => x.meanReturn);
      expect(new Set(returns).size, p.name).toBeGreaterThan(1);
    }
    // The strongest sticky actions are far worse than none.
    const sticky = r.perturbations[2]!.results["teacher"]!;
    expect(sticky[sticky.length - 1]!.meanReturn).toBeLessThan(sticky[0]!.meanReturn / 2);
  });

  it("is reproducible and accepts a custom table", () => {
    const table: Perturbation[] = [
      {
        name: "tau",
        label: "Time step (s)",
        kind: "kwarg",
        param: "tau",
        strengths: [0.02, 0.04],
        nominal: 0.02,
      },
    ];
    const a = evaluateRobustness(policies, "CartPole-v1", { episodes: 2, seed: 4, perturbations: table });
    const b = evaluateRobustness(policies, "CartPole-v1", { episodes: 2, seed: 4, perturbations: table });
    expect(a).toEqual(b);
    expect(() =>
      evaluateRobustness(policies, "CartPole-v1", { episodes: 1, perturbations: ["gravity"] }),
    ).toThrow(/allowed: obs-noise, action-noise, sticky-action, length, masscart/);
    expect(() => evaluateRobustness({}, "CartPole-v1", { episodes: 1 })).toThrow(/policies/);
  });
});
