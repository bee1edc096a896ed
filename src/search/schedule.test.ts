import { describe, expect, it } from "vitest";
import { hyperbandPlan, planSteps } from "./schedule.js";

describe("hyperbandPlan", () => {
  it("reproduces Li et al.'s table for R = 81, eta = 3", () => {
    const plan = hyperbandPlan(81, 1, 3);
    expect(plan.map((b) => b.s)).toEqual([4, 3, 2, 1, 0]);
    expect(plan.map((b) => b.rungs.map((r) => r.n))).toEqual([
      [81, 27, 9, 3, 1],
      [34, 11, 3, 1],
      [15, 5, 1],
      [8, 2],
      [5],
    ]);
    expect(plan.map((b) => b.rungs.map((r) => r.steps))).toEqual([
      [1, 3, 9, 27, 81],
      [3, 9, 27, 81],
      [9, 27, 81],
      [27, 81],
      [81],
    ]);
    expect(planSteps(plan)).toBe(81 * 5 + (102 + 99 + 81 + 81) + (135 + 135 + 81) + (216 + 162) + 405);
  });

  it("limits the brackets (1 = successive halving) and rounds budgets", () => {
    const plan = hyperbandPlan(50_000, 1852, 3, 1);
    expect(plan).toHaveLength(1);
    expect(plan[0]!.rungs).toEqual([
      { n: 27, steps: 1852 },
      { n: 9, steps: 5556 },
      { n: 3, steps: 16667 },
      { n: 1, steps: 50000 },
    ]);
  });

  it("refuses budgets that cannot make a plan", () => {
    expect(() => hyperbandPlan(100, 200, 3)).toThrow(
      /minSteps: expected an integer in \[1, maxSteps = 100\]/,
    );
    expect(() => hyperbandPlan(100, 10, 1)).toThrow(/eta: expected an integer >= 2/);
  });
});
