import { describe, expect, test } from "vitest";
import { ConfigError } from "./errors.js";
import { Box, Discrete, MultiDiscrete, type SpaceJSON, spaceFromJSON, spacesEqual } from "./spaces.js";

const viaJSON = (json: SpaceJSON): SpaceJSON => JSON.parse(JSON.stringify(json)) as SpaceJSON;

describe("Discrete", () => {
  test("contains only integers in [start, start + n)", () => {
    const d = new Discrete(3);
    for (const x of [0, 1, 2]) expect(d.contains(x)).toBe(true);
    for (const x of [3, -1, 0.5, "1", [1], Number.NaN, null, undefined, true])
      expect(d.contains(x)).toBe(false);
    const shifted = new Discrete(3, { start: -1 });
    expect([-1, 0, 1].every((x) => shifted.contains(x))).toBe(true);
    expect(shifted.contains(2)).toBe(false);
  });

  test("sample covers the space, and seed() makes it reproducible", () => {
    const d = new Discrete(4, { start: 2 });
    d.seed(5);
    const a = Array.from({ length: 200 }, () => d.sample());
    expect(new Set(a)).toEqual(new Set([2, 3, 4, 5]));
    d.seed(5);
    expect(Array.from({ length: 200 }, () => d.sample())).toEqual(a);
    d.seed(6);
    expect(Array.from({ length: 200 }, () => d.sample())).not.toEqual(a);
  });

  test("toString, JSON round trip, bad n", () => {
    expect(new Discrete(2).toString()).toBe("Discrete(2)");
    expect(new Discrete(3, { start: -1 }).toString()).toBe("Discrete(3, start=-1)");
    const d = new Discrete(3, { start: -1 });
    const back = spaceFromJSON(viaJSON(d.toJSON()));
    expect(back).toBeInstanceOf(Discrete);
    expect(spacesEqual(back, d)).toBe(true);
    expect(() => new Discrete(0)).toThrow(ConfigError);
    expect(() => new Discrete(2.5)).toThrow(/Discrete.n/);
  });
});

describe("Box", () => {
  const cartpoleHigh = [4.8, Number.POSITIVE_INFINITY, 0.41887903, Number.POSITIVE_INFINITY];
  const cartpole = new Box(
    cartpoleHigh.map((v) => -v),
    cartpoleHigh,
    { dtype: "float32" },
  );

  test("contains checks type, length, NaN and bounds (as float32 for float32 boxes)", () => {
    const b = new Box(-1, 1, { shape: [2] });
    expect(b.contains(Float32Array.of(0, 1))).toBe(true);
    expect(b.contains([0.5, -1])).toBe(true);
    expect(b.contains(Float64Array.of(0, 0))).toBe(true);
    for (const x of [Float32Array.of(0), [0, 0, 0], [0, 1.5], [0, Number.NaN], 0, "ab", [0, "1"], null]) {
      expect(b.contains(x), String(x)).toBe(false);
    }
    // 1 + 1e-9 rounds to 1 in float32, so it is inside a float32 box but not a float64 one.
    expect(b.contains([0, 1 + 1e-9])).toBe(true);
    expect(new Box(-1, 1, { shape: [2], dtype: "float64" }).contains([0, 1 + 1e-9])).toBe(false);
    expect(cartpole.contains([0, 1e30, 0, -1e30])).toBe(true);
  });

  test("sample stays inside bounded, half-bounded and unbounded boxes, reproducibly", () => {
    const b = new Box(
      [-1, 0, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
      [1, Number.POSITIVE_INFINITY, 5, Number.POSITIVE_INFINITY],
    );
    b.seed(3);
    const draws = Array.from({ length: 500 }, () => b.sample());
    for (const x of draws) {
      expect(x).toBeInstanceOf(Float32Array);
      expect(b.contains(x)).toBe(true);
    }
    // The unbounded entry is standard normal, so both signs appear.
    expect(draws.some((x) => x[3]! < 0) && draws.some((x) => x[3]! > 0)).toBe(true);
    b.seed(3);
    expect(Array.from({ length: 500 }, () => b.sample())).toEqual(draws);
    const f64 = new Box(0, 1, { shape: [3], dtype: "float64" });
    expect(f64.sample()).toBeInstanceOf(Float64Array);
  });

  test("toString reads like Gymnasium's", () => {
    expect(new Box(-1, 1, { shape: [1] }).toString()).toBe("Box(-1, 1, (1,), float32)");
    expect(cartpole.toString()).toBe(
      "Box([-4.8 -inf -0.418879 -inf], [4.8 inf 0.418879 inf], (4,), float32)",
    );
    expect(new Box(0, 1, { shape: [2, 3], dtype: "float64" }).toString()).toBe("Box(0, 1, (2, 3), float64)");
  });

  test("toJSON / spaceFromJSON round trip, including infinite bounds through JSON text", () => {
    const text = JSON.stringify(cartpole.toJSON());
    expect(text).toContain("null");
    const back = spaceFromJSON(JSON.parse(text) as SpaceJSON) as Box;
    expect(back).toBeInstanceOf(Box);
    expect(back.dtype).toBe("float32");
    expect(Array.from(back.low)).toEqual(Array.from(cartpole.low));
    expect(Array.from(back.high)).toEqual(Array.from(cartpole.high));
    expect(back.low[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(back.high[3]).toBe(Number.POSITIVE_INFINITY);
    expect(spacesEqual(back, cartpole)).toBe(true);
    // In memory (no JSON text), infinities pass through as they are.
    expect(spacesEqual(spaceFromJSON(cartpole.toJSON()), cartpole)).toBe(true);
    const grid = new Box(0, 255, { shape: [2, 2, 3], dtype: "float64" });
    const g = spaceFromJSON(viaJSON(grid.toJSON())) as Box;
    expect(g.shape).toEqual([2, 2, 3]);
    expect(spacesEqual(g, grid)).toBe(true);
    expect(spacesEqual(g, new Box(0, 255, { shape: [12], dtype: "float64" }))).toBe(false);
  });

  test("bad construction names the field", () => {
    expect(() => new Box(1, 0, { shape: [1] })).toThrow(/Box.low/);
    expect(() => new Box(0, 1)).toThrow(/Box.shape/);
    expect(() => new Box([0, 0], [1, 1, 1])).toThrow(/Box.high: has 3 entries/);
    expect(() => new Box(0, 1, { shape: [0] })).toThrow(ConfigError);
    expect(() => new Box(0, 1, { shape: [1], dtype: "int8" as "uint8" })).toThrow(
      /Box.dtype: allowed: float32, float64, uint8/,
    );
  });
});

describe("Box uint8 (images)", () => {
  const planes = new Box<Uint8Array>(0, 1, { shape: [10, 10, 4], dtype: "uint8" });

  test("allocates and samples Uint8Array integers in [low, high], reproducibly", () => {
    expect(planes.alloc()).toBeInstanceOf(Uint8Array);
    expect(planes.size).toBe(400);
    planes.seed(3);
    const a = planes.sample();
    expect(a).toBeInstanceOf(Uint8Array);
    expect(planes.contains(a)).toBe(true);
    // Both values occur (a float sampler rounded to uint8 would give almost only zeros).
    const ones = a.reduce((n, v) => n + v, 0);
    expect(ones).toBeGreaterThan(150);
    expect(ones).toBeLessThan(250);
    planes.seed(3);
    expect(planes.sample()).toEqual(a);
    const pixels = new Box<Uint8Array>(0, 255, { shape: [64], dtype: "uint8", seed: 1 });
    expect(Math.max(...pixels.sample())).toBeGreaterThan(200);
  });

  test("contains wants integers within the bounds, from any numeric array", () => {
    const ok = new Uint8Array(400);
    ok[7] = 1;
    expect(planes.contains(ok)).toBe(true);
    expect(planes.contains(Float32Array.from(ok))).toBe(true);
    ok[7] = 2;
    expect(planes.contains(ok)).toBe(false);
    const half = new Float32Array(400);
    half[0] = 0.5;
    expect(planes.contains(half)).toBe(false);
    expect(planes.contains(new Uint8Array(399))).toBe(false);
  });

  test("toString, JSON round trip, bounds checked as uint8", () => {
    expect(String(planes)).toBe("Box(0, 1, (10, 10, 4), uint8)");
    const back = spaceFromJSON(viaJSON(planes.toJSON())) as Box;
    expect(back.dtype).toBe("uint8");
    expect(spacesEqual(back, planes)).toBe(true);
    expect(spacesEqual(back, new Box(0, 1, { shape: [10, 10, 4], dtype: "float32" }))).toBe(false);
    expect(() => new Box(0, 256, { shape: [1], dtype: "uint8" })).toThrow(
      /Box.high: a uint8 Box needs integers/,
    );
    expect(() => new Box(-1, 1, { shape: [1], dtype: "uint8" })).toThrow(/Box.low/);
    expect(() => new Box(0, 0.5, { shape: [1], dtype: "uint8" })).toThrow(/Box.high/);
  });
});

describe("MultiDiscrete", () => {
  test("contains, sample, toString, JSON round trip", () => {
    const m = new MultiDiscrete([2, 3, 4]);
    expect(m.contains([1, 2, 3])).toBe(true);
    expect(m.contains(Int32Array.of(0, 0, 0))).toBe(true);
    for (const x of [[2, 0, 0], [0, 0], [0, -1, 0], [0, 0.5, 0], 1]) expect(m.contains(x)).toBe(false);
    m.seed(1);
    for (let i = 0; i < 100; i++) expect(m.contains(m.sample())).toBe(true);
    expect(m.toString()).toBe("MultiDiscrete([2 3 4])");
    expect(spacesEqual(spaceFromJSON(viaJSON(m.toJSON())), m)).toBe(true);
    expect(() => new MultiDiscrete([2, 0])).toThrow(/MultiDiscrete.nvec/);
  });

  test("spaceFromJSON refuses unknown types, listing the allowed ones", () => {
    expect(() => spaceFromJSON({ type: "Tuple" } as unknown as SpaceJSON)).toThrow(
      /allowed: Discrete, Box, MultiDiscrete; got Tuple/,
    );
  });
});
