import { describe, expect, test } from "vitest";
import { ArrayBlocks } from "./array-blocks.js";

describe("ArrayBlocks", () => {
  test("hands out new zeroed arrays that never overlap, across blocks", () => {
    const blocks = new ArrayBlocks(400);
    const seen: Uint8Array[] = [];
    // 164 arrays of 400 bytes need two 64 KiB blocks (163 fit in one).
    for (let k = 0; k < 330; k++) {
      const a = blocks.bytes();
      expect(a.length).toBe(400);
      expect(a.every((v) => v === 0)).toBe(true);
      a.fill(k % 251);
      seen.push(a);
    }
    // Writing each array left the others as they were: no two share bytes.
    seen.forEach((a, k) => {
      expect(a[0]).toBe(k % 251);
      expect(a[399]).toBe(k % 251);
    });
    expect(new Set(seen.map((a) => a.buffer)).size).toBe(3);
  });

  test("float arrays, and sizes that must be positive integers", () => {
    const blocks = new ArrayBlocks(4 * 41);
    const a = blocks.floats();
    const b = blocks.floats();
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(41);
    a.fill(1.5);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(() => new ArrayBlocks(0)).toThrow(RangeError);
    expect(() => new ArrayBlocks(2.5)).toThrow(/size must be >= 1/);
  });
});
