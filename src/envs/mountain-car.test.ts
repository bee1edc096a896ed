import { describe, expect, test } from "vitest";
import { MountainCarEnv } from "./mountain-car.js";

describe("MountainCarEnv", () => {
  test("reset: position uniform in [-0.6, -0.4] (or options.low/high), velocity 0", () => {
    const env = new MountainCarEnv();
    env.reset({ seed: 0 });
    for (let i = 0; i < 200; i++) {
      const { obs } = env.reset();
      const [p, v] = env.getState();
      expect(p! >= -0.6 && p! < -0.4).toBe(true);
      expect(v).toBe(0);
      expect(Array.from(obs)).toEqual([Math.fround(p!), 0]);
    }
    env.reset({ options: { low: -1, high: -0.9 } });
    expect(env.getState()[0]! >= -1 && env.getState()[0]! < -0.9).toBe(true);
  });

  test("the left wall stops the car dead", () => {
    const env = new MountainCarEnv();
    env.reset({ options: { state: [-1.19, -0.05] } });
    const r = env.step(0);
    expect(env.getState()).toEqual([-1.2, 0]);
    expect(Array.from(r.obs)).toEqual([Math.fround(-1.2), 0]);
  });

  test("velocity is clipped to 0.07", () => {
    const env = new MountainCarEnv();
    env.reset({ options: { state: [-0.5, 0.07] } });
    env.step(2);
    expect(env.getState()[1]).toBe(0.07);
  });

  test("reward -1 every step; terminated at position 0.5 with velocity >= goalVelocity", () => {
    const env = new MountainCarEnv();
    env.reset({ options: { state: [0.49, 0.03] } });
    expect(env.step(2)).toMatchObject({ reward: -1, terminated: true });
    env.reset({ options: { state: [0.3, 0.01] } });
    expect(env.step(2)).toMatchObject({ reward: -1, terminated: false });
    const picky = new MountainCarEnv({ goalVelocity: 0.05 });
    picky.reset({ options: { state: [0.49, 0.03] } });
    expect(picky.step(2).terminated).toBe(false);
  });

  test("force and gravity enter the velocity update", () => {
    const dv = (kw: { force?: number; gravity?: number }, action: number): number => {
      const env = new MountainCarEnv(kw);
      // At position pi/6 the slope term cos(3x) is 0, leaving only the push.
      env.reset({ options: { state: [Math.PI / 6, 0] } });
      env.step(action);
      return env.getState()[1]!;
    };
    expect(dv({}, 2)).toBeCloseTo(0.001, 15);
    expect(dv({ force: 0.003 }, 0)).toBeCloseTo(-0.003, 15);
    expect(dv({}, 1)).toBeCloseTo(0, 15);
    const slope = (gravity: number): number => {
      const env = new MountainCarEnv({ gravity });
      env.reset({ options: { state: [0, 0] } });
      env.step(1);
      return env.getState()[1]!;
    };
    expect(slope(0.0025)).toBeCloseTo(-0.0025, 15);
    expect(slope(0.005)).toBeCloseTo(-0.005, 15);
  });
});
