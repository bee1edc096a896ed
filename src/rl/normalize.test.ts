import { describe, expect, it } from "vitest";
import { VecNormalize } from "./normalize.js";

describe("VecNormalize", () => {
  it("normalises and clips observations, and freezes statistics when not training", () => {
    const vn = new VecNormalize(2, 1, {
      normalizeObs: true,
      normalizeReward: false,
      gamma: 0.99,
      clipObs: 1.5,
    });
    const out = new Float32Array(2);
    vn.observe([1, 3], 2, out); // mean ~2, var ~1
    expect(out[0]).toBeCloseTo(-1, 3);
    expect(out[1]).toBeCloseTo(1, 3);
    vn.normalizeObs([100, 2], 2, out);
    expect(out[0]).toBe(1.5);
    expect(out[1]).toBeCloseTo(0, 3);
    vn.training = false;
    const before = vn.obsRms.count;
    vn.observe([50, 60], 2, out);
    expect(vn.obsRms.count).toBe(before);
    expect(vn.obsNormSpec()!.clip).toBe(1.5);
  });

  it("scales rewards by the std of the discounted return and resets the return on done", () => {
    const vn = new VecNormalize(1, 1, { normalizeObs: false, normalizeReward: true, gamma: 0.5 });
    const r = new Float32Array([2]);
    vn.reward(r, [false]); // G = 2; rms over {2} with tiny prior -> var ~ tiny -> clipped at 10
    expect(r[0]).toBe(10);
    const r2 = new Float32Array([2]);
    vn.reward(r2, [true]); // G = 3; var of {2, 3} = 0.25 -> 2 / 0.5 = 4
    expect(r2[0]).toBeCloseTo(4, 2);
    const r3 = new Float32Array([1]);
    vn.reward(r3, [false]); // G restarted: 1; var of {2,3,1} = 2/3
    expect(r3[0]).toBeCloseTo(1 / Math.sqrt(2 / 3), 2);
    expect(vn.obsNormSpec()).toBeUndefined();
  });

  it("takes a uint8 batch (images) and writes float32, with or without normalisation", () => {
    const raw = Uint8Array.of(0, 1, 1, 1, 0, 1);
    const copy = new VecNormalize(2, 3, { normalizeObs: false, normalizeReward: false, gamma: 0.99 });
    expect(Array.from(copy.observe(raw, 2, new Float32Array(6)))).toEqual([0, 1, 1, 1, 0, 1]);
    const vn = new VecNormalize(2, 3, { normalizeObs: true, normalizeReward: false, gamma: 0.99 });
    const out = vn.observe(raw, 2, new Float32Array(6));
    const same = new VecNormalize(2, 3, { normalizeObs: true, normalizeReward: false, gamma: 0.99 });
    expect(out).toEqual(same.observe(Float32Array.from(raw), 2, new Float32Array(6)));
    // Column 0 holds 0 and 1: normalised to -1 and +1.
    expect(out[0]).toBeCloseTo(-1, 3);
    expect(out[3]).toBeCloseTo(1, 3);
  });
});
