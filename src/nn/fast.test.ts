import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { initBackend, tf } from "./backend.js";
import { compileSpec } from "./fast.js";
import { ActorCritic } from "./models.js";
import { normalizeObs } from "./ops.js";
import { QNetwork } from "./q-network.js";
import { Cnn, Mlp, type Sequential } from "./sequential.js";
import type { DenseLayerSpec, ObsNormSpec, PolicySpec } from "./spec.js";

beforeAll(async () => {
  await initBackend("wasm");
});

function randomObs(rng: Rng, n: number, scale = 3): Float32Array {
  return rng.fillNormal(new Float32Array(n), 0.5, scale);
}

function tfForward(net: Sequential, obs: Float32Array, batch: number, norm?: ObsNormSpec): Float32Array {
  return tf.tidy(() => {
    let x = tf.tensor2d(obs, [batch, obs.length / batch]);
    if (norm) x = normalizeObs(x, norm) as tf.Tensor2D;
    return net.forward(x).out.dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function specOf(net: Sequential, obsShape: number[], norm?: ObsNormSpec): PolicySpec {
  return { obsShape, output: "logits", actionSize: net.outSize, layers: net.toSpec(), obsNorm: norm };
}

const rng = new Rng(7);
const norm4: ObsNormSpec = {
  mean: Float32Array.from([0.3, -1, 2, 0]),
  var: Float32Array.from([0.5, 4, 0.01, 1e-9]),
  epsilon: 1e-8,
  clip: 5,
};

describe("compileSpec matches the tfjs forward to 1e-6", () => {
  for (const activation of ["tanh", "relu"] as const) {
    for (const withNorm of [false, true]) {
      it(`MLP 4-64-64-3 ${activation}${withNorm ? " with obs norm" : ""}`, () => {
        const net = new Mlp({ inSize: 4, hidden: [64, 64], outSize: 3, activation }, rng);
        const norm = withNorm ? norm4 : undefined;
        const policy = compileSpec(specOf(net, [4], norm));
        for (const batch of [1, 5, 64]) {
          const obs = randomObs(rng, batch * 4);
          expect(maxAbsDiff(policy.forward(obs, batch), tfForward(net, obs, batch, norm))).toBeLessThan(1e-6);
        }
        net.dispose();
      });
    }
  }

  for (const activation of ["relu", "tanh"] as const) {
    it(`CNN 10x10x4 (valid conv, then same stride-2 conv) ${activation}, with and without obs norm`, () => {
      const net = new Cnn(
        {
          inShape: [10, 10, 4],
          convs: [
            { channels: 8, kernelSize: 3 },
            { channels: 6, kernelSize: 3, stride: 2, padding: "same" },
          ],
          hidden: [32],
          outSize: 5,
          activation,
        },
        rng,
      );
      const norm: ObsNormSpec = {
        mean: randomObs(rng, 400, 0.3),
        var: rng.fillUniform(new Float32Array(400), 0.1, 2),
        epsilon: 1e-8,
        clip: 10,
      };
      for (const n of [undefined, norm]) {
        const policy = compileSpec(specOf(net, [10, 10, 4], n));
        for (const batch of [1, 6]) {
          const obs = rng.fillUniform(new Float32Array(batch * 400), 0, 1);
          expect(maxAbsDiff(policy.forward(obs, batch), tfForward(net, obs, batch, n))).toBeLessThan(1e-6);
        }
      }
      net.dispose();
    });
  }
});

describe("compiled policies act", () => {
  it("argmax for logits and Q-values, with the dueling head folded", () => {
    const q = new QNetwork({ obsShape: [4], numActions: 3, dueling: true }, rng);
    const policy = compileSpec(q.toSpec());
    const obs = randomObs(rng, 32 * 4);
    const ref = tf.tidy(() => q.q(tf.tensor2d(obs, [32, 4])).dataSync() as Float32Array);
    expect(maxAbsDiff(policy.forward(obs, 32), ref)).toBeLessThan(1e-6);
    for (let b = 0; b < 32; b++) {
      const row = Array.from(ref.subarray(b * 3, b * 3 + 3));
      expect(policy.act(obs.subarray(b * 4, b * 4 + 4))).toBe(row.indexOf(Math.max(...row)));
    }
    q.dispose();
  });

  it("samples logits with the rng, reproducibly, and refuses to sample without one", () => {
    const ac = new ActorCritic({ obsShape: [2], action: { kind: "discrete", n: 4 } }, rng);
    const policy = compileSpec(ac.toSpec());
    const obs = Float32Array.from([0.1, -0.2]);
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 200 }, () => policy.act(obs, { deterministic: false, rng: r }) as number);
    };
    const a = draw(3);
    expect(draw(3)).toEqual(a);
    // The policy head (gain 0.01) is near uniform: every action must show up.
    expect(new Set(a).size).toBe(4);
    expect(() => policy.act(obs, { deterministic: false })).toThrow(/rng/);
    const d = policy.distribution(obs);
    expect(d.kind).toBe("categorical");
    if (d.kind === "categorical") expect(d.probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    ac.dispose();
  });

  it("clips the Gaussian mean and computes V(s) from valueLayers", () => {
    const ac = new ActorCritic(
      { obsShape: [3], action: { kind: "continuous", size: 2, low: [-0.001, -1], high: [0.001, 1] } },
      rng,
    );
    const spec = ac.toSpec();
    (spec.layers[spec.layers.length - 1] as DenseLayerSpec).bias.set([5, -5]);
    const policy = compileSpec(spec);
    const obs = Float32Array.from([0.5, 0.2, -0.3]);
    expect(Array.from(policy.act(obs) as Float32Array)).toEqual([Math.fround(0.001), -1]);
    const ref = tf.tidy(() => ac.value(tf.tensor2d(obs, [1, 3])).dataSync()[0]!);
    expect(Math.abs(policy.value!(obs)[0]! - ref)).toBeLessThan(1e-6);
    ac.dispose();
  });

  it("rejects a spec whose sizes disagree, naming the field", () => {
    const net = new Mlp({ inSize: 4, hidden: [8], outSize: 2 }, rng);
    expect(() => compileSpec({ ...specOf(net, [5]) })).toThrow(/spec.layers\[0\]/);
    expect(() => compileSpec({ ...specOf(net, [4]), actionSize: 3 })).toThrow(/spec.actionSize/);
    net.dispose();
  });
});
