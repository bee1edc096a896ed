import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Policy } from "../core/policy.js";
import { decodeGif } from "../envs/render/testing/decode-gif.js";
import { CountingEnv } from "../envs/testing-fakes.js";
import { evaluatePolicy } from "./evaluate.js";
import { recordEpisodes } from "./record.js";

/** Keeps CartPole up for 500 steps from small starts. */
const balance: Policy = {
  act: (o: Float32Array) => (o[2]! + 0.5 * o[3]! + 0.01 * o[0]! + 0.1 * o[1]! > 0 ? 1 : 0),
};
/** Always pushes left: the pole falls within a few dozen steps. */
const left: Policy = { act: () => 0 };

const tmp = mkdtempSync(join(tmpdir(), "rldistill-record-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("recordEpisodes", () => {
  test("a 500-step CartPole episode: 64 frames in a GIF of about 40 KB, the evaluation's episode", () => {
    const path = join(tmp, "balance.gif");
    const rec = recordEpisodes(balance, "CartPole-v1", { seed: 0, path });
    expect(rec.episodes).toHaveLength(1);
    expect(rec.episodes[0]).toMatchObject({ length: 500, return: 500, stride: 8 });
    expect([rec.width, rec.height, rec.frames]).toEqual([600, 400, 64]);
    // The same episode as evaluatePolicy's with this seed.
    expect(rec.eval.returns).toEqual(
      evaluatePolicy(balance, "CartPole-v1", { episodes: 1, seed: 0 }).returns,
    );
    // Measured 38,388 bytes (later frames hold only the rectangle around the cart and pole).
    expect(rec.gif.length).toBeGreaterThan(20_000);
    expect(rec.gif.length).toBeLessThan(60_000);
    expect(Buffer.compare(readFileSync(path), rec.gif)).toBe(0);
    const gif = decodeGif(rec.gif);
    expect(gif.frames).toHaveLength(64);
    // Decoded frames are the recorded ones, byte for byte; 20 fps, the last frame held 1 s.
    expect(Buffer.compare(gif.frames[37]!.data, rec.episodes[0]!.frames[37]!.data)).toBe(0);
    expect(gif.delaysMs.slice(0, 2)).toEqual([50, 50]);
    expect(gif.delaysMs[63]).toBe(1000);
  });

  test("the same seed gives the same bytes; episodes follow each other in one GIF", () => {
    const a = recordEpisodes(left, "CartPole-v1", { seed: 4, episodes: 2, scale: 0.5, fps: 10, holdMs: 500 });
    const b = recordEpisodes(left, "CartPole-v1", { seed: 4, episodes: 2, scale: 0.5, fps: 10, holdMs: 500 });
    expect(Buffer.compare(a.gif, b.gif)).toBe(0);
    expect(a.episodes).toHaveLength(2);
    const lengths = a.episodes.map((e) => e.length);
    expect(a.eval.lengths).toEqual(lengths);
    // Short episodes keep every step.
    expect(a.frames).toBe(lengths[0]! + 1 + lengths[1]! + 1);
    const gif = decodeGif(a.gif);
    expect([gif.width, gif.height]).toEqual([300, 200]);
    expect(gif.delaysMs[lengths[0]!]).toBe(500);
    expect(gif.delaysMs[0]).toBe(100);
    const other = recordEpisodes(left, "CartPole-v1", {
      seed: 5,
      episodes: 2,
      scale: 0.5,
      fps: 10,
      holdMs: 500,
    });
    expect(Buffer.compare(a.gif, other.gif)).not.toBe(0);
  });

  test("an env that cannot render, or bad options, are refused before any episode runs", () => {
    expect(() => recordEpisodes(left, () => new CountingEnv())).toThrow(/cannot render/);
    expect(() => recordEpisodes(left, "CartPole-v1", { fps: 0 })).toThrow(/fps/);
    expect(() => recordEpisodes(left, "CartPole-v1", { maxFrames: 1 })).toThrow(/maxFrames/);
    expect(() => recordEpisodes(left, "CartPole-v1", { holdMs: -5 })).toThrow(/holdMs/);
    expect(() => recordEpisodes(left, "CartPole-v1", { episodes: 0 })).toThrow(/episodes/);
  });
});
