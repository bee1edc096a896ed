import { describe, expect, it } from "vitest";
import type { Box } from "../../core/spaces.js";
import { prepareEnv } from "../../envs/registry.js";
import type { DenseLayerSpec } from "../../nn/spec.js";
import { MlpCritic } from "./critic.js";
import { loadTeacher } from "./load.js";

const dense = (inSize: number, outSize: number, w: number[], b: number[], relu: boolean): DenseLayerSpec => ({
  kind: "dense",
  inSize,
  outSize,
  weight: Float32Array.from(w),
  bias: Float32Array.from(b),
  activation: relu ? "relu" : "linear",
});

// A 3-3-1 ReLU critic on [obs (2), action (1)]; action bounds [-2, 4], so the critic sees
// (a + 2) / 3 - 1; observations normalised by mean [1, -1], var [4, 0.25] (sd 2, 0.5).
const q1 = [
  dense(3, 3, [0.5, -1, 0.3, 0.2, 0.4, -0.7, 1.5, -0.8, 0.9], [0.1, 0.2, -0.3], true),
  dense(3, 1, [1.2, -0.6, 0.8], [0.05], false),
];
const obsNorm = { mean: Float32Array.of(1, -1), var: Float32Array.of(4, 0.25), epsilon: 0, clip: 10 };
const critic = () => new MlpCritic(q1, { obsSize: 2, actionSize: 1, low: [-2], high: [4], obsNorm });

/** The same network by hand, in float64. */
function qByHand(o: number[], a: number): number {
  const x = [(o[0]! - 1) / 2, (o[1]! + 1) / 0.5, (a + 2) / 3 - 1];
  const w = q1[0]!.weight;
  let q = q1[1]!.bias[0]!;
  for (let j = 0; j < 3; j++) {
    let h = q1[0]!.bias[j]!;
    for (let i = 0; i < 3; i++) h += x[i]! * w[i * 3 + j]!;
    q += Math.max(h, 0) * q1[1]!.weight[j]!;
  }
  return q;
}

describe("MlpCritic (a teacher's Q1 with its action gradient)", () => {
  const obs = Float32Array.of(0.5, -0.8, 2, -1.3, -1, -0.6);
  const actions = Float32Array.of(0.7, -1.5, 3.2);

  it("matches a hand forward, and its action gradient matches finite differences", () => {
    const c = critic();
    expect(c.params).toBe(3 * 3 + 3 + 3 + 1);
    const { q, dQda } = c.q1WithActionGrad(obs, actions, 3);
    for (let b = 0; b < 3; b++) {
      const o = [obs[2 * b]!, obs[2 * b + 1]!];
      expect(q[b]).toBeCloseTo(qByHand(o, actions[b]!), 5);
      // Central differences in float64 (the ReLU net is piecewise linear: exact away from kinks).
      const h = 1e-3;
      const fd = (qByHand(o, actions[b]! + h) - qByHand(o, actions[b]! - h)) / (2 * h);
      expect(Math.abs(fd)).toBeGreaterThan(1e-3); // a gradient that is there to check
      expect(dQda[b]).toBeCloseTo(fd, 4);
    }
  });

  it("refuses a network of the wrong input size or unbounded actions", () => {
    expect(() => new MlpCritic(q1, { obsSize: 3, actionSize: 1, low: [-1], high: [1] })).toThrow(/critic/);
    expect(() => new MlpCritic(q1, { obsSize: 2, actionSize: 1, low: [-Infinity], high: [1] })).toThrow(
      /finite action bounds/,
    );
  });

  it("comes with saved SAC agents, not with PPO teachers", async () => {
    await prepareEnv("InvertedPendulum-v5"); // the teacher's spaces come from its env
    const sac = await loadTeacher("models/invertedpendulum-sac.rldistill");
    expect(sac.kind).toBe("gaussian");
    const c = sac.qCritic!;
    expect(c).toBeDefined();
    // Its gradient against finite differences on the real critic, at in-box actions.
    const O = sac.obsSize;
    const box = sac.actionSpace as Box;
    const o = Float32Array.from({ length: O }, (_, i) => 0.05 * Math.sin(i + 1));
    const a = Float32Array.of(0.3 * box.high[0]!);
    const h = 1e-2 * box.high[0]!;
    const at = (v: number) => c.q1WithActionGrad(o, Float32Array.of(v), 1).q[0]!;
    const fd = (at(a[0]! + h) - at(a[0]! - h)) / (2 * h);
    expect(c.q1WithActionGrad(o, a, 1).dQda[0]).toBeCloseTo(fd, 1);
    const ppo = await loadTeacher("models/mountaincarcontinuous-ppo.rldistill");
    expect(ppo.kind).toBe("gaussian");
    expect(ppo.qCritic).toBeUndefined();
  });
});
