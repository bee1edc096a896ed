import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { CountingEnv, EchoEnv } from "../testing-fakes.js";
import { ClipAction } from "./clip-action.js";

describe("ClipAction", () => {
  it("clips to the inner bounds and exposes an unbounded action space", () => {
    const env = new ClipAction(new EchoEnv({ low: -2, high: 1 }));
    expect(env.actionSpace.low[0]).toBe(-Infinity);
    expect(env.actionSpace.contains([1e9, -1e9])).toBe(true);
    env.reset();
    const action = [5, -5];
    expect(Array.from(env.step(action).obs)).toEqual([1, -2]);
    expect(Array.from(env.step([0.5, -1.5]).obs)).toEqual([0.5, -1.5]);
    expect(action).toEqual([5, -5]);
  });

  it("needs a Box action space", () => {
    expect(() => new ClipAction(new CountingEnv())).toThrow(ConfigError);
    expect(() => new ClipAction(new CountingEnv())).toThrow(/ClipAction\.actionSpace/);
  });
});
