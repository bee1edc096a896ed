import { describe, expect, it } from "vitest";
import { ConfigError } from "./errors.js";
import {
  constant,
  constantSchedule,
  cosine,
  exponential,
  formatSchedule,
  linear,
  linearSchedule,
  parseSchedule,
  piecewise,
  type Schedule,
  scheduleFromJSON,
  scheduleToJSON,
} from "./schedules.js";

const at = (s: Schedule) => [s(0), s(0.5), s(1)];
const grid = Array.from({ length: 101 }, (_, i) => i / 100);

function monotone(s: Schedule, direction: 1 | -1): boolean {
  return grid.every((p, i) => i === 0 || direction * (s(p) - s(grid[i - 1]!)) >= 0);
}

describe("schedules", () => {
  it("known answers at p = 0, 0.5, 1", () => {
    expect(at(constant(0.7))).toEqual([0.7, 0.7, 0.7]);
    expect(at(linear(5, 1))).toEqual([5, 3, 1]);
    const e = exponential(5, 1);
    expect(e(0)).toBe(5);
    expect(e(0.5)).toBeCloseTo(Math.sqrt(5), 12);
    expect(e(1)).toBe(1);
    const lr = exponential(1e-3, 1e-5);
    expect(lr(0.5)).toBeCloseTo(1e-4, 15);
    expect(at(exponential(-4, -1))).toEqual([-4, -2, -1]);
    const c = cosine(1e-3, 0);
    expect(c(0)).toBe(1e-3);
    expect(c(0.5)).toBeCloseTo(5e-4, 15);
    expect(c(1)).toBe(0);
    expect(cosine(1, 3)(0.25)).toBeCloseTo(1 + (2 * (1 - Math.cos(Math.PI / 4))) / 2, 12);
    const pw = piecewise([
      [0, 5],
      [0.5, 2],
      [1, 1],
    ]);
    expect(at(pw)).toEqual([5, 2, 1]);
    expect(pw(0.25)).toBeCloseTo(3.5, 12);
    expect(pw(0.75)).toBeCloseTo(1.5, 12);
  });

  it("piecewise holds its end values outside the points", () => {
    const pw = piecewise([
      [0.2, 1],
      [0.6, 3],
    ]);
    expect([pw(0), pw(0.2), pw(0.6), pw(1)]).toEqual([1, 1, 3, 3]);
    expect(pw(0.4)).toBeCloseTo(2, 12);
    expect(at(piecewise([[0.3, 9]]))).toEqual([9, 9, 9]);
  });

  it("monotone between from and to; progress is clamped", () => {
    for (const make of [linear, exponential, cosine]) {
      expect(monotone(make(5, 1), -1)).toBe(true);
      expect(monotone(make(0.01, 2), 1)).toBe(true);
    }
    expect(
      monotone(
        piecewise([
          [0, 5],
          [0.5, 2],
          [1, 1],
        ]),
        -1,
      ),
    ).toBe(true);
    const s = linear(5, 1);
    expect([s(-0.5), s(1.01)]).toEqual([5, 1]);
    expect(() => s(Number.NaN)).toThrow(/progress/);
  });

  it("parses the CLI forms", () => {
    expect(at(parseSchedule("0.7", "alpha"))).toEqual([0.7, 0.7, 0.7]);
    expect(at(parseSchedule("5:1:linear", "tau"))).toEqual([5, 3, 1]);
    expect(parseSchedule("5:1:exp").spec).toEqual({ kind: "exponential", from: 5, to: 1 });
    expect(parseSchedule("5:1:exponential").spec.kind).toBe("exponential");
    expect(parseSchedule(" 1e-3:0:cosine ").spec).toEqual({ kind: "cosine", from: 1e-3, to: 0 });
    expect(parseSchedule("piecewise:0=5,0.5=2,1=1").spec).toEqual({
      kind: "piecewise",
      points: [
        [0, 5],
        [0.5, 2],
        [1, 1],
      ],
    });
    expect(parseSchedule("-.5").spec).toEqual({ kind: "constant", value: -0.5 });
  });

  it("parse errors name the field and the allowed forms", () => {
    for (const bad of [
      "",
      "abc",
      "0x10",
      "5:1",
      "5:1:quadratic",
      "5:x:linear",
      "piecewise:0=5,0.5",
      "1:2:3:linear",
    ]) {
      let error: unknown;
      try {
        parseSchedule(bad, "tau");
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field, bad).toBe("tau");
      expect((error as Error).message, bad).toMatch(/allowed forms: "0\.7" \(constant\), "5:1:linear"/);
    }
    expect(() => parseSchedule("1:0:exp", "lr")).toThrow(
      /^lr: exponential needs from and to nonzero with the same sign/,
    );
    expect(() => parseSchedule("piecewise:0.5=1,0.2=3", "alpha")).toThrow(
      /^alpha\.points: progress must strictly increase/,
    );
    expect(() => parseSchedule("piecewise:1.5=1", "alpha")).toThrow(
      /^alpha\.points\[0\]\[0\]: progress must be in \[0, 1\]/,
    );
  });

  it("round-trips through JSON and the CLI form", () => {
    const all = [
      constant(0.7),
      linear(5, 1),
      exponential(1e-3, 1e-5),
      cosine(1e-3, 0),
      piecewise([
        [0, 5],
        [0.5, 2],
        [1, 1],
      ]),
    ];
    for (const s of all) {
      const json = JSON.parse(JSON.stringify(scheduleToJSON(s)));
      const back = scheduleFromJSON(json, "x");
      expect(back.spec).toEqual(s.spec);
      expect(grid.map(back)).toEqual(grid.map(s));
      expect(parseSchedule(formatSchedule(s)).spec).toEqual(s.spec);
    }
    expect(formatSchedule(exponential(5, 1))).toBe("5:1:exp");
    expect(scheduleFromJSON(0.3).spec).toEqual({ kind: "constant", value: 0.3 });
    expect(scheduleFromJSON("5:1:linear").spec.kind).toBe("linear");
    expect(() => scheduleFromJSON({ kind: "step" }, "lr")).toThrow(
      /^lr: expected a number, a schedule string/,
    );
    expect(() => scheduleFromJSON({ kind: "linear", from: 1 }, "lr")).toThrow(
      /^lr\.to: expected a finite number/,
    );
  });

  it("rejects non-finite values by field", () => {
    expect(() => constant(Number.POSITIVE_INFINITY, "alpha")).toThrow(/^alpha\.value/);
    expect(() => linear(1, Number.NaN, "tau")).toThrow(/^tau\.to/);
    expect(() => piecewise([], "tau")).toThrow(/^tau\.points/);
  });
});

describe("linearSchedule and constantSchedule (RL naming)", () => {
  it("linear schedule reaches its end value at endFraction and stays there", () => {
    const eps = linearSchedule(1, 0.05, 0.5);
    expect(eps(0)).toBe(1);
    expect(eps(0.25)).toBeCloseTo(0.525);
    expect(eps(0.5)).toBe(0.05);
    expect(eps(0.9)).toBe(0.05);
    expect(eps(-1)).toBe(1);
    const lr = linearSchedule(2.5e-4, 0);
    expect(lr(0.75)).toBeCloseTo(6.25e-5);
    expect(constantSchedule(3)(0.4)).toBe(3);
    expect(() => linearSchedule(1, 0, 0)).toThrow(/endFraction/);
    expect(eps.spec).toEqual({
      kind: "piecewise",
      points: [
        [0, 1],
        [0.5, 0.05],
      ],
    });
    expect(lr.spec).toEqual({ kind: "linear", from: 2.5e-4, to: 0 });
  });

  it("agrees with start + (end - start) p / endFraction to rounding", () => {
    for (const [s, e, f] of [
      [1, 0.05, 0.5],
      [1, 0.01, 0.1],
      [2.5e-4, 0, 1],
      [0.3, 0.7, 0.37],
    ] as const) {
      const sched = linearSchedule(s, e, f);
      for (const p of grid) {
        const expected = p >= f ? e : s + ((e - s) * p) / f;
        expect(Math.abs(sched(p) - expected)).toBeLessThanOrEqual(
          4 * Number.EPSILON * Math.max(Math.abs(s), Math.abs(e)),
        );
      }
    }
  });
});
