/**
 * The MuJoCo envs: each one's observation layout, reward terms and termination rules on
 * hand-computed cases, reset noise, kwargs validation, physics kwargs, determinism and the env
 * checker. Trajectories recorded from Gymnasium itself are replayed in conformance.test.ts.
 */
import { beforeAll, describe, expect, test } from "vitest";
import type { Env } from "../../core/env.js";
import { checkEnv } from "../checker.js";
import { make, prepareEnv } from "../registry.js";
import { makeVec } from "../vector/make-vec.js";
import { AntEnv } from "./ant.js";
import { HalfCheetahEnv } from "./half-cheetah.js";
import { HopperEnv } from "./hopper.js";
import { InvertedDoublePendulumEnv } from "./inverted-double-pendulum.js";
import { InvertedPendulumEnv } from "./inverted-pendulum.js";
import { ReacherEnv } from "./reacher.js";
import { Walker2dEnv } from "./walker2d.js";

type BoxEnv = Env<Float32Array, Float32Array>;
const IDS = [
  "InvertedPendulum-v5",
  "InvertedDoublePendulum-v5",
  "Reacher-v5",
  "HalfCheetah-v5",
  "Hopper-v5",
  "Walker2d-v5",
  "Ant-v5",
];
const zeros = (n: number): Float32Array => new Float32Array(n);
const f32 = (xs: number[]): number[] => xs.map(Math.fround);

beforeAll(async () => {
  await prepareEnv("Hopper-v5");
});

describe("spaces, step limits and dt (Gymnasium's registrations and XML timesteps x frame_skip)", () => {
  const cases: Array<[string, number, number, number, number]> = [
    // id, obs size, action size, max steps, dt
    ["InvertedPendulum-v5", 4, 1, 1000, 0.04],
    ["InvertedDoublePendulum-v5", 9, 1, 1000, 0.05],
    ["Reacher-v5", 10, 2, 50, 0.02],
    ["HalfCheetah-v5", 17, 6, 1000, 0.05],
    ["Hopper-v5", 11, 3, 1000, 0.008],
    ["Walker2d-v5", 17, 6, 1000, 0.008],
    ["Ant-v5", 105, 8, 1000, 0.05],
  ];
  test.each(cases)("%s", (id, obsSize, actSize, maxSteps, dt) => {
    const env = make<Float32Array, Float32Array>(id);
    expect(env.observationSpace.shape).toEqual([obsSize]);
    expect(env.actionSpace.shape).toEqual([actSize]);
    expect(env.spec?.maxEpisodeSteps).toBe(maxSteps);
    expect((env.unwrapped as unknown as { dt: number }).dt).toBeCloseTo(dt, 12);
    expect(env.reset({ seed: 0 }).obs.length).toBe(obsSize);
    env.close();
  });
});

describe("InvertedPendulum-v5", () => {
  test("obs is [qpos, qvel]; reward 1 while |angle| <= 0.2, 0 and terminated past it", () => {
    const env = new InvertedPendulumEnv();
    const { obs } = env.reset({ options: { state: [0.1, 0.05, -0.2, 0.3] } });
    expect(Array.from(obs)).toEqual(f32([0.1, 0.05, -0.2, 0.3]));
    const r = env.step(zeros(1));
    expect(Array.from(r.obs)).toEqual(f32(env.getState()));
    expect([r.reward, r.terminated]).toEqual([1, false]);
    env.reset({ options: { state: { qpos: [0, 0.25], qvel: [0, 0] } } });
    const fell = env.step(zeros(1));
    expect([fell.reward, fell.terminated]).toEqual([0, true]);
  });

  test("reset draws qpos and qvel uniformly within +-resetNoiseScale", () => {
    const env = new InvertedPendulumEnv({ resetNoiseScale: 0.05 });
    env.reset({ seed: 3 });
    let lo = 1;
    let hi = -1;
    for (let i = 0; i < 200; i++) {
      env.reset();
      for (const v of env.getState()) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    expect(lo).toBeGreaterThanOrEqual(-0.05);
    expect(hi).toBeLessThanOrEqual(0.05);
    expect(lo).toBeLessThan(-0.045);
    expect(hi).toBeGreaterThan(0.045);
  });
});

describe("InvertedDoublePendulum-v5", () => {
  test("obs layout; upright: tip at 1.2 m, reward 10 - (1.2 - 2)^2 - tiny velocity terms", () => {
    const env = new InvertedDoublePendulumEnv();
    const { obs } = env.reset({ options: { state: [0.1, 0.3, -0.2, 1, 2, 3] } });
    expect(Array.from(obs).slice(0, 8)).toEqual(
      f32([0.1, Math.sin(0.3), Math.sin(-0.2), Math.cos(0.3), Math.cos(-0.2), 1, 2, 3]),
    );
    env.reset({ options: { state: [0, 0, 0, 0, 0, 0] } });
    const r = env.step(zeros(1));
    expect(r.terminated).toBe(false);
    expect(r.reward).toBeCloseTo(10 - 0.64, 3);
    expect(r.info["distance_penalty"]).toBeCloseTo(-0.64, 3);
  });

  test("velocities and the constraint force are clipped to +-10 in the observation", () => {
    const env = new InvertedDoublePendulumEnv();
    const { obs } = env.reset({ options: { state: [0, 0, 0, 50, -50, 0] } });
    expect(Array.from(obs).slice(5, 8)).toEqual([10, -10, 0]);
  });

  test("terminated, with no alive bonus, once the tip is at or below 1 m", () => {
    const env = new InvertedDoublePendulumEnv();
    env.reset({ options: { state: [0, 1.2, 0, 0, 0, 0] } }); // tip at about 1.2 cos(1.2) = 0.43 m
    const r = env.step(zeros(1));
    expect(r.terminated).toBe(true);
    expect(r.info["reward_survive"]).toBe(0);
    expect(r.reward).toBeLessThan(0);
  });
});

describe("Reacher-v5", () => {
  test("obs layout, reward -|tip - target| - |a|^2, never terminates, target in the 0.2 disc", () => {
    const env = new ReacherEnv();
    env.reset({ seed: 1 });
    for (let i = 0; i < 100; i++) {
      const s = env.getState();
      expect(Math.hypot(s[2]!, s[3]!)).toBeLessThan(0.2);
      expect([s[6], s[7]]).toEqual([0, 0]);
      env.reset();
    }
    const { obs } = env.reset({ options: { state: [0.4, -0.7, 0.05, 0.1, 0.2, -0.1, 0, 0] } });
    expect(Array.from(obs).slice(0, 8)).toEqual(
      f32([Math.cos(0.4), Math.cos(-0.7), Math.sin(0.4), Math.sin(-0.7), 0.05, 0.1, 0.2, -0.1]),
    );
    // The fingertip is 0.1 + 0.11 m along the arm: its offset to the target follows from the angles.
    const tipX = 0.1 * Math.cos(0.4) + 0.11 * Math.cos(0.4 - 0.7);
    const tipY = 0.1 * Math.sin(0.4) + 0.11 * Math.sin(0.4 - 0.7);
    expect(obs[8]).toBeCloseTo(tipX - 0.05, 6);
    expect(obs[9]).toBeCloseTo(tipY - 0.1, 6);
    const a = Float32Array.from([0.5, -0.25]);
    const r = env.step(a);
    const d = Math.hypot(r.info["reward_dist"] as number);
    expect(r.info["reward_ctrl"]).toBeCloseTo(-(0.25 + 0.0625), 12);
    expect(r.reward).toBeCloseTo(-d - 0.3125, 12);
    expect(-d).toBeCloseTo(-Math.hypot(r.obs[8]!, r.obs[9]!), 6); // the tip and target share z
    expect(r.terminated).toBe(false);
  });
});

describe("HalfCheetah-v5", () => {
  test("obs drops root x; reward = dx/dt - 0.1 |a|^2; no termination", () => {
    const env = new HalfCheetahEnv();
    env.reset({ seed: 0 });
    const before = env.getState();
    const a = Float32Array.from([1, -1, 0.5, 0, 0, 0]);
    const r = env.step(a);
    const after = env.getState();
    expect(Array.from(r.obs)).toEqual(f32(after.slice(1)));
    const forward = (after[0]! - before[0]!) / 0.05;
    expect(r.reward).toBeCloseTo(forward - 0.225, 12);
    expect(r.info["reward_ctrl"]).toBeCloseTo(-0.225, 12);
    expect(r.terminated).toBe(false);
    const withX = new HalfCheetahEnv({
      excludeCurrentPositionsFromObservation: false,
      forwardRewardWeight: 0,
    });
    const { obs } = withX.reset({ seed: 0 });
    expect(obs.length).toBe(18);
    expect(Array.from(obs)).toEqual(f32(withX.getState()));
    expect(withX.step(a).reward).toBeCloseTo(-0.225, 12);
  });

  test("reset: qpos uniform within +-0.1, qvel Gaussian with std 0.1", () => {
    const env = new HalfCheetahEnv();
    env.reset({ seed: 5 });
    const vel: number[] = [];
    for (let i = 0; i < 300; i++) {
      const s = env.getState();
      const q = s.slice(0, 9);
      expect(Math.max(...q.map((v, j) => Math.abs(v - env.initQpos[j]!)))).toBeLessThanOrEqual(0.1);
      vel.push(...s.slice(9));
      env.reset();
    }
    const mean = vel.reduce((x, y) => x + y, 0) / vel.length;
    const std = Math.sqrt(vel.reduce((x, y) => x + (y - mean) ** 2, 0) / vel.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeGreaterThan(0.095);
    expect(std).toBeLessThan(0.105);
    expect(Math.max(...vel.map(Math.abs))).toBeGreaterThan(0.3); // not uniform in +-0.1
  });

  test("the published body masses (settotalmass 14)", () => {
    const env = new HalfCheetahEnv();
    const mass = Array.from((env as unknown as { model: { body_mass: Float64Array } }).model.body_mass);
    expect(mass.reduce((x, y) => x + y, 0)).toBeCloseTo(14, 10);
    expect(mass[1]).toBeCloseTo(6.25, 2); // torso + head
  });
});

describe("Hopper-v5 and Walker2d-v5", () => {
  const standing = [0, 1.25, 0, 0, 0, 0];
  test("Hopper: obs = qpos[1:] and qvel clipped to +-10", () => {
    const env = new HopperEnv();
    const { obs } = env.reset({ options: { state: [...standing, 1, 2, 3, 40, -40, 5] } });
    expect(Array.from(obs)).toEqual(f32([1.25, 0, 0, 0, 0, 1, 2, 3, 10, -10, 5]));
  });

  test("Hopper: healthy reward 1 while standing; falls below z 0.7 or past pitch 0.2 terminate", () => {
    const env = new HopperEnv();
    env.reset({ options: { state: [...standing, 0, 0, 0, 0, 0, 0] } });
    const a = Float32Array.from([0.5, 0.5, 0.5]);
    const before = env.getState()[0]!;
    const r = env.step(a);
    const forward = (env.getState()[0]! - before) / 0.008;
    expect(r.terminated).toBe(false);
    expect(r.reward).toBeCloseTo(forward + 1 - 1e-3 * 0.75, 12);
    for (const bad of [
      [0, 0.65, 0, 0, 0, 0], // z below 0.7
      [0, 1.25, 0.3, 0, 0, 0], // pitch above 0.2
    ]) {
      env.reset({ options: { state: [...bad, 0, 0, 0, 0, 0, 0] } });
      const fell = env.step(zeros(3));
      expect(fell.terminated).toBe(true);
      expect(fell.info["reward_survive"]).toBe(0);
    }
    // healthyStateRange covers the velocities (unclipped): 150 rad/s at the foot is unhealthy.
    env.reset({ options: { state: [...standing, 0, 0, 0, 0, 0, 150] } });
    expect(env.isHealthy()).toBe(false);
    const lenient = new HopperEnv({ terminateWhenUnhealthy: false, healthyZRange: [0.5, null] });
    lenient.reset({ options: { state: [0, 0.65, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] } });
    expect(lenient.isHealthy()).toBe(true);
    lenient.reset({ options: { state: [0, 1.25, 0.3, 0, 0, 0, 0, 0, 0, 0, 0, 0] } });
    const r2 = lenient.step(zeros(3));
    expect([r2.terminated, r2.info["reward_survive"]]).toEqual([false, 0]);
  });

  test("Walker2d: healthy z in (0.8, 2.0) and pitch in (-1, 1); reset noise uniform 5e-3", () => {
    const env = new Walker2dEnv();
    const rest = [0, 1.25, 0, 0, 0, 0, 0, 0, 0];
    const vel = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    env.reset({ options: { state: [...rest, ...vel] } });
    expect(env.isHealthy()).toBe(true);
    for (const [z, pitch] of [
      [2.05, 0],
      [0.79, 0],
      [1.25, 1.05],
    ]) {
      env.reset({ options: { state: [0, z!, pitch!, 0, 0, 0, 0, 0, 0, ...vel] } });
      expect(env.isHealthy()).toBe(false);
    }
    env.reset({ seed: 2 });
    for (let i = 0; i < 50; i++) {
      const s = env.reset().obs;
      expect(s[0]).toBeGreaterThanOrEqual(1.25 - 5e-3);
      expect(s[0]).toBeLessThanOrEqual(1.25 + 5e-3);
      for (const v of s.slice(8)) expect(Math.abs(v)).toBeLessThanOrEqual(Math.fround(5e-3));
    }
  });
});

describe("Ant-v5", () => {
  test("obs = qpos[2:], qvel, clipped cfrc_ext of bodies 1..13; contact cost on the clipped forces", () => {
    const env = new AntEnv();
    env.reset({ seed: 0 });
    let r = env.step(zeros(8));
    for (let i = 0; i < 20; i++) r = env.step(zeros(8)); // lands: contact forces appear
    const s = env.getState();
    const forces = env.contactForces();
    expect(Array.from(r.obs)).toEqual(f32([...s.slice(2), ...forces.subarray(6)]));
    expect(Math.max(...forces.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(forces.some((v) => v !== 0)).toBe(true);
    const sq = forces.reduce((x, v) => x + v * v, 0);
    expect(r.info["reward_contact"]).toBeCloseTo(-5e-4 * sq, 15);
    const { x_velocity: vx, reward_contact: contact } = r.info as Record<string, number>;
    expect(r.reward).toBeCloseTo(vx + 1 - 0 + contact, 12);
    expect(new AntEnv({ includeCfrcExtInObservation: false }).observationSpace.shape).toEqual([27]);
    expect(new AntEnv({ excludeCurrentPositionsFromObservation: false }).observationSpace.shape).toEqual([
      107,
    ]);
  });

  test("healthy z in the closed range [0.2, 1.0]", () => {
    const env = new AntEnv();
    const state = (z: number): number[] => [0, 0, z, 1, 0, 0, 0, ...zeros(8), ...zeros(14)];
    for (const [z, ok] of [
      [1.0, true],
      [0.2, true],
      [1.01, false],
      [0.19, false],
    ] as const) {
      env.reset({ options: { state: state(z) } });
      expect(env.isHealthy(), `z=${z}`).toBe(ok);
    }
  });
});

describe("kwargs and physics", () => {
  test("bad kwargs are refused naming the field", () => {
    expect(() => new HopperEnv({ healthyZRange: [2, 1] })).toThrow(/Hopper\.healthyZRange/);
    expect(() => new HopperEnv({ ctrlCostWeight: "x" as unknown as number })).toThrow(
      /Hopper\.ctrlCostWeight/,
    );
    expect(() => make("Walker2d-v5", { healthyStateRange: [0, 1] })).toThrow(
      /Walker2d\.healthyStateRange.*unknown/,
    );
    expect(() => make("Ant-v5", { mainBody: "nose" })).toThrow(/no body named "nose"/);
    expect(() => make("Hopper-v5", { frameSkip: 0 })).toThrow(/Hopper\.frameSkip/);
    const env = make<Float32Array, Float32Array>("Hopper-v5");
    expect(() => env.reset({ options: { state: [1, 2] } })).toThrow(/Hopper\.reset\.options\.state/);
    expect(() => env.reset({ options: { state: { qpos: [0, 1, 0, 0, 0, 0], qvel: [0] } } })).toThrow(
      /state\.qvel/,
    );
  });

  test("massScale, frictionScale and gravity change the model; frameSkip changes dt", () => {
    const base = new HopperEnv();
    const heavy = new HopperEnv({ massScale: 2, frictionScale: 0.5, gravity: 3, frameSkip: 8 });
    type M = {
      model: { body_mass: Float64Array; geom_friction: Float64Array; opt: { gravity: Float64Array } };
    };
    const m0 = (base as unknown as M).model;
    const m1 = (heavy as unknown as M).model;
    expect(m1.body_mass[1]).toBeCloseTo(2 * m0.body_mass[1]!, 12);
    expect(m1.geom_friction[3]).toBeCloseTo(0.5 * m0.geom_friction[3]!, 12);
    expect(Array.from(m1.opt.gravity)).toEqual([0, 0, -3]);
    expect(heavy.dt).toBeCloseTo(0.016, 12);
    // The scaled model keeps the reference configuration: resets start standing, as the nominal one.
    expect(Array.from(heavy.initQpos)).toEqual(Array.from(base.initQpos));
    expect(heavy.initQpos[1]).toBeCloseTo(1.25, 12);
    // Weaker gravity: after 0.2 s of free fall from 3 m (0.196 m at 9.81, 0.06 m at 3), higher.
    const start = { state: [0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] };
    const light = new HopperEnv({ gravity: 3 });
    base.reset({ options: start });
    light.reset({ options: start });
    for (let i = 0; i < 25; i++) {
      base.step(zeros(3));
      light.step(zeros(3));
    }
    expect(base.getState()[1]!).toBeCloseTo(3 - 0.5 * 9.81 * 0.2 ** 2, 2);
    expect(light.getState()[1]!).toBeCloseTo(3 - 0.5 * 3 * 0.2 ** 2, 2);
  });
});

describe("every MuJoCo env", () => {
  test.each(IDS)("%s passes checkEnv and is deterministic under a seed", (id) => {
    // Reacher's observation uses body positions that MuJoCo last computed at the start of the final
    // physics step (as in Gymnasium, which does not run mj_forward after stepping); a state restored
    // by reset() recomputes them, so its observation differs in the 7th digit.
    checkEnv(make(id), { seed: 1, steps: 60, checkState: id !== "Reacher-v5" });
    const run = (): number[] => {
      const env = make<Float32Array, Float32Array>(id);
      env.actionSpace.seed(4);
      const out = Array.from(env.reset({ seed: 9 }).obs);
      for (let i = 0; i < 30; i++) {
        const r = env.step(env.actionSpace.sample());
        out.push(r.reward, ...r.obs);
        if (r.terminated || r.truncated) out.push(...env.reset().obs);
      }
      env.close();
      return out;
    };
    expect(run()).toEqual(run());
  });

  test.each(IDS)("%s renders a picture that changes as the body moves", (id) => {
    const env = make<Float32Array, Float32Array>(id) as BoxEnv;
    env.reset({ seed: 0 });
    const a = env.render!();
    expect(a.data.length).toBe(a.width * a.height * 3);
    env.actionSpace.seed(0);
    for (let i = 0; i < 10; i++) if (env.step(env.actionSpace.sample()).terminated) break;
    const b = env.render!();
    let changed = 0;
    for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) changed++;
    expect(changed).toBeGreaterThan(30);
  });
});

test("worker vector envs load the engine in each worker", () => {
  const venv = makeVec("Hopper-v5", 2, { mode: "worker", numWorkers: 1, seed: 0 });
  try {
    const { obs } = venv.reset();
    expect(obs.length).toBe(22);
    const step = venv.step(new Float32Array(6));
    expect(Array.from(step.rewards).every((r) => r > 0.5)).toBe(true); // healthy reward while standing
  } finally {
    venv.close();
  }
});
