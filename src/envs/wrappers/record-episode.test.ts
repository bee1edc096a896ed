import { describe, expect, test } from "vitest";
import type { Env, RgbFrame } from "../../core/env.js";
import { ConfigError } from "../../core/errors.js";
import { make } from "../registry.js";
import { CountingEnv } from "../testing-fakes.js";
import { RecordEpisode } from "./record-episode.js";
import { TimeLimit } from "./time-limit.js";

/** CountingEnv that draws its step counter: a 2 x 1 frame whose first byte is t. */
class PictureEnv extends CountingEnv {
  renders = 0;
  render(): RgbFrame {
    this.renders++;
    return { width: 2, height: 1, data: Uint8Array.of(this.getState()[0]!, 0, 0, 9, 9, 9) };
  }
}

const shown = (frames: readonly RgbFrame[]): number[] => frames.map((f) => f.data[0]!);

function runEpisode(env: Env<Float32Array, number>, seed = 0): void {
  env.reset({ seed });
  for (;;) {
    const r = env.step(0);
    if (r.terminated || r.truncated) return;
  }
}

describe("RecordEpisode", () => {
  test("a short episode keeps every step: the state after reset and after each step", () => {
    const env = new RecordEpisode(new PictureEnv({ episodeLength: 4 }));
    runEpisode(env);
    const [ep, ...rest] = env.takeEpisodes();
    expect(rest).toEqual([]);
    expect(ep).toMatchObject({ stride: 1, length: 4, steps: [0, 1, 2, 3, 4], terminated: true, return: 0 });
    expect(shown(ep!.frames)).toEqual([0, 1, 2, 3, 4]);
    expect(env.takeEpisodes()).toEqual([]);
  });

  test("a long episode is thinned evenly: the stride doubles, the last step is always shown", () => {
    const inner = new PictureEnv({ episodeLength: 12 });
    const env = new RecordEpisode(inner, { maxFrames: 5 });
    runEpisode(env);
    let [ep] = env.takeEpisodes();
    expect(ep).toMatchObject({ stride: 4, steps: [0, 4, 8, 12], length: 12 });
    expect(shown(ep!.frames)).toEqual([0, 4, 8, 12]);
    // 11 steps: the final state (11) follows 8 sooner than the stride.
    const env11 = new RecordEpisode(new PictureEnv({ episodeLength: 11 }), { maxFrames: 5 });
    runEpisode(env11);
    [ep] = env11.takeEpisodes();
    expect(ep!.steps).toEqual([0, 4, 8, 11]);
    // A full recording gives up the frame before the last one, never the last.
    const env9 = new RecordEpisode(new PictureEnv({ episodeLength: 9 }), { maxFrames: 5 });
    runEpisode(env9);
    [ep] = env9.takeEpisodes();
    expect(ep!.steps).toEqual([0, 2, 4, 6, 9]);
    expect(shown(ep!.frames)).toEqual([0, 2, 4, 6, 9]);
  });

  test("a 500-step CartPole episode: 64 frames 8 steps apart, and 214 renders in all", () => {
    let renders = 0;
    const inner = make<Float32Array, number>("CartPole-v1");
    const counted = Object.assign(inner, {
      render: ((r) => () => {
        renders++;
        return r();
      })(inner.render!.bind(inner)),
    });
    const env = new RecordEpisode(counted);
    let { obs } = env.reset({ seed: 0 });
    for (;;) {
      const r = env.step(obs[2]! + 0.5 * obs[3]! + 0.01 * obs[0]! + 0.1 * obs[1]! > 0 ? 1 : 0);
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
    const [ep] = env.takeEpisodes();
    expect(ep).toMatchObject({ length: 500, return: 500, stride: 8, terminated: false });
    expect(ep!.frames).toHaveLength(64);
    expect(ep!.steps.slice(0, 3)).toEqual([0, 8, 16]);
    expect(ep!.steps.slice(-2)).toEqual([496, 500]);
    // Steps 0-99, 100-198 by 2, 200-396 by 4, 400-496 by 8, and the final state.
    expect(renders).toBe(100 + 50 + 50 + 13 + 1);
  });

  test("frames are copies, and scale resizes them", () => {
    const env = new RecordEpisode(new PictureEnv({ episodeLength: 2 }));
    runEpisode(env);
    const [ep] = env.takeEpisodes();
    ep!.frames[0]!.data[0] = 77;
    expect(shown(ep!.frames)).toEqual([77, 1, 2]);
    const cart = new RecordEpisode(make<Float32Array, number>("CartPole-v1"), { scale: 0.5 });
    cart.reset({ seed: 1 });
    expect(cart.currentFrames.map((f) => [f.width, f.height])).toEqual([[300, 200]]);
  });

  test("an episode cut short by reset() is dropped; at most maxEpisodes are kept", () => {
    const env = new RecordEpisode(new TimeLimit(new PictureEnv({ episodeLength: 100 }), 3), {
      maxEpisodes: 2,
    });
    env.reset({ seed: 0 });
    env.step(0);
    expect(env.currentFrames).toHaveLength(2);
    for (let e = 0; e < 3; e++) runEpisode(env);
    const eps = env.takeEpisodes();
    expect(eps.map((e) => [e.length, e.terminated])).toEqual([
      [3, false],
      [3, false],
    ]);
  });

  test("refuses an env that cannot render, and bad arguments, by name", () => {
    expect(() => new RecordEpisode(new CountingEnv())).toThrow(ConfigError);
    expect(() => new RecordEpisode(new CountingEnv())).toThrow(/CountingEnv cannot render/);
    expect(() => new RecordEpisode(new PictureEnv(), { maxFrames: 1 })).toThrow(/maxFrames.*>= 2/);
    expect(() => new RecordEpisode(new PictureEnv(), { scale: -1 })).toThrow(/scale/);
    expect(() => new RecordEpisode(new PictureEnv(), { fps: 3 } as never)).toThrow(/fps/);
  });
});
