import { describe, expect, test } from "vitest";
import { CartPoleEnv } from "./cartpole.js";

/** Steps from `state` with a constant action until the pole falls; returns the number of steps. */
function stepsToFall(env: CartPoleEnv, state: number[], action: number): number {
  env.reset({ options: { state } });
  for (let t = 1; t < 10_000; t++) if (env.step(action).terminated) return t;
  throw new Error("the pole never fell");
}

describe("CartPoleEnv", () => {
  test("reset draws every entry uniformly in [-0.05, 0.05], or in options.low/high", () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 0 });
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < 500; i++) {
      const { obs } = env.reset();
      for (const v of env.getState()) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(Array.from(obs)).toEqual(env.getState().map(Math.fround));
    }
    expect(min).toBeGreaterThanOrEqual(-0.05);
    expect(max).toBeLessThan(0.05);
    // The draws fill the interval (not e.g. only its positive half).
    expect(min).toBeLessThan(-0.049);
    expect(max).toBeGreaterThan(0.049);
    env.reset({ options: { low: 0, high: 1 } });
    for (const v of env.getState()) expect(v >= 0 && v < 1).toBe(true);
  });

  test("reward is +1 up to and including the step the pole falls, then 0 (Gymnasium 1.x)", () => {
    const env = new CartPoleEnv();
    env.reset({ options: { state: [0, 0, 0.2, 0] } });
    let r = env.step(0);
    while (!r.terminated) {
      expect(r.reward).toBe(1);
      r = env.step(0);
    }
    expect(r.reward).toBe(1);
    // Stepping on without a reset is allowed on the raw env, as in Gymnasium, and pays nothing.
    const after = env.step(0);
    expect(after.terminated).toBe(true);
    expect(after.reward).toBe(0);
  });

  test("suttonBartoReward: 0 per step, -1 when the pole falls and after", () => {
    const env = new CartPoleEnv({ suttonBartoReward: true });
    env.reset({ options: { state: [0, 0, 0.2, 0] } });
    let r = env.step(0);
    while (!r.terminated) {
      expect(r.reward).toBe(0);
      r = env.step(0);
    }
    expect(r.reward).toBe(-1);
    expect(env.step(0).reward).toBe(-1);
  });

  test("terminates when the cart leaves [-2.4, 2.4] or the pole passes 12 degrees", () => {
    const env = new CartPoleEnv();
    env.reset({ options: { state: [2.39, 1, 0, 0] } });
    expect(env.step(1).terminated).toBe(true);
    env.reset({ options: { state: [0, 0, (12 * Math.PI) / 180 - 1e-3, 1] } });
    expect(env.step(1).terminated).toBe(true);
    env.reset({ options: { state: [0, 0, 0, 0] } });
    expect(env.step(1).terminated).toBe(false);
  });

  test("physical parameters change the dynamics the way physics says", () => {
    const tilted = [0, 0, 0.05, 0];
    // Without a push the pole falls under gravity alone: slower when longer, faster when heavier g.
    const base = stepsToFall(new CartPoleEnv({ forceMag: 0 }), tilted, 0);
    expect(stepsToFall(new CartPoleEnv({ forceMag: 0, length: 2 }), tilted, 0)).toBeGreaterThan(base);
    expect(stepsToFall(new CartPoleEnv({ forceMag: 0, gravity: 30 }), tilted, 0)).toBeLessThan(base);
    // Same fall time, smaller steps.
    expect(stepsToFall(new CartPoleEnv({ forceMag: 0, tau: 0.01 }), tilted, 0)).toBeGreaterThan(1.9 * base);
    // Pushing the cart under the lean rights the pole; a stronger push rights it more.
    const spin = (forceMag: number, action: number): number => {
      const env = new CartPoleEnv({ forceMag });
      env.reset({ options: { state: tilted } });
      env.step(action);
      env.step(action);
      return env.getState()[3]!;
    };
    expect(spin(1, 1)).toBeLessThan(spin(1, 0));
    expect(spin(8, 0) - spin(8, 1)).toBeGreaterThan(7 * (spin(1, 0) - spin(1, 1)));
    const env = new CartPoleEnv({ masspole: 0.5, masscart: 2 });
    expect([env.masspole, env.masscart, env.length, env.forceMag, env.tau]).toEqual([0.5, 2, 0.5, 10, 0.02]);
  });

  test("one step from rest matches the closed form of the cart-pole equations", () => {
    const env = new CartPoleEnv();
    env.reset({ options: { state: [0, 0, 0, 0] } });
    env.step(1);
    // At theta = 0: thetaacc = -F/M / (l (4/3 - m/M)), xacc = F/M - m l thetaacc / M.
    const M = 1.1;
    const thetaacc = -(10 / M) / (0.5 * (4 / 3 - 0.1 / M));
    const xacc = 10 / M - (0.05 * thetaacc) / M;
    const [x, xDot, theta, thetaDot] = env.getState();
    expect(x).toBe(0);
    expect(theta).toBe(0);
    expect(xDot).toBeCloseTo(0.02 * xacc, 15);
    expect(thetaDot).toBeCloseTo(0.02 * thetaacc, 15);
  });
});
