import { describe, expect, test } from "vitest";
import { AcrobotEnv } from "./acrobot.js";

describe("AcrobotEnv", () => {
  test("reset draws float32 values in [-0.1, 0.1]; the observation is [cos, sin, cos, sin, dtheta1, dtheta2]", () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 7 });
    for (let i = 0; i < 200; i++) {
      const { obs } = env.reset();
      const s = env.getState();
      for (const v of s) {
        expect(Math.abs(v)).toBeLessThanOrEqual(0.1);
        expect(Math.fround(v)).toBe(v);
      }
      const expected = [Math.cos(s[0]!), Math.sin(s[0]!), Math.cos(s[1]!), Math.sin(s[1]!), s[2]!, s[3]!];
      expect(Array.from(obs)).toEqual(expected.map(Math.fround));
    }
    env.reset({ options: { low: 0.5, high: 0.6 } });
    for (const v of env.getState()) expect(v >= Math.fround(0.5) && v <= Math.fround(0.6)).toBe(true);
  });

  test("angles stay wrapped in [-pi, pi] and velocities within 4 pi and 9 pi", () => {
    const env = new AcrobotEnv();
    env.reset({ options: { state: [3, -3, 12, 28] } });
    for (let t = 0; t < 300; t++) {
      env.step(t % 20 < 10 ? 0 : 2);
      const [a, b, da, db] = env.getState();
      expect(Math.abs(a!)).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(b!)).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(da!)).toBeLessThanOrEqual(4 * Math.PI);
      expect(Math.abs(db!)).toBeLessThanOrEqual(9 * Math.PI);
    }
  });

  test("reward -1 per step; 0 and terminated once the tip is above the line", () => {
    const env = new AcrobotEnv();
    env.reset({ options: { state: [0, 0, 0, 0] } });
    expect(env.step(1)).toMatchObject({ reward: -1, terminated: false, truncated: false });
    // Pointing straight up: -cos(pi) - cos(2 pi) = 2 > 1.
    env.reset({ options: { state: [Math.PI, 0, 0, 0] } });
    expect(env.step(1)).toMatchObject({ reward: 0, terminated: true });
  });

  test("hanging at rest with no torque stays at rest; torque moves it", () => {
    const env = new AcrobotEnv();
    env.reset({ options: { state: [0, 0, 0, 0] } });
    env.step(1);
    for (const v of env.getState()) expect(Math.abs(v)).toBeLessThan(1e-12);
    env.reset({ options: { state: [0, 0, 0, 0] } });
    env.step(2);
    expect(env.getState()[3]).toBeGreaterThan(0);
  });

  test("torque noise is drawn from the env's seeded generator", () => {
    const run = (kw: { torqueNoiseMax?: number }): number[] => {
      const env = new AcrobotEnv(kw);
      env.reset({ seed: 3 });
      for (let t = 0; t < 20; t++) env.step(1);
      return env.getState();
    };
    const noisy = run({ torqueNoiseMax: 0.5 });
    expect(run({ torqueNoiseMax: 0.5 })).toEqual(noisy);
    expect(run({})).not.toEqual(noisy);
  });

  test("link parameters change the dynamics", () => {
    const swing = (kw: Record<string, number>): number => {
      const env = new AcrobotEnv(kw);
      env.reset({ options: { state: [0.5, 0, 0, 0] } });
      env.step(1);
      return env.getState()[2]!;
    };
    const base = swing({});
    expect(base).toBeLessThan(0);
    const variants: Array<Record<string, number>> = [
      { linkMass1: 2 },
      { linkMass2: 0.5 },
      { linkLength1: 1.5 },
      { linkComPos1: 0.8 },
      { linkMoi: 2 },
    ];
    for (const kw of variants) {
      expect(swing(kw), JSON.stringify(kw)).not.toBeCloseTo(base, 6);
    }
  });
});
