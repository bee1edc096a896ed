import { describe, expect, test } from "vitest";
import { MountainCarContinuousEnv } from "./mountain-car-continuous.js";

const act = (a: number): Float32Array => Float32Array.of(a);

describe("MountainCarContinuousEnv", () => {
  test("reward is -0.1 a^2 per step, plus 100 on reaching x >= 0.45", () => {
    const env = new MountainCarContinuousEnv();
    env.reset({ options: { state: [-0.5, 0] } });
    const a = Math.fround(0.5);
    expect(env.step(act(a))).toMatchObject({ reward: -0.1 * a * a, terminated: false });
    env.reset({ options: { state: [0.44, 0.03] } });
    const r = env.step(act(a));
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(100 - a * a * 0.1);
  });

  test("the force is clipped to [-1, 1]; the energy penalty uses the action as given", () => {
    const env = new MountainCarContinuousEnv();
    env.reset({ options: { state: [-0.5, 0] } });
    const big = env.step(act(5));
    const bigState = env.getState();
    env.reset({ options: { state: [-0.5, 0] } });
    env.step(act(1));
    expect(env.getState()).toEqual(bigState);
    expect(big.reward).toBe(-2.5);
  });

  test("the state is stored as float32 after each step", () => {
    const env = new MountainCarContinuousEnv();
    env.reset({ seed: 2 });
    for (let t = 0; t < 50; t++) {
      const r = env.step(act(t % 7 < 3 ? 1 : -1));
      const s = env.getState();
      for (const v of s) expect(Math.fround(v)).toBe(v);
      expect(Array.from(r.obs)).toEqual(s);
    }
  });

  test("power and goalVelocity are used", () => {
    const push = (power: number): number => {
      const env = new MountainCarContinuousEnv({ power });
      env.reset({ options: { state: [Math.PI / 6, 0] } });
      env.step(act(1));
      return env.getState()[1]!;
    };
    expect(push(0.0015)).toBeCloseTo(0.0015, 9);
    expect(push(0.003)).toBeCloseTo(0.003, 9);
    const picky = new MountainCarContinuousEnv({ goalVelocity: 0.05 });
    picky.reset({ options: { state: [0.44, 0.03] } });
    expect(picky.step(act(1)).terminated).toBe(false);
  });

  test("the left wall stops the car dead", () => {
    const env = new MountainCarContinuousEnv();
    env.reset({ options: { state: [-1.19, -0.05] } });
    env.step(act(-1));
    expect(env.getState()).toEqual([Math.fround(-1.2), 0]);
  });
});
