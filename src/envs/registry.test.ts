import { describe, expect, test } from "vitest";
import type { Env } from "../core/env.js";
import { ConfigError, InvalidActionError, ResetNeededError } from "../core/errors.js";
import { Box, Discrete } from "../core/spaces.js";
import { CartPoleEnv } from "./cartpole.js";
import { getRegistration, listEnvs, make } from "./registry.js";

const BUILTIN = ["Acrobot-v1", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"];

type AnyEnv = Env<Float32Array, unknown>;
const anyMake = (id: string, kw: Record<string, unknown> = {}): AnyEnv => make<Float32Array, unknown>(id, kw);

/** A linear controller that keeps CartPole up for the whole 500 steps from small starts. */
const balance = (o: Float32Array): number => (o[2]! + 0.5 * o[3]! + 0.01 * o[0]! + 0.1 * o[1]! > 0 ? 1 : 0);

describe("registry", () => {
  test("lists the built-in envs", () => {
    for (const id of BUILTIN) expect(listEnvs()).toContain(id);
  });

  test("an unknown id names the known ones", () => {
    expect(() => make("Cartpole-v1")).toThrow(ConfigError);
    try {
      make("NoSuchEnv-v0");
    } catch (e) {
      for (const id of BUILTIN) expect((e as Error).message).toContain(id);
    }
    expect(() => make("CartPole-v0")).toThrow(/did you mean CartPole-v1/);
  });

  test.each([
    ["CartPole-v1", 500, 475],
    ["Acrobot-v1", 500, -100],
    ["MountainCar-v0", 200, -110],
    ["MountainCarContinuous-v0", 999, 90],
    ["Pendulum-v1", 200, undefined],
  ])("%s spec: limit %s, threshold %s", (id, maxSteps, threshold) => {
    const env = make(id, {});
    expect(env.spec?.id).toBe(id);
    expect(env.spec?.maxEpisodeSteps).toBe(maxSteps);
    expect(env.spec?.rewardThreshold).toBe(threshold);
    expect(getRegistration(id).maxEpisodeSteps).toBe(maxSteps);
    expect(env.unwrapped.spec?.id).toBe(id);
  });

  test("spec keeps the kwargs, and maxEpisodeSteps can be overridden or removed", () => {
    expect(make("CartPole-v1", { length: 0.75 }).spec?.kwargs).toEqual({ length: 0.75 });
    expect(make("CartPole-v1", {}, { maxEpisodeSteps: 10 }).spec?.maxEpisodeSteps).toBe(10);
    expect(make("CartPole-v1", {}, { maxEpisodeSteps: null }).spec?.maxEpisodeSteps).toBeUndefined();
  });

  test("make passes kwargs to the env", () => {
    const env = make("CartPole-v1", { length: 0.75, gravity: 3 });
    const raw = env.unwrapped as CartPoleEnv;
    expect(raw).toBeInstanceOf(CartPoleEnv);
    expect(raw.length).toBe(0.75);
    expect(raw.gravity).toBe(3);
  });
});

describe("invalid kwargs name the field", () => {
  test.each(BUILTIN)("%s: unknown key lists the allowed ones", (id) => {
    expect(() => make(id, { polelength: 1 })).toThrow(ConfigError);
    expect(() => make(id, { polelength: 1 })).toThrow(/polelength: unknown option; allowed: \w+/);
  });

  test.each([
    ["CartPole-v1", "masspole", -0.1],
    ["CartPole-v1", "masscart", 0],
    ["CartPole-v1", "length", "long"],
    ["CartPole-v1", "tau", Number.NaN],
    ["CartPole-v1", "suttonBartoReward", "yes"],
    ["Acrobot-v1", "linkMass1", -1],
    ["Acrobot-v1", "torqueNoiseMax", -0.1],
    ["MountainCar-v0", "force", "strong"],
    ["MountainCarContinuous-v0", "power", -1],
    ["Pendulum-v1", "m", -1],
    ["Pendulum-v1", "dt", 0],
    ["Pendulum-v1", "g", null],
  ])("%s %s = %s", (id, key, value) => {
    let err: unknown;
    try {
      make(id, { [key]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toMatch(new RegExp(`\\.${key}$`));
    expect((err as Error).message).toContain(key);
  });
});

describe("reset/step protocol", () => {
  test.each(BUILTIN)("%s: step before reset", (id) => {
    const env = anyMake(id);
    expect(() => env.step(env.actionSpace.sample())).toThrow(ResetNeededError);
    expect(() => env.step(env.actionSpace.sample())).toThrow(/before reset/);
    // The raw env guards itself too.
    const raw = env.unwrapped;
    expect(() => raw.step(raw.actionSpace.sample())).toThrow(ResetNeededError);
  });

  test("step after terminated without reset", () => {
    const env = make<Float32Array, number>("CartPole-v1");
    env.reset({ seed: 0 });
    let r = env.step(1);
    while (!r.terminated) r = env.step(1);
    expect(r.truncated).toBe(false);
    expect(() => env.step(1)).toThrow(ResetNeededError);
    expect(() => env.step(1)).toThrow(/after the episode ended/);
    env.reset();
    expect(() => env.step(1)).not.toThrow();
  });

  test("CartPole is truncated by TimeLimit at step 500, counted from each reset", () => {
    const env = make<Float32Array, number>("CartPole-v1");
    const episodeLength = (): number => {
      let { obs } = env.reset({ seed: 3 });
      let total = 0;
      for (let t = 1; ; t++) {
        const r = env.step(balance(obs));
        total += r.reward;
        obs = r.obs;
        if (r.terminated || r.truncated) {
          expect(r.truncated).toBe(true);
          expect(r.terminated).toBe(false);
          expect(total).toBe(t);
          return t;
        }
      }
    };
    expect(episodeLength()).toBe(500);
    expect(() => env.step(0)).toThrow(ResetNeededError);
    env.reset({ seed: 0 });
    for (let t = 0; t < 10; t++) env.step(t % 2);
    expect(episodeLength()).toBe(500);
  });
});

describe("actions outside the action space", () => {
  const discrete: Array<[string, unknown]> = [
    ["CartPole-v1", 2],
    ["CartPole-v1", -1],
    ["CartPole-v1", 0.5],
    ["CartPole-v1", "1"],
    ["CartPole-v1", [1]],
    ["CartPole-v1", Float32Array.of(1)],
    ["CartPole-v1", Number.NaN],
    ["CartPole-v1", undefined],
    ["Acrobot-v1", 3],
    ["MountainCar-v0", true],
  ];
  test.each(discrete)("%s rejects %s", (id, action) => {
    const env = anyMake(id);
    env.reset({ seed: 0 });
    expect(() => env.step(action)).toThrow(InvalidActionError);
    expect(() => env.step(action)).toThrow(
      /not in the action space Discrete\(\d\); allowed: an integer from 0 to \d$/,
    );
    // The episode is still usable after a rejected action.
    expect(() => env.step(0)).not.toThrow();
  });

  test("raw discrete envs reject bad actions even with the wrapper's check off", () => {
    const env = make("CartPole-v1", {}, { disableActionCheck: true });
    env.reset({ seed: 0 });
    expect(() => env.step(2)).toThrow(InvalidActionError);
    expect(() => env.step(2)).toThrow(/CartPole: action 2 is not in Discrete\(2\)/);
  });

  const continuous: Array<[string, unknown]> = [
    ["Pendulum-v1", Float32Array.of(2.5)],
    ["Pendulum-v1", Float32Array.of(0, 0)],
    ["Pendulum-v1", new Float32Array(0)],
    ["Pendulum-v1", Float32Array.of(Number.NaN)],
    ["Pendulum-v1", 1],
    ["Pendulum-v1", "1"],
    ["MountainCarContinuous-v0", Float32Array.of(-1.5)],
    ["MountainCarContinuous-v0", [[0.5]]],
  ];
  test.each(continuous)("%s rejects %s", (id, action) => {
    const env = anyMake(id);
    env.reset({ seed: 0 });
    expect(() => env.step(action)).toThrow(InvalidActionError);
    expect(() => env.step(action)).toThrow(
      /not in the action space Box\(.*; allowed: a number array \(Float32Array or number\[\]\) of shape \[1\] within Box\(/,
    );
  });

  test("plain arrays inside the bounds are accepted for Box actions", () => {
    const env = anyMake("Pendulum-v1");
    env.reset({ seed: 0 });
    expect(() => env.step([1.5])).not.toThrow();
  });
});

describe("reset options are checked", () => {
  test.each([
    [{ state: [0, 0, 0] }, /expected 4 numbers \[x, xDot, theta, thetaDot\], got 3/],
    [{ state: [0, 0, Number.NaN, 0] }, /theta \(entry 2\) must be a finite number/],
    [{ state: "0,0,0,0" }, /expected an array/],
    [{ state: [0, 0, 0, 0], low: -1 }, /cannot be combined with options.low/],
    [{ low: 0.1, high: -0.1 }, /low: 0.1 must be <= high/],
    [{ low: "0" }, /low: expected a finite number/],
    [{ stat: [0, 0, 0, 0] }, /stat: unknown option; allowed: low, high, state/],
  ])("CartPole %j", (options, message) => {
    const env = make("CartPole-v1");
    expect(() => env.reset({ options })).toThrow(ConfigError);
    expect(() => env.reset({ options })).toThrow(message);
  });

  test("a non-integer seed is refused", () => {
    expect(() => make("CartPole-v1").reset({ seed: 1.5 })).toThrow(/reset.seed: expected an integer/);
  });
});

describe("every built-in env keeps the Env contract", () => {
  test.each(BUILTIN)("%s: spaces, fresh observations, determinism under a seed", (id) => {
    const rollout = (): { obs: number[][]; rewards: number[]; states: number[][] } => {
      const env = anyMake(id);
      env.actionSpace.seed(5);
      const out = { obs: [] as number[][], rewards: [] as number[], states: [] as number[][] };
      let { obs } = env.reset({ seed: 11 });
      const seen = new Set<Float32Array>();
      for (let t = 0; t < 300; t++) {
        expect(obs).toBeInstanceOf(Float32Array);
        expect(seen.has(obs)).toBe(false);
        seen.add(obs);
        expect(env.observationSpace.contains(obs), `${id} obs ${obs} outside ${env.observationSpace}`).toBe(
          true,
        );
        out.obs.push(Array.from(obs));
        out.states.push(env.getState!());
        const r = env.step(env.actionSpace.sample());
        expect(typeof r.reward).toBe("number");
        out.rewards.push(r.reward);
        obs = r.terminated || r.truncated ? env.reset().obs : r.obs;
      }
      return out;
    };
    const a = rollout();
    expect(rollout()).toEqual(a);
  });

  test.each(BUILTIN)("%s: same seed same start, later resets continue the stream", (id) => {
    const env = anyMake(id);
    const first = Array.from(env.reset({ seed: 42 }).obs);
    const second = Array.from(env.reset().obs);
    expect(second).not.toEqual(first);
    expect(Array.from(env.reset({ seed: 42 }).obs)).toEqual(first);
    expect(Array.from(env.reset().obs)).toEqual(second);
    expect(Array.from(env.reset({ seed: 43 }).obs)).not.toEqual(first);
  });

  test.each(BUILTIN)("%s: getState returns a copy, and options.state round-trips it", (id) => {
    const env = anyMake(id);
    env.reset({ seed: 1 });
    env.step(env.actionSpace.sample());
    const state = env.getState!();
    state[0] = 123;
    expect(env.getState!()[0]).not.toBe(123);
    const s = env.getState!();
    const again = anyMake(id);
    again.reset({ options: { state: s } });
    expect(again.getState!()).toEqual(s);
  });

  test.each(BUILTIN)("%s: spaces have the Gymnasium types", (id) => {
    const env = anyMake(id);
    expect(env.observationSpace).toBeInstanceOf(Box);
    expect((env.observationSpace as Box).dtype).toBe("float32");
    const discrete = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"].includes(id);
    expect(env.actionSpace).toBeInstanceOf(discrete ? Discrete : Box);
  });
});
