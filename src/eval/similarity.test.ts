import { describe, expect, it } from "vitest";
import type { ActionDistribution, DistributionPolicy } from "../core/policy.js";
import { make } from "../envs/registry.js";
import { actionRangeOf, collectStates, mixturePolicy, policySimilarity, stateBatch } from "./similarity.js";
import { cartPoleHeuristic, cartPoleSoftmax, constantPolicy } from "./testing-policies.js";

/** A policy that looks its distribution up by obs[0] (an index into `table`). */
function tablePolicy(table: ActionDistribution[]): DistributionPolicy {
  return {
    distribution: (obs) => table[obs[0]!]!,
    act: () => 0,
  };
}

const cat = (...p: number[]): ActionDistribution => ({ kind: "categorical", probs: Float64Array.from(p) });
const gauss = (mean: number[], std: number[]): ActionDistribution => ({
  kind: "gaussian",
  mean: Float64Array.from(mean),
  std: Float64Array.from(std),
});

describe("policySimilarity", () => {
  it("matches SciPy on a two-state categorical example", () => {
    // SciPy 1.10: mean of entropy(t, s) = 0.3801999849478332,
    //             mean of jensenshannon(t, s) ** 2 = 0.09789663766775195
    const teacher = tablePolicy([cat(0.9, 0.1), cat(0.2, 0.8)]);
    const student = tablePolicy([cat(0.6, 0.4), cat(0.7, 0.3)]);
    const sim = policySimilarity(teacher, student, stateBatch(Float32Array.of(0, 1), 1));
    expect(sim.states).toBe(2);
    expect(sim.kind).toBe("categorical");
    expect(sim.agreement).toBe(0.5);
    expect(sim.meanActionDistance).toBeNull();
    expect(sim.klTeacherStudent).toBeCloseTo(0.3801999849478332, 12);
    expect(sim.jsDivergence).toBeCloseTo(0.09789663766775195, 12);
  });

  it("is exactly zero against itself and stays in [0, ln 2]", () => {
    const t = tablePolicy([cat(1, 0), cat(0, 1)]);
    const s = tablePolicy([cat(0, 1), cat(1, 0)]);
    const states = stateBatch(Float32Array.of(0, 1), 1);
    expect(policySimilarity(t, t, states)).toMatchObject({
      agreement: 1,
      jsDivergence: 0,
      klTeacherStudent: 0,
    });
    const opposite = policySimilarity(t, s, states);
    expect(opposite.agreement).toBe(0);
    expect(opposite.jsDivergence).toBeCloseTo(Math.LN2, 12);
    expect(Number.isFinite(opposite.klTeacherStudent)).toBe(true);
  });

  it("uses the closed-form Gaussian KL and the mean distance of action means", () => {
    // KL(N(0,1) || N(1,2)) per dimension = ln 2 + 2/8 - 1/2; JS by quadrature 0.12817497305439798
    const teacher = tablePolicy([gauss([0, 0], [1, 1])]);
    const student = tablePolicy([gauss([1, 1], [2, 2])]);
    const sim = policySimilarity(teacher, student, stateBatch(Float32Array.of(0), 1), { jsSamples: 4000 });
    expect(sim.kind).toBe("gaussian");
    expect(sim.agreement).toBeNull();
    expect(sim.meanActionDistance).toBeCloseTo(Math.SQRT2, 12);
    expect(sim.klTeacherStudent).toBeCloseTo(2 * (Math.LN2 + 0.25 - 0.5), 12);
    // 2-D JS has no quadrature answer here; the 1-D one bounds the check of the estimator.
    const oneD = policySimilarity(
      tablePolicy([gauss([0], [1])]),
      tablePolicy([gauss([1], [2])]),
      stateBatch(Float32Array.of(0), 1),
      {
        jsSamples: 20000,
      },
    );
    expect(oneD.jsDivergence).toBeCloseTo(0.12817497305439798, 2);
    expect(sim.jsDivergence).toBeGreaterThan(oneD.jsDivergence);
    expect(sim.jsDivergence).toBeLessThan(Math.LN2);
  });

  it("continuous agreement: distance of the deterministic actions, share within 10% of the range", () => {
    // Actions given by act() (as a squashed SAC's tanh(mean)), not the Gaussian means.
    const acting = (actions: number[][]): DistributionPolicy => ({
      distribution: () => gauss([9, 9], [1, 1]),
      act: (obs) => Float32Array.from(actions[obs[0]!]!),
    });
    const teacher = acting([
      [0, 0],
      [1, -1],
      [0.5, 0.5],
    ]);
    const student = acting([
      [0.3, 0.4], // 0.5 away; 0.3 > 0.1 * 2 on the first dimension: disagrees
      [1, -1], // equal
      [0.6, 0.35], // within 0.2 on both dimensions
    ]);
    const states = stateBatch(Float32Array.of(0, 1, 2), 1);
    const range = { low: [-1, -1], high: [1, 1] };
    const sim = policySimilarity(teacher, student, states, { actionRange: range });
    expect(sim.actionDistance).toBeCloseTo((0.5 + 0 + Math.hypot(0.1, 0.15)) / 3, 6);
    expect(sim.actionAgreement).toBeCloseTo(2 / 3, 12);
    expect(sim.meanActionDistance).toBe(0); // the means are equal
    expect(
      policySimilarity(teacher, student, states, { actionRange: range, tolerance: 0.25 }).actionAgreement,
    ).toBe(1);
    expect(policySimilarity(teacher, student, states).actionAgreement).toBeNull();
    expect(actionRangeOf(make("Pendulum-v1"))).toEqual({
      low: Float32Array.of(-2),
      high: Float32Array.of(2),
    });
    expect(actionRangeOf(make("CartPole-v1"))).toBeUndefined();
  });

  it("rejects mismatched policies and empty state sets", () => {
    const c = tablePolicy([cat(0.5, 0.5)]);
    const c3 = tablePolicy([cat(0.2, 0.3, 0.5)]);
    const g = tablePolicy([gauss([0], [1])]);
    const one = stateBatch(Float32Array.of(0), 1);
    expect(() => policySimilarity(c, c3, one)).toThrow(/3 actions/);
    expect(() => policySimilarity(c, g, one)).toThrow(/gaussian/);
    expect(() => policySimilarity(c, c, stateBatch(new Float32Array(0), 1))).toThrow(/at least one/);
    expect(() => stateBatch(new Float32Array(5), 4)).toThrow(/multiple/);
  });
});

describe("collectStates", () => {
  it("rolls out a policy for exactly `steps` states, reproducibly", () => {
    const a = collectStates(cartPoleHeuristic, "CartPole-v1", { steps: 300, seed: 5 });
    const b = collectStates(cartPoleHeuristic, "CartPole-v1", { steps: 300, seed: 5 });
    expect(a.count).toBe(300);
    expect(a.obsSize).toBe(4);
    expect(a.obs.length).toBe(1200);
    expect(a.obs).toEqual(b.obs);
    expect(collectStates(cartPoleHeuristic, "CartPole-v1", { steps: 300, seed: 6 }).obs).not.toEqual(a.obs);
  });

  it("visits different states with the teacher, the student, or a mixture", () => {
    // The "student" always pushes left: episodes end fast and the pole angle runs away.
    const left = constantPolicy(0);
    const byTeacher = collectStates(cartPoleHeuristic, "CartPole-v1", { steps: 400, seed: 0 });
    const byStudent = collectStates(left, "CartPole-v1", { steps: 400, seed: 0 });
    const mixed = collectStates(
      mixturePolicy(cartPoleHeuristic, left, { teacherProb: 0.5, seed: 1 }),
      "CartPole-v1",
      {
        steps: 400,
        seed: 0,
      },
    );
    const meanAbsAngle = (s: { obs: Float32Array; count: number }): number => {
      let t = 0;
      for (let i = 0; i < s.count; i++) t += Math.abs(s.obs[i * 4 + 2]!);
      return t / s.count;
    };
    expect(meanAbsAngle(byStudent)).toBeGreaterThan(3 * meanAbsAngle(byTeacher));
    expect(mixed.obs).not.toEqual(byTeacher.obs);
    expect(mixed.obs).not.toEqual(byStudent.obs);
    expect(() => mixturePolicy(left, left, { teacherProb: 1.5 })).toThrow(/teacherProb/);
  });

  it("feeds policySimilarity: a blurrier copy agrees greedily but diverges in probabilities", () => {
    const teacher = cartPoleSoftmax(50);
    const states = collectStates(teacher, "CartPole-v1", { steps: 500, seed: 2 });
    const same = policySimilarity(teacher, cartPoleSoftmax(50), states);
    const blurry = policySimilarity(teacher, cartPoleSoftmax(2), states);
    expect(same).toMatchObject({ agreement: 1, jsDivergence: 0, klTeacherStudent: 0 });
    expect(blurry.agreement).toBe(1);
    expect(blurry.jsDivergence).toBeGreaterThan(0.01);
    expect(blurry.klTeacherStudent).toBeGreaterThan(0);
  });
});
