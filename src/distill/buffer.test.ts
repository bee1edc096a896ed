import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { DistillBuffer } from "./buffer.js";
import { SumTree } from "./sum-tree.js";
import type { TeacherBatch } from "./teacher.js";

const labels = (outputs: number[], k = 2): TeacherBatch => ({
  kind: "logits",
  n: outputs.length / k,
  actionSize: k,
  outputs: Float32Array.from(outputs),
  features: {},
});

describe("SumTree", () => {
  it("finds leaves by cumulative mass and keeps the total", () => {
    const t = new SumTree(5);
    [1, 0, 2, 3, 4].forEach((p, i) => {
      t.set(i, p);
    });
    expect(t.total).toBe(10);
    expect([0, 0.99, 1, 2.99, 3, 5.99, 6, 9.99].map((m) => t.find(m))).toEqual([0, 0, 2, 2, 3, 3, 4, 4]);
    t.set(4, 0);
    expect(t.total).toBe(6);
    expect(() => t.set(5, 1)).toThrow(RangeError);
    expect(() => t.set(0, -1)).toThrow(RangeError);
  });
});

describe("DistillBuffer", () => {
  it("is a ring: keeps the newest `capacity` entries with their labels", () => {
    const b = new DistillBuffer({ capacity: 3, obsSize: 1, actionSize: 2 });
    b.add({ obs: Float32Array.of(1, 2), teacher: labels([1, 0, 2, 0]) });
    b.add({ obs: Float32Array.of(3, 4), teacher: labels([3, 0, 4, 0]) });
    expect(b.size).toBe(3);
    expect(b.totalAdded).toBe(4);
    const all = b.gather(Int32Array.of(0, 1, 2));
    expect(Array.from(all.obs)).toEqual([4, 2, 3]);
    expect(Array.from(all.teacherOut)).toEqual([4, 0, 2, 0, 3, 0]);
  });

  it("uniform sampling: weights 1, every entry reachable, deterministic for a seed", () => {
    const b = new DistillBuffer({ capacity: 4, obsSize: 1, actionSize: 2 });
    b.add({ obs: Float32Array.of(0, 1, 2, 3), teacher: labels([0, 0, 0, 0, 0, 0, 0, 0]) });
    const s = b.sample(400, new Rng(1));
    expect(s.weights.every((w) => w === 1)).toBe(true);
    expect(new Set(s.obs).size).toBe(4);
    expect(Array.from(b.sample(8, new Rng(7)).indices)).toEqual(Array.from(b.sample(8, new Rng(7)).indices));
  });

  it("entropy prioritisation draws confident states more, with importance weights (known answer)", () => {
    const b = new DistillBuffer({
      capacity: 2,
      obsSize: 1,
      actionSize: 2,
      prioritisation: "entropy",
      priorityAlpha: 1,
    });
    // Row 0: uniform teacher (entropy log 2); row 1: certain teacher (entropy ~ 0).
    b.add({ obs: Float32Array.of(0, 1), teacher: labels([0, 0, 30, 0]) });
    const c0 = 1 / (Math.log(2) + 0.05) + 0.01;
    const c1 = 1 / 0.05 + 0.01;
    const p0 = c0 / (c0 + c1);
    expect(b.probability(0)).toBeCloseTo(p0, 4);
    const s = b.sample(2000, new Rng(2), 1);
    const frac1 = s.obs.reduce((a, v) => a + v, 0) / 2000;
    expect(frac1).toBeCloseTo(1 - p0, 2);
    // w_i = (N P(i))^-1 normalised by the largest: the rare state gets weight 1.
    const w0 = s.weights[s.obs.indexOf(0)]!;
    const w1 = s.weights[s.obs.indexOf(1)]!;
    expect(w0).toBeCloseTo(1, 5);
    expect(w1).toBeCloseTo(p0 / (1 - p0), 3);
  });

  it("Q-gap prioritisation and transitions", () => {
    const b = new DistillBuffer({
      capacity: 4,
      obsSize: 1,
      actionSize: 2,
      prioritisation: "qgap",
      priorityAlpha: 1,
      priorityEps: 0,
      transitions: true,
    });
    const q: TeacherBatch = { ...labels([1, 1, 5, 1]), kind: "q" };
    expect(() => b.add({ obs: Float32Array.of(0, 1), teacher: q })).toThrow(/transitions/);
    b.add({
      obs: Float32Array.of(0, 1),
      teacher: q,
      actions: Float32Array.of(1, 0),
      rewards: Float32Array.of(0.5, 1),
      nextObs: Float32Array.of(1, 2),
      terminated: Uint8Array.of(0, 1),
    });
    expect(b.probability(0)).toBe(0);
    const s = b.sample(16, new Rng(3));
    expect(s.obs.every((v) => v === 1)).toBe(true);
    expect(Array.from(s.rewards!.subarray(0, 1))).toEqual([1]);
    expect(s.terminated![0]).toBe(1);
  });

  it("stores uint8 observations (images) as uint8 and samples them as float32", () => {
    const b = new DistillBuffer({
      capacity: 4,
      obsSize: 3,
      actionSize: 2,
      obsDtype: "uint8",
      transitions: true,
    });
    expect(b.obsDtype).toBe("uint8");
    b.add({
      obs: Uint8Array.of(0, 1, 1, 1, 0, 255),
      teacher: labels([1, 0, 0, 1]),
      actions: Float32Array.of(0, 1),
      rewards: Float32Array.of(0, 1),
      nextObs: Float32Array.of(1, 1, 0, 0, 0, 1),
      terminated: Uint8Array.of(0, 1),
    });
    const s = b.gather(Int32Array.of(1, 0));
    expect(s.obs).toBeInstanceOf(Float32Array);
    expect(Array.from(s.obs)).toEqual([1, 0, 255, 0, 1, 1]);
    expect(Array.from(s.nextObs!)).toEqual([0, 0, 1, 1, 1, 0]);
    // Its storage is a quarter of float32's: the private arrays hold bytes.
    const stored = (b as unknown as { obs: ArrayBufferView; next: ArrayBufferView }).obs;
    expect(stored).toBeInstanceOf(Uint8Array);
    expect(stored.byteLength).toBe(4 * 3);
    const base = { teacher: labels([1, 0]), actions: Float32Array.of(0), rewards: Float32Array.of(0) };
    const ok = { ...base, obs: Uint8Array.of(0, 0, 0), terminated: Uint8Array.of(0) };
    expect(() => b.add({ ...ok, obs: Float32Array.of(0.5, 0, 0), nextObs: Uint8Array.of(0, 0, 0) })).toThrow(
      /buffer obs: uint8 storage holds integers/,
    );
    expect(() => b.add({ ...ok, nextObs: Float32Array.of(0, -1, 0) })).toThrow(/buffer nextObs/);
    expect(
      () => new DistillBuffer({ capacity: 1, obsSize: 1, actionSize: 1, obsDtype: "f16" as "uint8" }),
    ).toThrow(/obsDtype: allowed: float32, uint8/);
  });

  it("stores named features and values, and names missing ones", () => {
    const b = new DistillBuffer({
      capacity: 2,
      obsSize: 1,
      actionSize: 2,
      features: [{ name: "fc0", size: 3 }],
    });
    const t = {
      ...labels([0, 1]),
      values: Float32Array.of(7),
      features: { fc0: Float32Array.of(1, 2, 3) },
    };
    b.add({ obs: Float32Array.of(0), teacher: t });
    const s = b.gather(Int32Array.of(0));
    expect(Array.from(s.features.fc0!)).toEqual([1, 2, 3]);
    expect(Array.from(s.teacherValue!)).toEqual([7]);
    expect(() => b.add({ obs: Float32Array.of(0), teacher: labels([0, 1]) })).toThrow(/no feature "fc0"/);
    expect(() => new DistillBuffer({ capacity: 0, obsSize: 1, actionSize: 1 })).toThrow(/bufferSize/);
    expect(
      () => new DistillBuffer({ capacity: 1, obsSize: 1, actionSize: 1, prioritisation: "td" as "none" }),
    ).toThrow(/allowed: none, entropy, qgap/);
  });
});
