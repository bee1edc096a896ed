import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { parseArch } from "../../nn/arch.js";
import { diagonalFisher, EwcPenalty } from "./ewc.js";
import { TaskLayout } from "./layout.js";
import { MultiHeadStudent } from "./multi-head-student.js";

describe("EWC", () => {
  it("penalty (lambda/2) sum F (theta - theta*)^2 and its gradient lambda F (theta - theta*)", () => {
    const p = new EwcPenalty(2, Float32Array.of(1, 0.5, 0), Float32Array.of(0, 1, 3));
    const values = Float32Array.of(1, 3, 10, 7);
    const grad = Float32Array.of(0.5, 0, 0, 1);
    const penalty = p.apply(values, grad);
    expect(penalty).toBeCloseTo(0.5 * 2 * (1 * 1 + 0.5 * 4), 12);
    // Parameters past the Fisher's length (a new task's head) are free.
    expect(Array.from(grad)).toEqual([0.5 + 2, 2 * 0.5 * 2, 0, 1]);
    const next = p.consolidated(Float32Array.of(1, 1, 1, 1), values);
    expect(Array.from(next.fisher)).toEqual([2, 1.5, 1, 1]);
    expect(Array.from(next.anchor)).toEqual(Array.from(values));
    expect(() => new EwcPenalty(-1, new Float32Array(1), new Float32Array(1))).toThrow(/ewc/);
  });

  it("Fisher: squared score of the student's own policy, zero for heads of other tasks", () => {
    const layout = new TaskLayout([
      { name: "A-v0", obsShape: [3], dtype: "float32", actions: 2 },
      { name: "B-v0", obsShape: [3], dtype: "float32", actions: 3 },
    ]);
    const s = new MultiHeadStudent({ layout, arch: parseArch("4"), taskEmbedding: true, rng: new Rng(1) });
    const rng = new Rng(2);
    const input = Float32Array.from({ length: 30 }, () => rng.normal());
    const f = diagonalFisher(s, { input, tasks: new Int32Array(10), n: 10 }, new Rng(3));
    expect(f.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    const [h0, h1] = s.taskRanges();
    expect(f.subarray(h0![0], h0![1]).some((v) => v > 0)).toBe(true);
    expect(f.subarray(h1![0], h1![1]).every((v) => v === 0)).toBe(true);
    // Known answer for the head's bias: E_a[(onehot(a) - p)^2] = p(1 - p) per action, averaged over states.
    const biasAt = h0![0] + 4 * 2;
    const probs: number[] = [];
    for (let r = 0; r < 10; r++) {
      const [z] = s.forward(input.subarray(3 * r, 3 * r + 3), 1, [{ task: 0, start: 0, count: 1 }]);
      const e0 = Math.exp(z![0]!);
      const e1 = Math.exp(z![1]!);
      probs.push(e0 / (e0 + e1));
    }
    const expected = probs.reduce((a, p) => a + p * (1 - p), 0) / 10;
    // A sampled estimate from 10 states: within sampling noise of p(1 - p) (here p is near 1/2).
    expect(f[biasAt]).toBeGreaterThan(0.5 * expected);
    expect(f[biasAt]).toBeLessThan(1.5 * expected);
  });
});
