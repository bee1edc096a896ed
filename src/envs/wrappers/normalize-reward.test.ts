import { describe, expect, it } from "vitest";
import { CountingEnv } from "../testing-fakes.js";
import { NormalizeReward } from "./normalize-reward.js";

/** Variance after merging a 1e-4 prior (mean 0, var 1) with the samples, from a two-pass variance. */
function priorVar(xs: number[], prior = 1e-4): number {
  const n = xs.length;
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / n;
  const tot = prior + n;
  return (prior + v * n + (m * m * prior * n) / tot) / tot;
}

describe("NormalizeReward", () => {
  it("divides each reward by the std of the discounted returns so far (known answer)", () => {
    const gamma = 0.9;
    const env = new NormalizeReward(new CountingEnv({ episodeLength: 3 }), { gamma });
    const actions = [1, 2, 0, 2, 2, 1, 0];
    const returns: number[] = [];
    let g = 0;
    env.reset({ seed: 0 });
    actions.forEach((a) => {
      const { reward, terminated } = env.step(a);
      // Gymnasium zeroes the running return on the terminating step itself. Reward = action here.
      g = (terminated ? 0 : g * gamma) + a;
      returns.push(g);
      expect(reward).toBeCloseTo(a / Math.sqrt(priorVar(returns) + 1e-8), 12);
      if (terminated) env.reset();
    });
    expect(env.getStats().count).toBeCloseTo(actions.length + 1e-4, 10);
  });

  it("keeps the running return across truncation and reset, as Gymnasium", () => {
    const env = new NormalizeReward(new CountingEnv({ episodeLength: 100 }), { gamma: 0.5 });
    env.reset();
    env.step(2);
    env.reset();
    env.step(2);
    expect(env.getStats().discountedReturn).toBe(3);
  });

  it("freezes, and round-trips its statistics through JSON", () => {
    const env = new NormalizeReward(new CountingEnv({ episodeLength: 100 }));
    env.reset();
    for (let i = 0; i < 5; i++) env.step(i % 3);
    const saved = JSON.parse(JSON.stringify(env.getStats()));
    env.frozen = true;
    const r = env.step(2).reward;
    expect(r).toBeCloseTo(2 / Math.sqrt(saved.var[0] + 1e-8), 12);
    expect(env.getStats().var).toEqual(saved.var);
    const other = new NormalizeReward(new CountingEnv());
    other.setStats(saved);
    expect(other.getStats()).toEqual(saved);
    expect(() => other.setStats({ ...saved, discountedReturn: "x" })).toThrow(/discountedReturn/);
    expect(() => new NormalizeReward(new CountingEnv(), { gamma: 1.5 })).toThrow(/gamma/);
  });
});
