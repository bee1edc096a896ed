import { describe, expect, it } from "vitest";
import type { Policy } from "../core/policy.js";
import { CountingEnv } from "../envs/testing-fakes.js";
import {
  evaluatePolicy,
  evaluatePolicyAsync,
  randomPolicyReturn,
  retention,
  retentionCI,
} from "./evaluate.js";
import { cartPoleHeuristic, cartPoleSoftmax, constantPolicy } from "./testing-policies.js";

describe("evaluatePolicy", () => {
  it("sums rewards per episode and reports SB3-style statistics", () => {
    // CountingEnv: reward = action index, terminates after episodeLength steps.
    const r = evaluatePolicy(constantPolicy(2), () => new CountingEnv({ episodeLength: 5 }), { episodes: 4 });
    expect(r.returns).toEqual([10, 10, 10, 10]);
    expect(r.lengths).toEqual([5, 5, 5, 5]);
    expect(r).toMatchObject({
      meanReturn: 10,
      stdReturn: 0,
      iqm: 10,
      ci95: [10, 10],
      meanLength: 5,
      episodes: 4,
    });
    expect(r.successRate).toBeNull(); // no spec, no threshold
  });

  it("gives each env SB3's target count, so short episodes are not over-counted", () => {
    // Env 0 ends every 2 steps, env 1 every 10. "First 4 episodes to finish" would be all from env 0;
    // SB3's per-env targets floor((4 + i) / 2) = [2, 2] take two from each, in completion order.
    const factory = (i: number) => new CountingEnv({ episodeLength: i === 0 ? 2 : 10 });
    const r = evaluatePolicy(constantPolicy(1), factory, { episodes: 4, numEnvs: 2 });
    expect(r.lengths).toEqual([2, 2, 10, 10]);
    expect(r.returns).toEqual([2, 2, 10, 10]);
    // 7 episodes over 3 envs: targets [2, 2, 3].
    const seven = evaluatePolicy(constantPolicy(1), factory, { episodes: 7, numEnvs: 3 });
    expect(seven.returns).toHaveLength(7);
    expect(seven.lengths.filter((l) => l === 2)).toHaveLength(2);
  });

  it("is deterministic for a seed, for stochastic policies too, and the seed matters", () => {
    const policy = cartPoleSoftmax(2);
    const opts = { episodes: 4, seed: 3, deterministic: false, numEnvs: 2 };
    const a = evaluatePolicy(policy, "CartPole-v1", opts);
    const b = evaluatePolicy(policy, "CartPole-v1", opts);
    const c = evaluatePolicy(policy, "CartPole-v1", { ...opts, seed: 4 });
    expect(a.returns).toEqual(b.returns);
    expect(a.ci95).toEqual(b.ci95);
    expect(a.returns).not.toEqual(c.returns);
  });

  it("scores the CartPole heuristic as solved and uses the spec's reward threshold", () => {
    const r = evaluatePolicy(cartPoleHeuristic, "CartPole-v1", { episodes: 3, seed: 0, numEnvs: 2 });
    expect(r.returns).toEqual([500, 500, 500]);
    expect(r.successRate).toBe(1);
    expect(r.rewardThreshold).toBe(475);
    const left = evaluatePolicy(constantPolicy(0), "CartPole-v1", { episodes: 3, seed: 0 });
    expect(left.meanReturn).toBeLessThan(20);
    expect(left.successRate).toBe(0);
  });

  it("passes kwargs to make() and wraps each env", () => {
    const seen: number[] = [];
    const r = evaluatePolicy(cartPoleHeuristic, "CartPole-v1", {
      episodes: 2,
      numEnvs: 2,
      kwargs: { length: 0.75 },
      wrap: (env, i) => {
        seen.push(i);
        expect(env.spec?.kwargs).toEqual({ length: 0.75 });
        return env;
      },
    });
    expect(seen).toEqual([0, 1]);
    expect(r.env).toBe("CartPole-v1");
  });

  it("gives the same results for an asynchronous policy", async () => {
    const sync = cartPoleSoftmax(3);
    const opts = { episodes: 5, seed: 9, deterministic: false, numEnvs: 3 };
    const expected = evaluatePolicy(sync, "CartPole-v1", opts);
    const delayed = {
      act: async (obs: Float32Array, o?: Parameters<typeof sync.act>[1]) => sync.act(obs, o),
    };
    expect(await evaluatePolicyAsync(delayed, "CartPole-v1", opts)).toEqual(expected);
  });

  it("names bad options", () => {
    const p: Policy = constantPolicy(0);
    expect(() => evaluatePolicy(p, "CartPole-v1", { episodes: 0 })).toThrow(/episodes/);
    expect(() => evaluatePolicy(p, "CartPole-v1", { episodes: 1, numEnvs: 1.5 })).toThrow(/numEnvs/);
    expect(() => evaluatePolicy(p, "CartPole-v9", { episodes: 1 })).toThrow(/CartPole-v1/);
  });
});

describe("randomPolicyReturn and retention", () => {
  it("gives CartPole's random baseline (about 22) reproducibly, with null success for Pendulum", () => {
    const a = randomPolicyReturn("CartPole-v1", { episodes: 20, seed: 0 });
    expect(a.meanReturn).toBeGreaterThan(12);
    expect(a.meanReturn).toBeLessThan(40);
    expect(randomPolicyReturn("CartPole-v1", { episodes: 20, seed: 0 }).returns).toEqual(a.returns);
    const p = randomPolicyReturn("Pendulum-v1", { episodes: 2, seed: 1 });
    expect(p.successRate).toBeNull();
    expect(p.meanReturn).toBeLessThan(-500);
  });

  it("normalises the student between random (0) and teacher (1)", () => {
    expect(retention(490, 500, 20)).toBeCloseTo(470 / 480, 12);
    expect(retention(20, 500, 20)).toBe(0);
    expect(retention(5, 5, 5)).toBeNull();
  });

  it("bounds retention by bootstrapping the three policies' episodes", () => {
    // Teacher and random constant: the interval is the student's mean interval, moved and scaled.
    const student = [400, 500, 450, 480, 430, 470, 490, 420];
    const ci = retentionCI(student, [500, 500], [20, 20, 20], { seed: 1 })!;
    const point = retention(455, 500, 20)!;
    expect(ci[0]).toBeLessThan(point);
    expect(ci[1]).toBeGreaterThan(point);
    expect(ci[0]).toBeGreaterThanOrEqual((400 - 20) / 480);
    expect(ci[1]).toBeLessThanOrEqual(1);
    expect(retentionCI([500, 500], [500], [20])).toEqual([1, 1]);
    // A teacher no better than random leaves retention undefined on its resamples.
    expect(retentionCI([5, 6], [5, 5], [5])).toBeNull();
    expect(retentionCI(student, [500, 500], [20, 20, 20], { seed: 1 })).toEqual(ci);
    expect(retentionCI(student, [500, 500], [20, 20, 20], { seed: 2 })).not.toEqual(ci);
  });
});
