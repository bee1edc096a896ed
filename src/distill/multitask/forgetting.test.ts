import { describe, expect, it } from "vitest";
import { checkMatrix, forgettingFigures, formatMatrix } from "./forgetting.js";

describe("forgetting matrix", () => {
  it("computes final retention, forgetting and backward transfer (known answer)", () => {
    const m = [
      [0.9, null, null],
      [0.5, 1.0, null],
      [0.7, 0.4, 0.8],
    ];
    const f = forgettingFigures(m);
    expect(f.final).toEqual([0.7, 0.4, 0.8]);
    // Task 0: best before the last stage 0.9, now 0.7; task 1: best 1.0, now 0.4; task 2 is new.
    expect(f.forgetting[0]).toBeCloseTo(0.2, 12);
    expect(f.forgetting[1]).toBeCloseTo(0.6, 12);
    expect(f.forgetting[2]).toBeNull();
    expect(f.backwardTransfer[0]).toBeCloseTo(-0.2, 12);
    expect(f.backwardTransfer[1]).toBeCloseTo(-0.6, 12);
    expect(f.meanForgetting).toBeCloseTo(0.4, 12);
    expect(f.meanFinal).toBeCloseTo(1.9 / 3, 12);
    expect(f.minOld).toBe(0.4);
  });

  it("counts a task that improved as negative forgetting, and handles one stage", () => {
    const f = forgettingFigures([
      [0.5, null],
      [0.8, 0.9],
    ]);
    expect(f.forgetting[0]).toBeCloseTo(-0.3, 12);
    expect(f.backwardTransfer[0]).toBeCloseTo(0.3, 12);
    const one = forgettingFigures([[0.95]]);
    expect(one.forgetting).toEqual([null]);
    expect(one.minOld).toBeNull();
    expect(one.meanFinal).toBe(0.95);
    expect(forgettingFigures([]).final).toEqual([]);
  });

  it("skips unmeasured entries and refuses malformed matrices", () => {
    const f = forgettingFigures([
      [null, null],
      [0.6, 0.9],
    ]);
    expect(f.forgetting[0]).toBeNull();
    expect(() => checkMatrix([[0.5], [0.5]])).toThrow(/stage 1 has 1 tasks/);
    expect(() => checkMatrix([[Number.NaN]])).toThrow(/R\[0\]\[0\]/);
    expect(formatMatrix([[1], [0.5, 0.25]], ["MinAtar/Breakout-v1", "CartPole-v1"])).toBe(
      ["after     Breakout CartPole", "stage 1      1.000        -", "stage 2      0.500    0.250"].join(
        "\n",
      ),
    );
  });
});
