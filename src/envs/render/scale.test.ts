import { describe, expect, test } from "vitest";
import type { RgbFrame } from "../../core/env.js";
import { scaledSize, scaleFrame } from "./scale.js";

function frame(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): RgbFrame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return { width, height, data };
}

describe("scaleFrame", () => {
  test("halving averages each 2 x 2 block, rounding to nearest", () => {
    // Blocks: (0, 0, 255, 255) -> 127.5 -> 128 (halves round up, both channels); (10, 20, 30, 40) -> 25.
    const f = frame(4, 2, (x, y) => {
      const v = x < 2 ? [0, 0, 255, 255][x + 2 * y]! : [10, 20, 30, 40][x - 2 + 2 * y]!;
      return [v, 255 - v, 7];
    });
    const h = scaleFrame(f, 0.5);
    expect([h.width, h.height]).toEqual([2, 1]);
    expect(Array.from(h.data)).toEqual([128, 128, 7, 25, 230, 7]);
  });

  test("an integer upscale repeats pixels exactly; factor 1 returns the frame itself", () => {
    const f = frame(2, 1, (x) => (x ? [1, 2, 3] : [200, 100, 50]));
    const g = scaleFrame(f, 3);
    expect([g.width, g.height]).toEqual([6, 3]);
    for (let y = 0; y < 3; y++) {
      expect(Array.from(g.data.subarray(y * 18, y * 18 + 18))).toEqual([
        200, 100, 50, 200, 100, 50, 200, 100, 50, 1, 2, 3, 1, 2, 3, 1, 2, 3,
      ]);
    }
    expect(scaleFrame(f, 1)).toBe(f);
  });

  test("a fractional factor weights each source pixel by the area it covers", () => {
    // 3 pixels -> 2: output 0 covers source 0 fully and half of source 1 (weights 2/3, 1/3).
    const f = frame(3, 1, (x) => [[0, 90, 240][x]!, 0, 0]);
    const g = scaleFrame(f, 2 / 3);
    expect([g.width, g.height]).toEqual([2, 1]);
    expect([g.data[0], g.data[3]]).toEqual([30, 190]);
    // Area averaging keeps the mean colour of a larger picture (to rounding).
    const big = frame(40, 30, (x, y) => [(x * 7 + y * 3) % 256, (x * y) % 256, 255 - x]);
    const s = scaleFrame(big, 0.7);
    const mean = (fr: RgbFrame): number => fr.data.reduce((a, b) => a + b, 0) / fr.data.length;
    expect(mean(s)).toBeCloseTo(mean(big), 0);
  });

  test("sizes round and stay at least one pixel; bad factors are refused by name", () => {
    expect(scaledSize(600, 400, 0.5)).toEqual({ width: 300, height: 200 });
    expect(scaledSize(5, 5, 0.01)).toEqual({ width: 1, height: 1 });
    expect(() => scaledSize(5, 5, 0)).toThrow(/scale.*\(0, 64\]/);
    expect(() => scaledSize(5, 5, Number.NaN)).toThrow(/scale/);
  });
});
