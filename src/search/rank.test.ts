import { describe, expect, it } from "vitest";
import { meetsTarget, nonDominatedFronts, paretoFront, parseTarget, rankTrials, shortfall } from "./rank.js";

const t = (key: string, size: number, retention: number | null, agreement: number | null) => ({
  key,
  size,
  retention,
  agreement,
});

describe("targets", () => {
  it("parses metric=value pairs and refuses anything else by name", () => {
    expect(parseTarget("retention=0.99,agreement=0.97")).toEqual({ retention: 0.99, agreement: 0.97 });
    expect(parseTarget(" retention = 1 ")).toEqual({ retention: 1 });
    expect(() => parseTarget("retention>0.9")).toThrow(/target: expected metric=value pairs/);
    expect(() => parseTarget("reward=0.9")).toThrow(/unknown metric "reward"; allowed: retention, agreement/);
    expect(() => parseTarget("retention=7")).toThrow(/retention must be a number in \[0, 2\]/);
    expect(() => parseTarget("")).toThrow(/at least one metric/);
  });

  it("shortfall sums the missing amounts; an unmeasured metric counts as fully missing", () => {
    const target = { retention: 0.99, agreement: 0.97 };
    expect(shortfall({ retention: 1.02, agreement: 0.99 }, target)).toBe(0);
    expect(shortfall({ retention: 0.98, agreement: 0.95 }, target)).toBeCloseTo(0.03, 12);
    expect(shortfall({ retention: 1, agreement: null }, target)).toBeCloseTo(0.97, 12);
    expect(meetsTarget({ retention: 0.99, agreement: 0.97 }, target)).toBe(true);
    expect(meetsTarget({ retention: 0.5, agreement: null }, { retention: 0.4 })).toBe(true);
  });
});

describe("ranking", () => {
  it("non-dominated fronts of minimised pairs", () => {
    expect(
      nonDominatedFronts([
        [1, 3],
        [2, 2],
        [3, 1],
        [2, 3],
        [4, 4],
      ]),
    ).toEqual([[0, 1, 2], [3], [4]]);
  });

  it("promotes the smallest passing trial and small near-misses over big passing ones", () => {
    const target = { retention: 0.9, agreement: 0.9 };
    const trials = [
      t("big-pass", 1000, 1, 1),
      t("mid-pass", 100, 0.95, 0.95),
      t("small-near", 10, 0.85, 0.9),
      t("small-far", 10, 0.2, 0.5),
      t("tiny-far", 5, 0.1, 0.3),
    ];
    const order = rankTrials(trials, target).map((x) => x.key);
    // Front 0: mid-pass (shortfall 0), small-near (0.05 at size 10), tiny-far (smallest). big-pass
    // is dominated by mid-pass (bigger, no better on shortfall), small-far by small-near: front 1.
    expect(order).toEqual(["mid-pass", "small-near", "tiny-far", "big-pass", "small-far"]);
  });

  it("breaks ties by key, so every machine gets one order", () => {
    const a = rankTrials([t("b", 5, 1, 1), t("a", 5, 1, 1)], { retention: 0.9 }).map((x) => x.key);
    expect(a).toEqual(["a", "b"]);
  });

  it("Pareto front of size against a metric, by size", () => {
    const trials = [
      t("a", 10, 0.5, 0.8),
      t("b", 20, 0.9, 0.7),
      t("c", 30, 0.8, 0.95),
      t("d", 40, 0.95, null),
    ];
    expect(paretoFront(trials, "retention").map((x) => x.key)).toEqual(["a", "b", "d"]);
    expect(paretoFront(trials, "agreement").map((x) => x.key)).toEqual(["a", "c"]);
  });
});
