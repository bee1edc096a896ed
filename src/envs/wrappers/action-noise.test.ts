import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { CountingEnv, EchoEnv } from "../testing-fakes.js";
import { ActionNoise } from "./action-noise.js";

describe("ActionNoise", () => {
  it("Box: adds Gaussian noise, clips to the bounds, and leaves the caller's action alone", () => {
    const env = new ActionNoise(new EchoEnv({ episodeLength: 1e6 }), { std: 0.2, seed: 1 });
    env.reset();
    const action = Float32Array.of(0.1, 0.95);
    const diffs: number[] = [];
    let atHigh = 0;
    for (let i = 0; i < 3000; i++) {
      const received = env.step(action).obs; // EchoEnv observes the action it got
      expect(received[0]).toBeGreaterThanOrEqual(-1);
      expect(received[1]).toBeLessThanOrEqual(1);
      if (received[1] === 1) atHigh++;
      diffs.push(received[0]! - Math.fround(0.1));
    }
    expect(Array.from(action)).toEqual([Math.fround(0.1), Math.fround(0.95)]);
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    const std = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / diffs.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(std).toBeGreaterThan(0.18);
    expect(std).toBeLessThan(0.22);
    // P(noise > 0.05) with std 0.2 is about 0.40.
    expect(atHigh / 3000).toBeGreaterThan(0.35);
    expect(atHigh / 3000).toBeLessThan(0.45);
  });

  it("Discrete: replaces the action by a uniform one with probability p", () => {
    const inner = new CountingEnv({ episodeLength: 1e6, nActions: 3 });
    const env = new ActionNoise(inner, { p: 0.3, seed: 2 });
    env.reset({ seed: 0 });
    for (let i = 0; i < 6000; i++) env.step(0);
    const changed = inner.received.filter((a) => a !== 0).length / 6000;
    expect(changed).toBeGreaterThan(0.2 - 0.02); // 0.3 * 2/3
    expect(changed).toBeLessThan(0.2 + 0.02);
    expect(inner.received.filter((a) => a === 1).length).toBeGreaterThan(500);
    expect(inner.received.filter((a) => a === 2).length).toBeGreaterThan(500);
    const none = new CountingEnv({ episodeLength: 1e6 });
    const p0 = new ActionNoise(none, { p: 0 });
    p0.reset();
    for (let i = 0; i < 100; i++) p0.step(i % 3);
    expect(none.received).toEqual(Array.from({ length: 100 }, (_, i) => i % 3));
  });

  it("replays the same perturbations after reset with the same seed", () => {
    const run = (wrapperSeed: number): number[] => {
      const inner = new CountingEnv({ episodeLength: 1e6 });
      const env = new ActionNoise(inner, { p: 0.5, seed: wrapperSeed });
      env.reset({ seed: 11 });
      for (let i = 0; i < 50; i++) env.step(0);
      env.reset({ seed: 11 });
      for (let i = 0; i < 50; i++) env.step(0);
      expect(inner.received.slice(0, 50)).toEqual(inner.received.slice(50));
      return inner.received;
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it("asks for std on Box and p on Discrete", () => {
    expect(() => new ActionNoise(new EchoEnv(), { p: 0.1 })).toThrow(/ActionNoise\.p/);
    expect(() => new ActionNoise(new EchoEnv(), {})).toThrow(/ActionNoise\.std/);
    expect(() => new ActionNoise(new CountingEnv(), { std: 0.1 })).toThrow(/ActionNoise\.std/);
    expect(() => new ActionNoise(new CountingEnv(), { p: 1.5 })).toThrow(ConfigError);
  });
});
