import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import type { Box } from "../../core/spaces.js";
import { make } from "../registry.js";
import { FrameStackObservation } from "./frame-stack-observation.js";
import { MaskObservation } from "./mask-observation.js";

describe("MaskObservation", () => {
  it("keeps the chosen entries of the same step, with their bounds", () => {
    const full = make<Float32Array, number>("CartPole-v1");
    const masked = new MaskObservation(make<Float32Array, number>("CartPole-v1"), { drop: [1, 3] });
    expect(masked.kept).toEqual([0, 2]);
    expect(masked.observationSpace.shape).toEqual([2]);
    const high = (full.observationSpace as Box).high;
    expect(Array.from(masked.observationSpace.high)).toEqual([high[0], high[2]]);
    const a = full.reset({ seed: 3 }).obs;
    const b = masked.reset({ seed: 3 }).obs;
    expect(Array.from(b)).toEqual([a[0], a[2]]);
    for (const action of [0, 1, 1, 0, 1]) {
      const x = full.step(action).obs;
      const y = masked.step(action);
      expect(Array.from(y.obs)).toEqual([x[0], x[2]]);
      expect(masked.observationSpace.contains(y.obs)).toBe(true);
    }
  });

  it("keeps indices in the order given, and uint8 stays uint8", () => {
    const env = new MaskObservation(make<Uint8Array, number>("MinAtar/Breakout-v1"), { keep: [3, 0] });
    expect(env.observationSpace.dtype).toBe("uint8");
    const full = make<Uint8Array, number>("MinAtar/Breakout-v1").reset({ seed: 1 }).obs;
    const obs = env.reset({ seed: 1 }).obs;
    expect(obs).toBeInstanceOf(Uint8Array);
    expect(Array.from(obs)).toEqual([full[3], full[0]]);
  });

  it("stacks with FrameStackObservation (velocities recoverable from two frames)", () => {
    const env = new FrameStackObservation(new MaskObservation(make("CartPole-v1"), { keep: [0, 2] }), {
      stackSize: 2,
    });
    expect(env.observationSpace.shape).toEqual([2, 2]);
    const first = env.reset({ seed: 0 }).obs;
    expect(first[0]).toBe(first[2]);
    const next = env.step(1).obs;
    expect(next[0]).toBe(first[2]);
  });

  it("refuses bad indices naming the field", () => {
    const env = make("CartPole-v1");
    expect(() => new MaskObservation(env, { keep: [4] })).toThrow(/MaskObservation.keep.*\[0, 4\)/);
    expect(() => new MaskObservation(env, { drop: [1, 1] })).toThrow(/given twice/);
    expect(() => new MaskObservation(env, { drop: [0, 1, 2, 3] })).toThrow(/leaves no entry/);
    expect(() => new MaskObservation(env, {})).toThrow(ConfigError);
    expect(() => new MaskObservation(env, { keep: [0], drop: [1] })).toThrow(/exactly one/);
  });
});
