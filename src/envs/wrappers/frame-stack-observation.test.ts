import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import type { MinAtarEnv } from "../minatar/minatar-env.js";
import { make } from "../registry.js";
import { CountingEnv } from "../testing-fakes.js";
import { FrameStackObservation } from "./frame-stack-observation.js";

const f = Math.fround;

describe("FrameStackObservation", () => {
  it("pads with the reset observation, then holds the last k, oldest first", () => {
    const inner = new CountingEnv({ episodeLength: 10 });
    const env = new FrameStackObservation(inner, { stackSize: 3 });
    expect(env.observationSpace.shape).toEqual([3, 2]);
    expect(Array.from(env.observationSpace.high)).toEqual([1e6, 1, 1e6, 1, 1e6, 1]);
    const u: number[] = [];
    const first = env.reset({ seed: 4 }).obs;
    u.push(inner.getState()[1]!);
    expect(Array.from(first)).toEqual([0, f(u[0]!), 0, f(u[0]!), 0, f(u[0]!)]);
    let obs = first;
    for (let i = 0; i < 3; i++) {
      obs = env.step(0).obs;
      u.push(inner.getState()[1]!);
    }
    expect(Array.from(obs)).toEqual([1, f(u[1]!), 2, f(u[2]!), 3, f(u[3]!)]);
    expect(Array.from(first)).toEqual([0, f(u[0]!), 0, f(u[0]!), 0, f(u[0]!)]); // fresh arrays
    expect(env.observationSpace.contains(obs)).toBe(true);
    // A new episode forgets the old frames.
    const again = env.reset().obs;
    expect(Array.from(again.subarray(0, 2))).toEqual(Array.from(again.subarray(4, 6)));
  });

  it("pads with zeros or with a given observation", () => {
    const zero = new FrameStackObservation(new CountingEnv(), { stackSize: 3, paddingType: "zero" });
    const z = zero.reset({ seed: 1 }).obs;
    expect(Array.from(z.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(z[5]).toBeGreaterThan(0);
    const custom = new FrameStackObservation(new CountingEnv(), { stackSize: 2, paddingType: [7, 0.5] });
    expect(Array.from(custom.reset().obs.subarray(0, 2))).toEqual([7, 0.5]);
    expect(custom.paddingType).toBe("custom");
  });

  it("forwards state and unwrapped, and validates its arguments", () => {
    const inner = new CountingEnv();
    const env = new FrameStackObservation(inner, { stackSize: 1 });
    env.reset({ seed: 2 });
    env.step(1);
    expect(env.getState()).toEqual(inner.getState());
    expect(env.unwrapped).toBe(inner);
    expect(() => new FrameStackObservation(inner, { stackSize: 0 })).toThrow(/stackSize/);
    expect(() => new FrameStackObservation(inner, { stackSize: 2, paddingType: "same" as never })).toThrow(
      ConfigError,
    );
    expect(() => new FrameStackObservation(inner, { stackSize: 2, paddingType: [1, 2] })).toThrow(
      /paddingType/,
    );
  });

  it("stacks uint8 observations (MinAtar) as uint8", () => {
    const inner = make<Uint8Array, number>("MinAtar/Breakout-v1");
    const env = new FrameStackObservation(inner, { stackSize: 4 });
    expect(String(env.observationSpace)).toBe("Box(0, 1, (4, 10, 10, 4), uint8)");
    const first = env.reset({ seed: 0 }).obs;
    expect(first).toBeInstanceOf(Uint8Array);
    const frames = [inner.unwrapped as MinAtarEnv].map((e) => e.pixels());
    let obs = first;
    for (let t = 0; t < 3; t++) {
      obs = env.step(0).obs;
      frames.push((inner.unwrapped as MinAtarEnv).pixels());
    }
    expect(obs).toBeInstanceOf(Uint8Array);
    expect(obs).toEqual(Uint8Array.from(frames.flatMap((f) => Array.from(f))));
    expect(env.observationSpace.contains(obs)).toBe(true);
    const zero = new FrameStackObservation(make("MinAtar/Breakout-v1"), {
      stackSize: 2,
      paddingType: "zero",
    });
    expect(Array.from(zero.reset({ seed: 0 }).obs.subarray(0, 400)).every((v) => v === 0)).toBe(true);
  });
});
