import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { RunningMeanStd } from "./running-mean-std.js";

describe("RunningMeanStd", () => {
  it("merging batches gives the mean and variance of all data", () => {
    const rng = new Rng(0);
    const data = Array.from({ length: 300 }, () => [rng.normal(3, 2), rng.uniform(-1, 5)]);
    const rms = new RunningMeanStd(2);
    for (let s = 0; s < 300; s += 37) {
      const chunk = data.slice(s, s + 37);
      rms.update(chunk.flat(), chunk.length);
    }
    for (let j = 0; j < 2; j++) {
      const col = data.map((r) => r[j]!);
      const m = col.reduce((a, b) => a + b, 0) / col.length;
      const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
      expect(rms.mean[j]).toBeCloseTo(m, 4);
      expect(rms.var[j]).toBeCloseTo(v, 3);
    }
    expect(rms.count).toBeCloseTo(300, 2);
  });
});

describe("RunningMeanStd single samples and snapshots", () => {
  it("a batch of one row is the single-sample update", () => {
    const rng = new Rng(1);
    const a = new RunningMeanStd(3);
    const b = new RunningMeanStd(3);
    for (let s = 0; s < 20; s++) {
      const x = [rng.normal(), rng.normal(5, 3), rng.uniform(0, 1)];
      a.update(x);
      b.updateFromMoments(x, [0, 0, 0], 1);
    }
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    expect(Array.from(a.var)).toEqual(Array.from(b.var));
    expect(a.count).toBe(b.count);
  });

  it("restores arrays and typed arrays (checkpoint tensors), and rejects bad snapshots", () => {
    const rms = new RunningMeanStd(2);
    rms.update([1, 2, 3, 5], 2);
    const copy = new RunningMeanStd(2);
    copy.load({ mean: Float64Array.from(rms.mean), var: Float64Array.from(rms.var), count: rms.count });
    expect(copy.getState()).toEqual(rms.getState());
    copy.setState(JSON.parse(JSON.stringify(rms)));
    expect(copy.getState()).toEqual(rms.getState());
    expect(() => copy.load({ mean: [0], var: [1], count: 1 })).toThrow(ConfigError);
    expect(() => copy.setState({ mean: [0, 0], var: [1, -1], count: 1 }, "obs")).toThrow(/^obs\.var/);
  });
});
