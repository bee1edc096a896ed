/**
 * The classic-control pictures, through the envs and `make()`: sizes, known pixels of known states
 * (Gymnasium's geometry), frames that follow the state, determinism, and `renderMode` in make().
 */
import { describe, expect, test } from "vitest";
import type { Env, RgbFrame } from "../../core/env.js";
import { ConfigError, ResetNeededError } from "../../core/errors.js";
import { AcrobotEnv } from "../acrobot.js";
import { CartPoleEnv } from "../cartpole.js";
import { MountainCarEnv } from "../mountain-car.js";
import { MountainCarContinuousEnv } from "../mountain-car-continuous.js";
import { PendulumEnv } from "../pendulum.js";
import { make, register } from "../registry.js";
import { CountingEnv } from "../testing-fakes.js";

type AnyEnv = Env<Float32Array, unknown>;

const SIZES: [string, number, number, unknown][] = [
  ["CartPole-v1", 600, 400, 1],
  ["Acrobot-v1", 500, 500, 2],
  ["MountainCar-v0", 600, 400, 2],
  ["MountainCarContinuous-v0", 600, 400, Float32Array.of(1)],
  ["Pendulum-v1", 500, 500, Float32Array.of(2)],
];

function px(f: RgbFrame, x: number, y: number): number[] {
  const i = (Math.floor(y) * f.width + Math.floor(x)) * 3;
  return [f.data[i]!, f.data[i + 1]!, f.data[i + 2]!];
}

const WHITE = [255, 255, 255];
const BLACK = [0, 0, 0];

describe("render() of the classic-control envs", () => {
  test.each(SIZES)(
    "%s: %i x %i frames that follow the state, the same for the same seed",
    (id, w, h, action) => {
      const env = make(id, { renderMode: "rgb_array" }) as AnyEnv;
      const twin = make(id) as AnyEnv;
      env.reset({ seed: 3 });
      twin.reset({ seed: 3 });
      const first = env.render!();
      expect([first.width, first.height, first.data.length]).toEqual([w, h, w * h * 3]);
      expect(Buffer.compare(first.data, twin.render!().data)).toBe(0);
      for (let i = 0; i < 5; i++) {
        env.step(action);
        twin.step(action);
      }
      const later = env.render!();
      expect(Buffer.compare(later.data, first.data), "the picture moved").not.toBe(0);
      expect(Buffer.compare(later.data, twin.render!().data)).toBe(0);
      // Every picture is drawn on white, with a handful of colours (no anti-aliasing).
      expect(px(later, 0, 0)).toEqual(WHITE);
    },
  );

  test("render() before reset() says so", () => {
    for (const env of [
      new CartPoleEnv(),
      new AcrobotEnv(),
      new MountainCarEnv(),
      new MountainCarContinuousEnv(),
      new PendulumEnv(),
    ]) {
      expect(() => env.render()).toThrow(ResetNeededError);
      expect(() => env.render()).toThrow(/render\(\) called before reset\(\)/);
    }
  });

  test("CartPole: cart at 300 + 125 x px, axle 7.5 px above its centre, pole tilting with theta", () => {
    const env = new CartPoleEnv();
    env.reset({ options: { state: [0, 0, 0, 0] } });
    let f = env.render();
    expect(px(f, 300, 305)).toEqual(BLACK); // cart body (rows 285-315)
    expect(px(f, 300, 200)).toEqual([202, 152, 101]); // upright pole, 125 px long
    expect(px(f, 300, 292)).toEqual([129, 132, 203]); // axle
    // The ground line at y = 100 up from the bottom: row 299 (Gymnasium flips its surface, row r -> 399 - r).
    expect(px(f, 10, 299)).toEqual(BLACK);
    expect(px(f, 10, 298)).toEqual(WHITE);
    expect(px(f, 10, 300)).toEqual(WHITE);
    expect(px(f, 300, 170)).toEqual(WHITE); // above the pole's top
    env.reset({ options: { state: [1, 0, 0.3, 0] } });
    f = env.render();
    expect(px(f, 425, 305)).toEqual(BLACK);
    expect(px(f, 300, 305)).toEqual(WHITE);
    // Leaning right by 0.3 rad: 100 px up the pole is sin(0.3) * 100 = 29.6 px right of the axle.
    expect(px(f, 425 + 29.6, 292.5 - 100 * Math.cos(0.3))).toEqual([202, 152, 101]);
    expect(px(f, 425 - 29.6, 292.5 - 100 * Math.cos(0.3))).toEqual(WHITE);
    // A longer pole draws longer.
    const long = new CartPoleEnv({ length: 1 });
    long.reset({ options: { state: [0, 0, 0, 0] } });
    expect(px(long.render(), 300, 100)).toEqual([202, 152, 101]);
  });

  test("Acrobot: links hang from the centre at rest and rise with theta1; the target line one link above", () => {
    const env = new AcrobotEnv();
    env.reset({ options: { state: [0, 0, 0, 0] } });
    let f = env.render();
    const scale = 500 / 4.4;
    expect(px(f, 250, 250)).toEqual([204, 204, 0]); // the pivot's joint
    expect(px(f, 250, 250 + 0.6 * scale)).toEqual([0, 204, 204]); // link 1, straight down
    expect(px(f, 250, 250 + 1.6 * scale)).toEqual([0, 204, 204]); // link 2 below it
    expect(px(f, 250, 250 - 0.6 * scale)).toEqual(WHITE);
    expect(px(f, 30, 250 - scale)).toEqual(BLACK); // the line the tip must cross
    env.reset({ options: { state: [Math.PI, 0, 0, 0] } });
    f = env.render();
    expect(px(f, 250, 250 - 0.6 * scale)).toEqual([0, 204, 204]);
    expect(px(f, 250, 250 + 0.6 * scale)).toEqual(WHITE);
  });

  test("MountainCar: the car sits on the hill at its position, the flag at the goal", () => {
    const scale = 600 / 1.8;
    const hill = (x: number): number => Math.sin(3 * x) * 0.45 + 0.55;
    for (const [env, goal] of [
      [new MountainCarEnv(), 0.5],
      [new MountainCarContinuousEnv(), 0.45],
    ] as const) {
      env.reset({ options: { state: [-0.5, 0] } });
      const f = env.render();
      const cx = (-0.5 + 1.2) * scale;
      // 10 px clearance plus half the 20 px body above the track, tilted by cos(1.5) = 0.07 rad.
      expect(px(f, cx, 400 - (hill(-0.5) * scale + 20))).toEqual(BLACK);
      expect(px(f, cx + 10, 400 - (hill(-0.5) * scale + 10))).toEqual([128, 128, 128]); // a wheel
      const fx = Math.trunc((goal + 1.2) * scale);
      const fy = Math.trunc(hill(goal) * scale) + 45;
      expect(px(f, fx + 5, 400 - fy)).toEqual([204, 204, 0]); // the flag
      env.reset({ options: { state: [0.3, 0] } });
      expect(px(env.render(), cx, 400 - (hill(-0.5) * scale + 20))).toEqual(WHITE);
    }
  });

  test("Pendulum: the rod points up at theta 0, down at pi; the torque arrow shows after a step", () => {
    const env = new PendulumEnv();
    env.reset({ options: { state: [0, 0] } });
    let f = env.render();
    const scale = 500 / 4.4;
    expect(px(f, 250, 250 - 0.6 * scale)).toEqual([204, 77, 77]);
    expect(px(f, 250, 250 + 0.6 * scale)).toEqual(WHITE);
    expect(px(f, 250, 250)).toEqual(BLACK); // the axle
    const ring = (fr: RgbFrame): number => {
      // Black pixels on a circle of radius ~ scale / 4 around the axle: the arrow at full torque.
      let n = 0;
      for (let a = 0; a < 64; a++) {
        const p = px(fr, 250 + 0.25 * scale * Math.cos(a / 10), 250 + 0.25 * scale * Math.sin(a / 10));
        if (p.join() === BLACK.join()) n++;
      }
      return n;
    };
    expect(ring(f)).toBe(0);
    env.step(Float32Array.of(2));
    f = env.render();
    expect(ring(f)).toBeGreaterThan(20);
    env.reset({ options: { state: [Math.PI, 0] } });
    f = env.render();
    expect(px(f, 250, 250 + 0.6 * scale)).toEqual([204, 77, 77]);
    expect(ring(f)).toBe(0);
  });
});

describe("make(id, { renderMode })", () => {
  test("accepts rgb_array for every built-in env and keeps it in the spec", () => {
    for (const [id] of SIZES) {
      const env = make(id, { renderMode: "rgb_array" });
      expect(env.spec?.kwargs).toEqual({ renderMode: "rgb_array" });
    }
  });

  test("any other value is refused, naming the field and the allowed values", () => {
    for (const bad of ["human", "rgb", 1, null]) {
      expect(() => make("CartPole-v1", { renderMode: bad })).toThrow(ConfigError);
      expect(() => make("CartPole-v1", { renderMode: bad })).toThrow(/renderMode.*allowed: "rgb_array"/);
    }
  });

  test("an env that cannot draw refuses renderMode, and is fine without it", () => {
    register({ id: "NoPictures-v0", create: () => new CountingEnv() });
    expect(() => make("NoPictures-v0", { renderMode: "rgb_array" })).toThrow(/NoPictures-v0 cannot render/);
    expect(() => make("NoPictures-v0")).not.toThrow();
  });
});
