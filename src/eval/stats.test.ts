import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import {
  bootstrapCI,
  bootstrapMeansCI,
  formatCI95,
  iqm,
  mean,
  median,
  percentile,
  percentiles,
  std,
  summarize,
} from "./stats.js";

// Known answers from NumPy 1.24 / SciPy 1.10:
//   x = np.array([3., 1., 4., 1., 5., 9., 2., 6.])
//   np.mean(x) == 3.875; np.std(x) == 2.5708704751503917; np.median(x) == 3.5
//   np.percentile(x, [10, 25, 90]) == [1., 1.75, 6.9]; scipy.stats.trim_mean(x, 0.25) == 3.5
const X = [3, 1, 4, 1, 5, 9, 2, 6];

describe("stats", () => {
  it("matches NumPy for mean, population std, median and percentiles", () => {
    expect(mean(X)).toBe(3.875);
    expect(std(X)).toBeCloseTo(2.5708704751503917, 14);
    expect(median(X)).toBe(3.5);
    expect(percentile(X, 10)).toBeCloseTo(1, 12);
    expect(percentiles(X, [10, 25, 90])).toEqual([expect.closeTo(1, 12), 1.75, expect.closeTo(6.9, 12)]);
    expect(percentile(X, 0)).toBe(1);
    expect(percentile(X, 100)).toBe(9);
  });

  it("IQM equals rliable's trim_mean(x, 0.25) when n is a multiple of 4", () => {
    expect(iqm(X)).toBeCloseTo(3.5, 12);
    expect(iqm([1, 2, 3, 4])).toBeCloseTo(2.5, 12);
  });

  it("IQM trims fractionally when n is not a multiple of 4", () => {
    // n = 5: cut 1.25 values each side -> (0.75*2 + 3 + 0.75*4) / 2.5
    expect(iqm([10, 1, 3, 2, 4])).toBeCloseTo(3, 12);
    // n = 6: weights 1/12, 1/6, 1/6, 1/12 on 2..5; the outlier 100 has no weight
    expect(iqm([1, 2, 3, 4, 5, 100])).toBeCloseTo(3.5, 12);
    expect(iqm([7])).toBe(7);
    // Robust to one outlier where the mean is not.
    expect(iqm([1, 1, 1, 1, 1, 1, 1, 1e9])).toBeCloseTo(1, 12);
  });

  it("rejects empty input and bad arguments with the field name", () => {
    expect(() => mean([])).toThrow(ConfigError);
    expect(() => percentile(X, 101)).toThrow(/percentile\.q/);
    expect(() => bootstrapCI(X, { resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapCI(X, { confidence: 1 })).toThrow(/confidence/);
  });

  it("bootstrap CI is seeded, brackets the mean, and collapses for constant data", () => {
    const a = bootstrapCI(X, { seed: 3, resamples: 500 });
    const b = bootstrapCI(X, { seed: 3, resamples: 500 });
    const c = bootstrapCI(X, { seed: 4, resamples: 500 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a[0]).toBeLessThan(mean(X));
    expect(a[1]).toBeGreaterThan(mean(X));
    expect(bootstrapCI([2, 2, 2], { seed: 1 })).toEqual([2, 2]);
  });

  it("bootstrap CI width matches the normal approximation on a large sample", () => {
    const rng = new Rng(11);
    const xs = Array.from({ length: 400 }, () => rng.normal(10, 2));
    const [lo, hi] = bootstrapCI(xs, { seed: 5, resamples: 2000 });
    const expected = 2 * 1.96 * (std(xs) / Math.sqrt(xs.length));
    expect(hi - lo).toBeGreaterThan(0.85 * expected);
    expect(hi - lo).toBeLessThan(1.15 * expected);
  });

  it("bootstrapMeansCI of a ratio of two samples' means matches the delta method, seeded", () => {
    // Two independent samples of different sizes; SE of a/b by the delta method:
    // sqrt(var_a / (n_a b^2) + a^2 var_b / (n_b b^4)).
    const rng = new Rng(12);
    const a = Array.from({ length: 400 }, () => rng.normal(10, 4));
    const b = Array.from({ length: 900 }, () => rng.normal(5, 2));
    const [ma, mb] = [mean(a), mean(b)];
    const ratio = ([x, y]: readonly number[]) => x! / y!;
    const [lo, hi] = bootstrapMeansCI([a, b], ratio, { seed: 5 })!;
    const se = Math.sqrt(std(a) ** 2 / (a.length * mb ** 2) + (ma ** 2 * std(b) ** 2) / (b.length * mb ** 4));
    expect(lo).toBeLessThan(ma / mb);
    expect(hi).toBeGreaterThan(ma / mb);
    expect(hi - lo).toBeGreaterThan(0.85 * 2 * 1.96 * se);
    expect(hi - lo).toBeLessThan(1.15 * 2 * 1.96 * se);
    expect(bootstrapMeansCI([a, b], ratio, { seed: 5 })).toEqual([lo, hi]);
    expect(bootstrapMeansCI([a, b], ratio, { seed: 6 })).not.toEqual([lo, hi]);
  });

  it("bootstrapMeansCI collapses on constant samples, is null when f is undefined on a resample, validates", () => {
    expect(
      bootstrapMeansCI(
        [
          [3, 3],
          [2, 2, 2],
        ],
        ([x, y]) => x! - y!,
      ),
    ).toEqual([1, 1]);
    // Resampling [0, 0, 1] gives the mean 0 about 30% of the time: 1 / 0 is no interval.
    expect(bootstrapMeansCI([[0, 0, 1]], ([x]) => 1 / x!, { resamples: 100 })).toBeNull();
    expect(bootstrapMeansCI([[0, 0, 1]], ([x]) => (x === 0 ? null : x!), { resamples: 100 })).toBeNull();
    expect(() => bootstrapMeansCI([[1], []], ([x]) => x!)).toThrow(/sample 1/);
    expect(() => bootstrapMeansCI([[1]], ([x]) => x!, { resamples: 1.5 })).toThrow(/resamples/);
  });

  it("formatCI95 prints an interval after a figure, nothing without one", () => {
    expect(formatCI95([0.9071, 0.95849])).toBe(" (95% CI 0.907 to 0.958)");
    expect(formatCI95([1, 2], 1)).toBe(" (95% CI 1.0 to 2.0)");
    expect(formatCI95(null)).toBe("");
  });

  it("summarize bundles the statistics", () => {
    const s = summarize(X, { seed: 0, resamples: 200 });
    expect(s).toMatchObject({ n: 8, mean: 3.875, median: 3.5, min: 1, max: 9 });
    expect(s.iqm).toBeCloseTo(3.5, 12);
    expect(s.ci95[0]).toBeLessThan(s.ci95[1]);
  });
});
