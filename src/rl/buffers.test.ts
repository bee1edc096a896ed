import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { make } from "../envs/registry.js";
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

describe("uint8 observation storage (MinAtar)", () => {
  /** Real MinAtar Seaquest observations (10 x 10 x 10 bits) from a seeded random run. */
  function seaquestObs(count: number): Uint8Array[] {
    const env = make<Uint8Array, number>("MinAtar/Seaquest-v1");
    const rng = new Rng(0);
    const out: Uint8Array[] = [env.reset({ seed: 0 }).obs];
    while (out.length < count) {
      const r = env.step(rng.integer(6));
      out.push(r.terminated ? env.reset().obs : r.obs);
    }
    return out;
  }

  it("a replay buffer keeps observations as uint8: 2 x 100C + 12 bytes per transition", () => {
    const frames = seaquestObs(65);
    const rb = new ReplayBuffer(64, 1000, 1, { obsDtype: "uint8" });
    expect(rb.obs).toBeInstanceOf(Uint8Array);
    expect(rb.nextObs).toBeInstanceOf(Uint8Array);
    for (let k = 0; k < 64; k++) rb.add(frames[k]!, k % 6, k, frames[k + 1]!, false);
    const bytes =
      rb.obs.byteLength +
      rb.nextObs.byteLength +
      rb.actions.byteLength +
      rb.rewards.byteLength +
      rb.terminated.byteLength;
    // Seaquest (C = 10): 2012 bytes a transition, 2.0 GB for a million (float32 storage: 8012).
    expect(bytes / rb.capacity).toBe(2 * 100 * 10 + 12);
    const batch = rb.sample(32, new Rng(3));
    expect(batch.obs).toBeInstanceOf(Float32Array);
    for (let b = 0; b < 32; b++) {
      const k = batch.rewards[b]!;
      expect(Array.from(batch.obs.subarray(b * 1000, (b + 1) * 1000))).toEqual(Array.from(frames[k]!));
      expect(Array.from(batch.nextObs.subarray(b * 1000, (b + 1) * 1000))).toEqual(
        Array.from(frames[k + 1]!),
      );
    }
    // Float copies of the 0/1 planes are stored exactly; anything else would be silently rounded.
    rb.add(Float32Array.from(frames[0]!), 0, 0, frames[1]!, false);
    const half = new Float32Array(1000).fill(0.5);
    expect(() => rb.add(half, 0, 0, frames[1]!, false)).toThrow(
      /ReplayBuffer\.add obs: uint8 storage holds integers/,
    );
    expect(() => new ReplayBuffer(1, 1, 1, { obsDtype: "int8" as "uint8" })).toThrow(
      /ReplayBuffer\.obsDtype: allowed: float32, uint8/,
    );
  });

  it("a rollout buffer keeps uint8 rows and gathers float32 minibatches", () => {
    const frames = seaquestObs(8);
    const buf = new RolloutBuffer(4, 2, 1000, 1, { obsDtype: "uint8" });
    expect(buf.obs).toBeInstanceOf(Uint8Array);
    for (let t = 0; t < 4; t++) {
      const obs = new Uint8Array(2000);
      obs.set(frames[2 * t]!, 0);
      obs.set(frames[2 * t + 1]!, 1000);
      buf.add(obs, [0, 1], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]);
    }
    const mb = buf.gather([5, 0]);
    expect(mb.obs).toBeInstanceOf(Float32Array);
    expect(Array.from(mb.obs.subarray(0, 1000))).toEqual(Array.from(frames[5]!));
    expect(Array.from(mb.obs.subarray(1000))).toEqual(Array.from(frames[0]!));
  });
});
