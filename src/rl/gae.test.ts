import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { computeGae } from "./gae.js";

describe("computeGae", () => {
  it("matches hand-computed advantages, with truncation bootstrapping and termination", () => {
    // Two envs, three steps, gamma 0.9, lambda 0.8 (gamma * lambda = 0.72).
    // env 0: no episode end; bootstraps from lastValues[0] = 0.8.
    //   t=2: 1 + 0.9*0.8 - 0.7 = 1.02
    //   t=1: (1 + 0.9*0.7 - 0.6) + 0.72*1.02 = 1.03 + 0.7344 = 1.7644
    //   t=0: (1 + 0.9*0.6 - 0.5) + 0.72*1.7644 = 1.04 + 1.270368 = 2.310368
    // env 1: step 0 truncated (V(finalObs) = 10), step 1 terminated, lastValues[1] = 5.
    //   t=2: 3 + 0.9*5 - 3 = 4.5
    //   t=1: 2 + 0 - 2 = 0            (terminated: no bootstrap, no carry)
    //   t=0: 1 + 0.9*10 - 1 = 9       (truncated: bootstrap from finalObs, no carry)
    const adv = new Float32Array(6);
    const ret = new Float32Array(6);
    computeGae(
      {
        numSteps: 3,
        numEnvs: 2,
        rewards: [1, 1, 1, 2, 1, 3],
        values: [0.5, 1, 0.6, 2, 0.7, 3],
        terminated: [0, 0, 0, 1, 0, 0],
        truncated: [0, 1, 0, 0, 0, 0],
        finalValues: [0, 10, 0, 0, 0, 0],
        lastValues: [0.8, 5],
        gamma: 0.9,
        lambda: 0.8,
      },
      adv,
      ret,
    );
    const expected = [2.310368, 9, 1.7644, 0, 1.02, 4.5];
    for (let k = 0; k < 6; k++) expect(adv[k]).toBeCloseTo(expected[k]!, 5);
    const values = [0.5, 1, 0.6, 2, 0.7, 3];
    for (let k = 0; k < 6; k++) expect(ret[k]).toBeCloseTo(expected[k]! + values[k]!, 5);
  });

  it("a step both terminated and truncated counts as terminated (no bootstrap)", () => {
    const adv = new Float32Array(1);
    const ret = new Float32Array(1);
    computeGae(
      {
        numSteps: 1,
        numEnvs: 1,
        rewards: [1],
        values: [0.25],
        terminated: [1],
        truncated: [1],
        finalValues: [100],
        lastValues: [100],
        gamma: 0.99,
        lambda: 0.95,
      },
      adv,
      ret,
    );
    expect(adv[0]).toBeCloseTo(0.75, 6);
    expect(ret[0]).toBeCloseTo(1, 6);
  });

  it("with lambda = 1 and no bootstrap, returns are discounted Monte Carlo returns", () => {
    const rewards = [1, 2, 3, 4];
    const adv = new Float32Array(4);
    const ret = new Float32Array(4);
    computeGae(
      {
        numSteps: 4,
        numEnvs: 1,
        rewards,
        values: [0.3, -1, 2, 0.5],
        terminated: [0, 0, 0, 1],
        truncated: [0, 0, 0, 0],
        finalValues: [0, 0, 0, 0],
        lastValues: [7],
        gamma: 0.5,
        lambda: 1,
      },
      adv,
      ret,
    );
    expect(Array.from(ret)).toEqual([1 + 1 + 0.75 + 0.5, 2 + 1.5 + 1, 3 + 2, 4]);
  });

  it("equals the Stable-Baselines3 formulation (reward += gamma * V(finalObs), done = 1) on random data", () => {
    const rng = new Rng(3);
    const T = 17;
    const N = 3;
    const size = T * N;
    const rewards = Array.from({ length: size }, () => rng.normal());
    const values = Array.from({ length: size }, () => rng.normal());
    const finalValues = Array.from({ length: size }, () => rng.normal());
    const terminated = Array.from({ length: size }, () => (rng.random() < 0.1 ? 1 : 0));
    const truncated = Array.from({ length: size }, (_, k) => (!terminated[k] && rng.random() < 0.1 ? 1 : 0));
    const lastValues = [rng.normal(), rng.normal(), rng.normal()];
    const gamma = 0.97;
    const lambda = 0.9;
    const adv = new Float32Array(size);
    const ret = new Float32Array(size);
    computeGae(
      {
        numSteps: T,
        numEnvs: N,
        rewards,
        values,
        terminated,
        truncated,
        finalValues,
        lastValues,
        gamma,
        lambda,
      },
      adv,
      ret,
    );

    // SB3's compute_returns_and_advantage, written independently.
    for (let i = 0; i < N; i++) {
      let last = 0;
      for (let t = T - 1; t >= 0; t--) {
        const k = t * N + i;
        const r = rewards[k]! + (truncated[k] ? gamma * finalValues[k]! : 0);
        const done = terminated[k] || truncated[k] ? 1 : 0;
        const nextV = t === T - 1 ? lastValues[i]! : values[k + N]!;
        const delta = r + gamma * nextV * (1 - done) - values[k]!;
        last = delta + gamma * lambda * (1 - done) * last;
        expect(adv[k]).toBeCloseTo(last, 4);
      }
    }
  });

  it("rejects arrays of the wrong size", () => {
    const z = [0, 0];
    expect(() =>
      computeGae(
        {
          numSteps: 2,
          numEnvs: 1,
          rewards: [0],
          values: z,
          terminated: z,
          truncated: z,
          finalValues: z,
          lastValues: [0],
          gamma: 1,
          lambda: 1,
        },
        new Float32Array(2),
        new Float32Array(2),
      ),
    ).toThrow(/rewards has 1 entries, expected 2/);
  });
});
