import { describe, expect, test } from "vitest";
import { PendulumEnv } from "./pendulum.js";

const act = (a: number): Float32Array => Float32Array.of(a);

function stepFrom(env: PendulumEnv, state: number[], torque: number) {
  env.reset({ options: { state } });
  return env.step(act(torque));
}

describe("PendulumEnv", () => {
  test("reset: theta in [-pi, pi], thetadot in [-1, 1], or options x_init/y_init", () => {
    const env = new PendulumEnv();
    env.reset({ seed: 0 });
    let maxTh = 0;
    for (let i = 0; i < 300; i++) {
      const { obs } = env.reset();
      const [th, thdot] = env.getState();
      expect(Math.abs(th!)).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(thdot!)).toBeLessThanOrEqual(1);
      maxTh = Math.max(maxTh, Math.abs(th!));
      expect(Array.from(obs)).toEqual([Math.cos(th!), Math.sin(th!), thdot!].map(Math.fround));
    }
    expect(maxTh).toBeGreaterThan(3);
    env.reset({ options: { x_init: 0.1, y_init: 0 } });
    expect(Math.abs(env.getState()[0]!)).toBeLessThanOrEqual(0.1);
    expect(env.getState()[1]).toBe(0);
  });

  test("upright and still costs nothing and stays put", () => {
    const env = new PendulumEnv();
    const r = stepFrom(env, [0, 0], 0);
    expect(r.reward === 0).toBe(true);
    expect(env.getState()).toEqual([0, 0]);
    expect(r).toMatchObject({ terminated: false, truncated: false });
  });

  test("the cost uses the angle normalised to [-pi, pi)", () => {
    const env = new PendulumEnv();
    const near = stepFrom(env, [0.5, 0.2], 0.3).reward;
    expect(stepFrom(env, [0.5 + 2 * Math.PI, 0.2], 0.3).reward).toBeCloseTo(near, 12);
    expect(stepFrom(env, [0.5 - 4 * Math.PI, 0.2], 0.3).reward).toBeCloseTo(near, 12);
    // theta^2 + 0.1 thetadot^2 + 0.001 u^2
    const u = Math.fround(0.3);
    expect(near).toBeCloseTo(-(0.25 + 0.1 * 0.04 + 0.001 * u * u), 15);
  });

  test("the torque is clipped to maxTorque, in the dynamics and in the cost", () => {
    const env = new PendulumEnv();
    const clipped = stepFrom(env, [1, 0], 5);
    const state = env.getState();
    expect(stepFrom(env, [1, 0], 2)).toMatchObject({ reward: clipped.reward });
    expect(env.getState()).toEqual(state);
    const strong = new PendulumEnv({ maxTorque: 5 });
    expect(strong.actionSpace.high[0]).toBe(5);
    expect(stepFrom(strong, [1, 0], 5).reward).toBeLessThan(clipped.reward);
  });

  test("thetadot is clipped to maxSpeed before it moves theta", () => {
    const env = new PendulumEnv();
    stepFrom(env, [1.5, 7.99], 2);
    expect(env.getState()).toEqual([1.5 + 8 * 0.05, 8]);
    const fast = new PendulumEnv({ maxSpeed: 20 });
    expect(fast.observationSpace.high[2]).toBe(20);
    stepFrom(fast, [1.5, 7.99], 2);
    expect(fast.getState()[1]).toBeGreaterThan(8);
  });

  test("g, m, l and dt enter the update newthdot = thdot + (3g/(2l) sin th + 3/(m l^2) u) dt", () => {
    const cases: Array<[Record<string, number>, number, number]> = [
      [{}, 10, 1],
      [{ g: 0 }, 0, 1],
      [{ g: 9.81, l: 2 }, 9.81, 2],
      [{ m: 3 }, 10, 1],
      [{ dt: 0.01 }, 10, 1],
    ];
    for (const [kw, g, l] of cases) {
      const env = new PendulumEnv(kw);
      const m = kw["m"] ?? 1;
      const dt = kw["dt"] ?? 0.05;
      const u = Math.fround(0.7);
      stepFrom(env, [0.4, 0.1], u);
      const thdot = 0.1 + (((3 * g) / (2 * l)) * Math.sin(0.4) + (3 / (m * l * l)) * u) * dt;
      expect(env.getState()[1], JSON.stringify(kw)).toBeCloseTo(thdot, 14);
      expect(env.getState()[0], JSON.stringify(kw)).toBeCloseTo(0.4 + thdot * dt, 14);
    }
  });
});
