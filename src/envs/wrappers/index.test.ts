import { describe, expect, it } from "vitest";
import type { Env } from "../../core/env.js";
import { CountingEnv, EchoEnv } from "../testing-fakes.js";
import {
  ActionNoise,
  ClipAction,
  FrameStackObservation,
  NormalizeObservation,
  NormalizeReward,
  ObservationNoise,
  RecordEpisodeStatistics,
  StickyAction,
} from "./index.js";

const wrappers: Array<[string, (env: Env<Float32Array, number>) => Env<unknown, number>]> = [
  ["RecordEpisodeStatistics", (e) => new RecordEpisodeStatistics(e)],
  ["ObservationNoise", (e) => new ObservationNoise(e, { std: 0.1 })],
  ["ActionNoise", (e) => new ActionNoise(e, { p: 0.5 }) as Env<unknown, number>],
  ["StickyAction", (e) => new StickyAction(e, { p: 0.5 })],
  ["NormalizeObservation", (e) => new NormalizeObservation(e)],
  ["NormalizeReward", (e) => new NormalizeReward(e)],
  ["FrameStackObservation", (e) => new FrameStackObservation(e, { stackSize: 2 })],
];

describe("every wrapper", () => {
  it.each(wrappers)("%s forwards getState, unwrapped, spec and close", (_name, wrap) => {
    const inner = new CountingEnv({ episodeLength: 100 });
    inner.spec = { id: "Counting-v0", kwargs: {} };
    const env = wrap(inner);
    env.reset({ seed: 1 });
    for (let i = 0; i < 3; i++) env.step(1);
    expect(env.getState!()).toEqual(inner.getState());
    expect(env.unwrapped).toBe(inner);
    expect(env.spec?.id).toBe("Counting-v0");
    env.close();
    expect(inner.closed).toBe(true);
  });

  it("says which env has no state when the innermost env has none", () => {
    const env = new ClipAction(new EchoEnv());
    expect(() => env.getState()).toThrow(/EchoEnv has no internal state/);
  });
});
