import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { initBackend, type Scalar, tf } from "./backend.js";
import { ActorCritic } from "./models.js";
import { huber, pickActions } from "./ops.js";
import { Adam, ArrayAdam, clipByGlobalNorm, trainStep } from "./optim.js";
import { QNetwork } from "./q-network.js";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("Adam", () => {
  it("matches a hand-computed answer for two steps (PyTorch's update rule)", () => {
    // numpy, float64, loss 0.5 * sum(p^2) so g = p, lr 0.1, betas (0.9, 0.999), eps 1e-8:
    //   m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2
    //   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new Adam([p], { lr: 0.1 });
    const loss = () => tf.mul(0.5, tf.sum(tf.square(p))) as Scalar;
    const r1 = trainStep(opt, loss);
    expect(r1.loss).toBeCloseTo(2.5, 6);
    const [a1, b1] = Array.from(p.dataSync());
    expect(a1).toBeCloseTo(0.900000001, 6);
    expect(b1).toBeCloseTo(-1.9000000005, 6);
    trainStep(opt, loss);
    const [a, b] = Array.from(p.dataSync());
    expect(a).toBeCloseTo(0.8004122297123382, 6);
    expect(b).toBeCloseTo(-1.8001664866210927, 6);
    const state = opt.getState();
    expect(state.step).toBe(2);
    expect(state.m[0]![0]).toBeCloseTo(0.18, 6);
    expect(state.v[0]![1]).toBeCloseTo(0.007606, 8);
    opt.dispose();
    p.dispose();
  });

  it("takes a new learning rate at the next step and leaves variables without a gradient alone", () => {
    const p = tf.variable(tf.tensor1d([1]));
    const unused = tf.variable(tf.tensor1d([7]));
    const opt = new Adam([p, unused], { lr: 0.1 });
    opt.lr = 0;
    trainStep(opt, () => tf.sum(tf.square(p)) as Scalar);
    expect(p.dataSync()[0]).toBe(1);
    opt.lr = 0.5;
    trainStep(opt, () => tf.sum(tf.square(p)) as Scalar);
    expect(p.dataSync()[0]).toBeCloseTo(0.5, 5);
    expect(unused.dataSync()[0]).toBe(7);
    opt.dispose();
    tf.dispose([p, unused]);
  });

  it("rejects bad settings, naming the field", () => {
    const p = tf.variable(tf.tensor1d([1]));
    expect(() => new Adam([p], { lr: -1 })).toThrow(/lr/);
    expect(() => new Adam([p], { eps: 0 })).toThrow(/eps/);
    expect(() => new Adam([], {})).toThrow(/variables/);
    const opt = new Adam([p]);
    expect(() => trainStep(opt, () => tf.sum(p) as Scalar, { maxGradNorm: 0 })).toThrow(/maxGradNorm/);
    opt.dispose();
    p.dispose();
  });
});

describe("clipByGlobalNorm", () => {
  it("scales by maxNorm / (norm + 1e-6) when above, returns the pre-clip norm", () => {
    const [clipped, norm] = tf.tidy(() => {
      const r = clipByGlobalNorm([tf.tensor1d([3]), undefined, tf.tensor1d([4])], 1);
      expect(r.grads[1]).toBeUndefined();
      return [tf.concat([r.grads[0]!, r.grads[2]!]).dataSync(), r.norm.dataSync()[0]];
    });
    expect(norm).toBeCloseTo(5, 6);
    expect(clipped[0]).toBeCloseTo(0.6 / (1 + 2e-7), 6);
    expect(clipped[1]).toBeCloseTo(0.8 / (1 + 2e-7), 6);
    const untouched = tf.tidy(() => clipByGlobalNorm([tf.tensor1d([0.3, 0.4])], 1).grads[0]!.dataSync());
    expect(Array.from(untouched)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });

  it("trainStep reports the norm before clipping and metrics in one read", () => {
    const p = tf.variable(tf.tensor1d([3, 4]));
    const opt = new Adam([p]);
    const r = trainStep(
      opt,
      () => ({ loss: tf.mul(0.5, tf.sum(tf.square(p))) as Scalar, metrics: { s: tf.sum(p) as Scalar } }),
      {
        maxGradNorm: 0.5,
      },
    );
    expect(r.gradNorm).toBeCloseTo(5, 5);
    expect(r.metrics.s).toBe(7);
    opt.dispose();
    p.dispose();
  });
});

/** A PPO-like and a DQN-like step on fixed data; returns the losses of `steps` steps. */
function trainBoth(
  seed: number,
  steps: number,
  check?: () => void,
): { losses: number[]; weights: Float32Array[] } {
  const rng = new Rng(seed);
  const ac = new ActorCritic({ obsShape: [4], action: { kind: "discrete", n: 3 } }, rng);
  const q = new QNetwork(
    {
      obsShape: [5, 5, 2],
      numActions: 3,
      body: { kind: "cnn", convs: [{ channels: 4, kernelSize: 3 }], hidden: [16] },
    },
    rng,
  );
  const target = new QNetwork(
    {
      obsShape: [5, 5, 2],
      numActions: 3,
      body: { kind: "cnn", convs: [{ channels: 4, kernelSize: 3 }], hidden: [16] },
    },
    rng,
  );
  target.copyWeightsFrom(q);
  const weights = [...Object.values(ac.getWeights()), ...Object.values(q.getWeights())].map((w) => w.data);
  const optA = new Adam(ac.variables, { lr: 1e-3, eps: 1e-5 });
  const optQ = new Adam(q.variables, { lr: 1e-3 });
  const obs = tf.tensor2d(rng.fillNormal(new Float32Array(32 * 4)), [32, 4]);
  const grid = tf.tensor2d(rng.fillUniform(new Float32Array(32 * 50)), [32, 50]);
  const acts = tf.tensor1d(
    Int32Array.from({ length: 32 }, (_, i) => i % 3),
    "int32",
  );
  const adv = tf.tensor1d(rng.fillNormal(new Float32Array(32)));
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const a = trainStep(
      optA,
      () => {
        const e = ac.evaluate(obs, acts);
        const pg = tf.neg(tf.mean(tf.mul(e.logProb, adv)));
        return tf.sub(
          tf.add(pg, tf.mean(tf.square(tf.sub(e.value, adv)))),
          tf.mul(0.01, tf.mean(e.entropy)),
        ) as Scalar;
      },
      { maxGradNorm: 0.5 },
    );
    const d = trainStep(optQ, () => {
      const y = tf.add(adv, tf.mul(0.99, tf.max(target.q(grid), -1)));
      return huber(pickActions(q.q(grid), acts), y) as Scalar;
    });
    losses.push(a.loss, d.loss);
    check?.();
  }
  tf.dispose([obs, grid, acts, adv]);
  for (const t of [ac, q, target, optA, optQ]) t.dispose();
  return { losses, weights };
}

describe("training loop hygiene", () => {
  it("does not leak tensors over 20 PPO-like and DQN-like steps", () => {
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    trainBoth(1, 20, () => counts.push(tf.memory().numTensors));
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("is deterministic: same seed, same initial weights and same losses over 5 Adam steps", () => {
    const a = trainBoth(7, 5);
    const b = trainBoth(7, 5);
    expect(b.weights).toEqual(a.weights);
    expect(b.losses).toEqual(a.losses);
    expect(a.losses.every(Number.isFinite)).toBe(true);
    const c = trainBoth(8, 1);
    expect(c.weights[0]).not.toEqual(a.weights[0]);
  });
});

describe("ArrayAdam", () => {
  it("is PyTorch's formula in float64, bit for bit (SIMD kernel against the scalar reference)", () => {
    const rng = new Rng(9);
    const n = 37; // odd: the kernel's two-at-a-time body and its scalar tail
    const values = rng.fillNormal(new Float32Array(n));
    const grad = new Float32Array(n);
    const opt = new ArrayAdam([{ values, grad, sizes: [30, 7] }], { lr: 3e-3, eps: 1e-5 });
    const ref = Float32Array.from(values);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    for (let t = 1; t <= 5; t++) {
      rng.fillNormal(grad, 0, t === 3 ? 1e4 : 1e-3);
      grad[0] = 0;
      opt.apply();
      const stepSize = 3e-3 / (1 - 0.9 ** t);
      const sqrtBc2 = Math.sqrt(1 - 0.999 ** t);
      for (let j = 0; j < n; j++) {
        const mi = 0.9 * m[j]! + (1 - 0.9) * grad[j]!;
        const vi = 0.999 * v[j]! + (1 - 0.999) * grad[j]! * grad[j]!;
        m[j] = mi;
        v[j] = vi;
        ref[j] = ref[j]! - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + 1e-5);
      }
      expect(Array.from(values)).toEqual(Array.from(ref));
    }
    const state = opt.getState();
    expect(state.m.map((a) => a.length)).toEqual([30, 7]);
    expect(Array.from(state.m[1]!)).toEqual(Array.from(m.subarray(30)));
    const again = new ArrayAdam([{ values: new Float32Array(n), grad, sizes: [30, 7] }]);
    again.setState(state);
    expect(again.getState()).toEqual(state);
  });

  it("clips the global norm over every group and leaves inactive groups alone", () => {
    const a = { values: Float32Array.of(1, 1), grad: Float32Array.of(3, 0) };
    const b = { values: Float32Array.of(5), grad: Float32Array.of(4) };
    const opt = new ArrayAdam([a, b], { lr: 0.1 });
    expect(opt.clipGradNorm(1)).toBeCloseTo(5, 6);
    expect(a.grad[0]).toBeCloseTo(0.6, 5);
    expect(b.grad[0]).toBeCloseTo(0.8, 5);
    opt.apply([true, false]);
    expect(b.values[0]).toBe(5);
    expect(a.values[0]).toBeCloseTo(0.9, 6);
  });
});
