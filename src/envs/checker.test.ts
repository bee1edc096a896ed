import { describe, expect, it } from "vitest";
import type { Env } from "../core/env.js";
import { RlDistillError } from "../core/errors.js";
import { checkEnv } from "./checker.js";
import { getRegistration, listEnvs, make } from "./registry.js";
import { BrokenEnv, type BrokenEnvDefect, CountingEnv } from "./testing-fakes.js";
import { ObservationNoise, RecordEpisodeStatistics, StickyAction } from "./wrappers/index.js";

describe("checkEnv", () => {
  it("finds at least the five classic-control envs registered", () => {
    expect(listEnvs().length).toBeGreaterThanOrEqual(5);
  });

  // Envs whose engine loads asynchronously (MuJoCo) are checked in their own tests.
  it.each(listEnvs().filter((id) => !getRegistration(id).prepare))(
    "passes %s through make() and unwrapped",
    (id) => {
      expect(checkEnv(make(id), { seed: 0, throwOnProblems: false })).toEqual([]);
      expect(checkEnv(make(id), { seed: 123, throwOnProblems: false })).toEqual([]);
      expect(
        checkEnv(getRegistration(id).create({}), { seed: 1, steps: 300, throwOnProblems: false }),
      ).toEqual([]);
    },
  );

  it("passes seeded wrappers around a real env", () => {
    const sticky = new RecordEpisodeStatistics(new StickyAction(make("CartPole-v1"), { p: 0.25, seed: 5 }));
    expect(checkEnv(sticky, { throwOnProblems: false })).toEqual([]);
    // Fresh observation noise cannot reproduce the noisy observation of a restored state.
    const noisy = () => new ObservationNoise(make("Pendulum-v1"), { std: 0.01, seed: 4 });
    expect(checkEnv(noisy(), { throwOnProblems: false })).toEqual([
      expect.stringMatching(/^reset\(\{ options: \{ state: getState\(\) \} \}\) gave observation/),
    ]);
    expect(checkEnv(noisy(), { throwOnProblems: false, checkState: false })).toEqual([]);
    expect(checkEnv(new CountingEnv(), { throwOnProblems: false })).toEqual([]);
  });

  const cases: Array<[BrokenEnvDefect, RegExp]> = [
    ["unseeded-reset", /twice gave different observations/],
    ["obs-out-of-space", /step\(\): observation .* is not in Box/],
    ["reward-not-number", /reward must be a number/],
    ["flags-not-boolean", /terminated must be a boolean/],
    ["state-not-restored", /reset\(\{ options: \{ state: getState\(\) \} \}\) gave observation/],
    ["close-throws", /close\(\) threw Error: close failed/],
    [
      "render-short-data",
      /render\(\) after reset\(\{ seed: 0 \}\): data has 5 bytes, width x height x 3 = 2 x 1 x 3 = 6/,
    ],
    [
      "render-float-data",
      /render\(\) after reset.*data must be a Uint8Array of RGB bytes, got "?Float32Array/,
    ],
    ["render-size-changes", /render\(\) changed size: 2 x 1 after reset, 3 x 1 at step 3/],
  ];
  it.each(cases)("catches a broken env: %s", (defect, message) => {
    const problems = checkEnv(new BrokenEnv([defect]), { throwOnProblems: false });
    expect(problems.some((p) => message.test(p))).toBe(true);
  });

  it("throws with every problem listed by default, and rejects non-Space spaces", () => {
    const broken = new BrokenEnv(["reward-not-number", "flags-not-boolean", "unseeded-reset"]);
    expect(() => checkEnv(broken)).toThrow(RlDistillError);
    try {
      checkEnv(new BrokenEnv(["reward-not-number", "flags-not-boolean"]));
    } catch (e) {
      expect((e as Error).message).toMatch(/2 problem\(s\)[\s\S]*reward[\s\S]*terminated/);
    }
    const fake = { ...new CountingEnv(), observationSpace: { contains: () => true }, close() {} };
    const problems = checkEnv(fake as unknown as Env<unknown, unknown>, { throwOnProblems: false });
    expect(problems[0]).toMatch(/observationSpace is not a Box, Discrete or MultiDiscrete/);
  });
});
