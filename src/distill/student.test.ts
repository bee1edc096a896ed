import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { Box, Discrete } from "../core/spaces.js";
import { initBackend, tf } from "../nn/backend.js";
import { checkHidden, Student } from "./student.js";

beforeAll(async () => {
  await initBackend("cpu");
});

describe("Student", () => {
  it("forward matches its synchronous snapshot, and counts acting parameters", () => {
    const s = new Student({
      obsSize: 3,
      actionSpace: new Discrete(2),
      hidden: [5, 4],
      output: "logits",
      valueWidth: 1,
      rng: new Rng(1),
      obsNorm: { mean: Float32Array.of(1, 0, 0), var: Float32Array.of(4, 1, 1), epsilon: 0, clip: 10 },
    });
    expect(s.params).toBe(3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2);
    const obs = Float32Array.of(1, 2, 3, -1, 0.5, 0);
    const { out, value, hidden } = tf.tidy(() => {
      const f = s.forward(tf.tensor2d(obs, [2, 3]));
      return { out: f.out.arraySync(), value: f.value!.arraySync(), hidden: Object.keys(f.hidden) };
    });
    expect(hidden).toEqual(["fc0", "fc1"]);
    expect(value.length).toBe(2);
    const p = s.policy();
    const sync = p.forward(obs, 2);
    for (let i = 0; i < 4; i++) expect(sync[i]).toBeCloseTo(out[Math.floor(i / 2)]![i % 2]!, 5);
    expect(s.toSpec().valueLayers?.length).toBe(3);
    s.dispose();
  });

  it("Gaussian students expose their log std and clip actions", () => {
    const s = new Student({
      obsSize: 2,
      actionSpace: new Box(-0.5, 0.5, { shape: [1] }),
      hidden: [4],
      output: "mean",
      initLogStd: -1,
      rng: new Rng(2),
    });
    const p = s.policy();
    const d = p.distribution(Float32Array.of(0, 0));
    expect(d.kind === "gaussian" && d.std[0]).toBeCloseTo(Math.exp(-1), 6);
    for (let i = 0; i < 50; i++) {
      const a = p.act(Float32Array.of(0, 0), { deterministic: false, rng: new Rng(i) }) as Float32Array;
      expect(Math.abs(a[0]!)).toBeLessThanOrEqual(0.5);
    }
    expect(tf.tidy(() => s.logStdRows(3).shape)).toEqual([3, 1]);
    s.dispose();
  });

  it("rejects shapes that cannot work, naming the layer", () => {
    expect(() => checkHidden("student", [0, 32])).toThrow(/layer 0 has width 0/);
    expect(() => checkHidden("student", [])).toThrow(/at least one hidden layer/);
    expect(() => checkHidden("student", [Number.NaN])).toThrow(/NaN/);
    expect(
      () =>
        new Student({
          obsSize: 2,
          actionSpace: new Discrete(2),
          hidden: [4],
          output: "mean",
          rng: new Rng(0),
        }),
    ).toThrow(/Gaussian student/);
  });
});
