import { describe, expect, test } from "vitest";
import type { RgbFrame } from "../../core/env.js";
import { Canvas, type Rgb } from "./canvas.js";
import { encodeGif } from "./gif.js";
import { decodeGif } from "./testing/decode-gif.js";

/** A 40 x 30 picture: a red square at (x, 5) on white, a blue bar along the bottom. */
function square(x: number): RgbFrame {
  const c = new Canvas(40, 30);
  c.fillRect(x, 5, 8, 8, [220, 30, 30]);
  c.fillRect(0, 26, 40, 4, [20, 40, 200]);
  return c.toFrame();
}

function pixelsEqual(a: RgbFrame, b: RgbFrame): boolean {
  return a.width === b.width && a.height === b.height && Buffer.compare(a.data, b.data) === 0;
}

describe("encodeGif", () => {
  test("round trip through an independent decoder: every frame exact, cropped to what changed", () => {
    const frames = [square(2), square(6), square(6), square(20), square(21)];
    const bytes = encodeGif(frames, { fps: 20 });
    expect(String.fromCharCode(...bytes.subarray(0, 6))).toBe("GIF89a");
    expect(bytes[bytes.length - 1]).toBe(0x3b); // trailer
    const gif = decodeGif(bytes);
    expect([gif.width, gif.height, gif.frames.length]).toEqual([40, 30, 5]);
    for (const [i, f] of gif.frames.entries()) expect(pixelsEqual(f, frames[i]!), `frame ${i}`).toBe(true);
    expect(gif.delaysMs).toEqual([50, 50, 50, 50, 50]);
    expect(gif.loopCount).toBe(0);
    // Frame 0 is whole; frame 1 covers the columns the square left and entered (2..13, rows 5..12);
    // frame 2 changed nothing (a 1 x 1 transparent frame); the bar is never re-sent.
    expect(gif.rects[0]).toMatchObject({ x: 0, y: 0, width: 40, height: 30, transparent: null });
    expect(gif.rects[1]).toMatchObject({ x: 2, y: 5, width: 12, height: 8, transparent: 255 });
    expect(gif.rects[2]).toMatchObject({ width: 1, height: 1 });
    expect(gif.rects[4]).toMatchObject({ x: 20, y: 5, width: 9, height: 8 });
  });

  test("more than 255 colours go through the quantiser and come back close", () => {
    const frames = [0, 1, 2].map((k) => {
      const data = new Uint8Array(32 * 32 * 3);
      for (let p = 0; p < 32 * 32; p++)
        data.set([(p * 5 + k * 40) % 256, (p >> 2) % 256, 255 - (p % 256)], p * 3);
      return { width: 32, height: 32, data };
    });
    const gif = decodeGif(encodeGif(frames));
    expect(gif.frames).toHaveLength(3);
    gif.frames.forEach((f, i) => {
      let sum = 0;
      let max = 0;
      for (let j = 0; j < f.data.length; j++) {
        const e = Math.abs(f.data[j]! - frames[i]!.data[j]!);
        sum += e;
        max = Math.max(max, e);
      }
      // 1,024 distinct colours per frame in a 255-colour palette: measured 2.6-5.1 levels off on
      // average and at most 20; a wrong palette mapping is off by ~80.
      expect(sum / f.data.length, `frame ${i} mean error`).toBeLessThan(8);
      expect(max, `frame ${i} max error`).toBeLessThan(32);
    });
  });

  test("the same frames give the same bytes", () => {
    const frames = [square(3), square(9), square(15)];
    expect(
      Buffer.compare(encodeGif(frames), encodeGif(frames.map((f) => ({ ...f, data: f.data.slice() })))),
    ).toBe(0);
  });

  test("per-frame delays (raised to 20 ms, as browsers would), and play-once", () => {
    const gif = decodeGif(
      encodeGif([square(1), square(2), square(3)], { delaysMs: [5, 100, 1000], loop: false }),
    );
    expect(gif.delaysMs).toEqual([20, 100, 1000]);
    expect(gif.loopCount).toBeNull();
  });

  test("bad input is refused by field name", () => {
    const white: Rgb = [255, 255, 255];
    expect(() => encodeGif([])).toThrow(/frames.*at least one/);
    expect(() => encodeGif([square(1), new Canvas(10, 10, white).toFrame()])).toThrow(
      /frames\[1\].*10x10.*40x30/,
    );
    expect(() => encodeGif([{ width: 2, height: 2, data: new Uint8Array(5) }])).toThrow(/frames\[0\].data/);
    expect(() => encodeGif([square(1)], { fps: 0 })).toThrow(/fps/);
    expect(() => encodeGif([square(1)], { delaysMs: [10, 10] })).toThrow(/delaysMs.*2 entries for 1 frames/);
    expect(() => encodeGif([square(1)], { delaysMs: [-1] })).toThrow(/delaysMs\[0\]/);
  });
});
