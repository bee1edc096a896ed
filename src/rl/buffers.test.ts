import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { ReplayBuffer } from "./replay-buffer.js";
import { RolloutBuffer } from "./rollout-buffer.js";

describe("RolloutBuffer", () => {
  it("stores steps row-major, computes GAE with final values, and gathers shuffled minibatches", () => {
    const buf = new RolloutBuffer(2, 2, 3, 1);
    buf.reset();
    buf.add([1, 1, 1, 2, 2, 2], [0, 1], [-0.1, -0.2], [0.5, 1], [1, 1], [false, false], [false, true]);
    buf.setFinalValue(1, 10);
    buf.add([3, 3, 3, 4, 4, 4], [1, 0], [-0.3, -0.4], [0.6, 2], [1, 2], [true, false], [false, false]);
    expect(buf.full).toBe(true);
    expect(() => buf.add([], [], [], [], [], [], [])).toThrow(/full/);
    buf.computeReturnsAndAdvantages([7, 5], 0.9, 0.8);
    // env 0: t=1 terminated -> 1 - 0.6 = 0.4; t=0 -> 1 + 0.9*0.6 - 0.5 + 0.72*0.4 = 1.328
    // env 1: t=1 -> 2 + 0.9*5 - 2 = 4.5; t=0 truncated -> 1 + 0.9*10 - 1 = 9
    expect(buf.advantages[0]).toBeCloseTo(1.328, 5);
    expect(buf.advantages[1]).toBeCloseTo(9, 5);
    expect(buf.advantages[2]).toBeCloseTo(0.4, 5);
    expect(buf.advantages[3]).toBeCloseTo(4.5, 5);

    const batches = buf.minibatchIndices(3, new Rng(0));
    expect(batches.map((b) => b.length)).toEqual([3, 1]);
    const all = [...batches[0]!, ...batches[1]!].sort();
    expect(all).toEqual([0, 1, 2, 3]);
    const mb = buf.gather([3, 0]);
    expect(Array.from(mb.obs)).toEqual([4, 4, 4, 1, 1, 1]);
    expect(Array.from(mb.actions)).toEqual([0, 0]);
    expect(mb.logProbs[0]).toBeCloseTo(-0.4);
    expect(mb.returns[0]).toBeCloseTo(4.5 + 2, 5);
  });

  it("refuses to compute advantages before the rollout is complete", () => {
    const buf = new RolloutBuffer(2, 1, 1, 1);
    buf.add([0], [0], [0], [0], [0], [0], [0]);
    expect(() => buf.computeReturnsAndAdvantages([0], 0.99, 0.95)).toThrow(/1 of 2 steps/);
  });
});

describe("ReplayBuffer", () => {
  it("wraps around at capacity and samples stored transitions only", () => {
    const rb = new ReplayBuffer(3, 2);
    for (let k = 0; k < 5; k++) rb.add([k, k], k % 2, k * 10, [k + 0.5, k + 0.5], k === 4);
    expect(rb.size).toBe(3);
    expect(rb.getState()).toEqual({ pos: 2, count: 3 });
    const batch = rb.sample(50, new Rng(1));
    const seen = new Set<number>();
    for (let b = 0; b < 50; b++) {
      const k = batch.obs[b * 2]!;
      seen.add(k);
      expect(batch.nextObs[b * 2]).toBe(k + 0.5);
      expect(batch.rewards[b]).toBe(k * 10);
      expect(batch.actions[b]).toBe(k % 2);
      expect(batch.terminated[b]).toBe(k === 4 ? 1 : 0);
    }
    expect([...seen].sort()).toEqual([2, 3, 4]);
  });

  it("samples the same batch for the same generator state", () => {
    const rb = new ReplayBuffer(10, 1);
    for (let k = 0; k < 10; k++) rb.add([k], 0, 0, [k], false);
    expect(Array.from(rb.sample(8, new Rng(5)).obs)).toEqual(Array.from(rb.sample(8, new Rng(5)).obs));
    expect(() => new ReplayBuffer(2, 1).sample(1, new Rng(0))).toThrow(/empty/);
  });
});
