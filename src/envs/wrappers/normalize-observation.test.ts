import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import type { MinAtarEnv } from "../minatar/minatar-env.js";
import { make } from "../registry.js";
import { CountingEnv } from "../testing-fakes.js";
import { NormalizeObservation } from "./normalize-observation.js";

/** Two-pass mean and population variance of rows. */
function twoPass(rows: number[][]): { mean: number[]; var: number[] } {
  const n = rows.length;
  const d = rows[0]!.length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / n);
  const variance = Array.from(
    { length: d },
    (_, j) => rows.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / n,
  );
  return { mean, var: variance };
}

/** What 1e-4 "prior" samples of mean 0 and variance 1 merged with the data give (Chan et al.). */
function withPrior(rows: number[][], prior = 1e-4): { mean: number[]; var: number[]; count: number } {
  const { mean, var: v } = twoPass(rows);
  const n = rows.length;
  const tot = prior + n;
  return {
    mean: mean.map((m) => (m * n) / tot),
    var: mean.map((m, j) => (prior + v[j]! * n + (m * m * prior * n) / tot) / tot),
    count: tot,
  };
}

function rollout(env: NormalizeObservation<number>, inner: CountingEnv, steps: number): number[][] {
  const raw: number[][] = [];
  env.reset({ seed: 3 });
  // The wrapper sees float32 observations.
  const observed = (): number[] => inner.getState().map(Math.fround);
  raw.push(observed());
  for (let i = 0; i < steps; i++) {
    const { terminated } = env.step(1);
    raw.push(observed());
    if (terminated) {
      env.reset();
      raw.push(observed());
    }
  }
  return raw;
}

describe("NormalizeObservation", () => {
  it("keeps the statistics of a two-pass mean and variance (with SB3's 1e-4 prior)", () => {
    const inner = new CountingEnv({ episodeLength: 7 });
    const env = new NormalizeObservation(inner);
    const raw = rollout(env, inner, 60);
    const stats = env.getStats();
    const exact = withPrior(raw);
    const plain = twoPass(raw);
    for (let j = 0; j < 2; j++) {
      expect(stats.mean[j]).toBeCloseTo(exact.mean[j]!, 12);
      expect(stats.var[j]).toBeCloseTo(exact.var[j]!, 12);
      expect(Math.abs(stats.mean[j]! - plain.mean[j]!)).toBeLessThan(
        1e-4 * Math.max(1, Math.abs(plain.mean[j]!)),
      );
      expect(Math.abs(stats.var[j]! - plain.var[j]!)).toBeLessThan(1e-3 * Math.max(1, plain.var[j]!));
    }
    expect(stats.count).toBeCloseTo(raw.length + 1e-4, 10);
  });

  it("returns (obs - mean) / sqrt(var + eps) computed after the update, as float32", () => {
    const inner = new CountingEnv({ episodeLength: 50 });
    const env = new NormalizeObservation(inner);
    env.reset({ seed: 1 });
    env.step(0);
    const { obs } = env.step(0);
    const raw = inner.getState().map(Math.fround);
    const { mean, var: v } = env.getStats();
    expect(obs).toBeInstanceOf(Float32Array);
    for (let j = 0; j < 2; j++) expect(obs[j]).toBeCloseTo((raw[j]! - mean[j]!) / Math.sqrt(v[j]! + 1e-8), 5);
  });

  it("stops updating when frozen, and restores saved statistics through JSON", () => {
    const inner = new CountingEnv({ episodeLength: 100 });
    const env = new NormalizeObservation(inner);
    env.reset({ seed: 0 });
    for (let i = 0; i < 10; i++) env.step(0);
    const saved = JSON.parse(JSON.stringify(env.getStats()));
    env.frozen = true;
    for (let i = 0; i < 10; i++) env.step(0);
    expect(env.getStats()).toEqual(saved);

    const restored = new NormalizeObservation(new CountingEnv({ episodeLength: 100 }), { frozen: true });
    restored.setStats(saved);
    expect(restored.getStats()).toEqual(saved);
    const a = env.reset({ seed: 5 }).obs;
    const b = restored.reset({ seed: 5 }).obs;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it("clips when asked, with a matching observation space", () => {
    const env = new NormalizeObservation(new CountingEnv({ episodeLength: 100 }), { clip: 0.5 });
    expect(env.observationSpace.low[0]).toBe(-0.5);
    expect(env.observationSpace.high[1]).toBe(0.5);
    env.reset({ seed: 0 });
    let maxAbs = 0;
    for (let i = 0; i < 30; i++) for (const v of env.step(0).obs) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBe(0.5);
    expect(new NormalizeObservation(new CountingEnv()).observationSpace.high[0]).toBe(Infinity);
  });

  it("rejects bad arguments and bad statistics, naming the field", () => {
    expect(() => new NormalizeObservation(new CountingEnv(), { clip: -1 })).toThrow(/clip/);
    expect(() => new NormalizeObservation(new CountingEnv(), { epsilon: 0 })).toThrow(/epsilon/);
    const env = new NormalizeObservation(new CountingEnv());
    expect(() => env.setStats({ mean: [0], var: [1, 1], count: 1 })).toThrow(/stats\.mean/);
    expect(() => env.setStats({ mean: [0, 0], var: [1, -1], count: 1 })).toThrow(/stats\.var/);
    expect(() => env.setStats({ mean: [0, 0], var: [1, 1], count: 0 })).toThrow(ConfigError);
  });

  it("normalises uint8 observations (MinAtar) into float32 with the same statistics as their floats", () => {
    const env = new NormalizeObservation(make<Uint8Array, number>("MinAtar/Freeway-v1"));
    const inner = env.env.unwrapped as MinAtarEnv;
    expect(String(env.observationSpace)).toBe("Box(-inf, inf, (10, 10, 7), float32)");
    const rows: number[][] = [];
    let obs = env.reset({ seed: 1 }).obs;
    rows.push(Array.from(inner.pixels()));
    for (let t = 0; t < 30; t++) {
      obs = env.step(1).obs;
      rows.push(Array.from(inner.pixels()));
    }
    expect(obs).toBeInstanceOf(Float32Array);
    const { mean, var: v } = withPrior(rows);
    const last = rows[rows.length - 1]!;
    for (let i = 0; i < 700; i++) {
      expect(obs[i]).toBeCloseTo((last[i]! - mean[i]!) / Math.sqrt(v[i]! + 1e-8), 3);
    }
  });
});
