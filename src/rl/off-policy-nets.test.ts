import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { ExactStack } from "../nn/kernels/exact.js";
import type { DenseLayerSpec } from "../nn/spec.js";
import { DenseNets, mlp } from "./off-policy-nets.js";
import { sacActorGradient, squashedGaussianSample } from "./sac-losses.js";
import { td3ActorGradient } from "./td3.js";

const O = 3;
const A = 2;
const B = 5;
const SHAPES = { batch: B, obsSize: O, actionSize: A, logStdMin: -5, logStdMax: 2 };

/** Float64 forward of a layer stack (kernels/exact.ts), the reference for finite differences. */
function exact(layers: DenseLayerSpec[], x: ArrayLike<number>, batch: number): Float64Array {
  const s = new ExactStack(layers, "layers");
  s.input(batch).set(x);
  return s.run(batch).slice();
}

/** Every weight and bias of `layers` as [array, index] pairs, in the flat parameter order. */
function paramRefs(layers: DenseLayerSpec[]): Array<[Float32Array, number]> {
  return layers.flatMap((l) => [
    ...Array.from(l.weight, (_, i): [Float32Array, number] => [l.weight, i]),
    ...Array.from(l.bias, (_, i): [Float32Array, number] => [l.bias, i]),
  ]);
}

/**
 * Central differences of `loss` for the chosen parameters, NaN where two step sizes disagree (a
 * relu kink lies within the step: no valid estimate there).
 */
function finiteDiffs(refs: Array<[Float32Array, number]>, picks: number[], loss: () => number): number[] {
  return picks.map((p) => {
    const [arr, i] = refs[p]!;
    const v = arr[i]!;
    const slope = (h: number) => {
      arr[i] = v + h;
      const up = loss();
      const hi = arr[i]!;
      arr[i] = v - h;
      const down = loss();
      const lo = arr[i]!;
      arr[i] = v;
      return (up - down) / (hi - lo);
    };
    const h = 3e-3 * Math.max(1, Math.abs(v));
    const coarse = slope(h);
    const fine = slope(h / 3);
    return Math.abs(coarse - fine) > 0.02 * Math.max(Math.abs(coarse), 1e-2) ? Number.NaN : coarse;
  });
}

/** [obs_b, a_b] rows in float64 (concatRows rounds to float32). */
function rows64(obs: Float32Array, a: Float64Array): Float64Array {
  return Float64Array.from({ length: B * (O + A) }, (_, k) => {
    const b = Math.floor(k / (O + A));
    const c = k % (O + A);
    return c < O ? obs[b * O + c]! : a[b * A + c - O]!;
  });
}

function expectClose(grad: Float32Array, picks: number[], fd: number[]): void {
  const checked = picks.filter((_, k) => !Number.isNaN(fd[k]!));
  expect(checked.length).toBeGreaterThan(picks.length / 2);
  picks.forEach((p, k) => {
    if (Number.isNaN(fd[k]!)) return;
    expect(Math.abs(grad[p]! - fd[k]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd[k]!)));
  });
}

describe("DenseNets", () => {
  it("keeps each network's gradient in its own part of one vector; input gradient matches finite differences", () => {
    const rng = new Rng(1);
    const q1 = mlp(O + A, [8, 8], 1, rng);
    const q2 = mlp(O + A, [8, 8], 1, rng);
    const nets = new DenseNets([q1, q2]);
    const n1 = nets.values.length / 2;
    expect(nets.group().sizes).toEqual([5 * 8, 8, 8 * 8, 8, 8, 1, 5 * 8, 8, 8 * 8, 8, 8, 1]);
    const x = rng.fillNormal(new Float32Array(B * (O + A)));
    const r = rng.fillNormal(new Float32Array(B));
    // Known answer: the forward is the float64 one to float32 rounding.
    const ref = exact(q2, x, B);
    for (const [i, v] of nets.forward(1, x, B).entries()) expect(v).toBeCloseTo(ref[i]!, 5);
    nets.grad.fill(9);
    nets.backward(1, r);
    expect(nets.grad.subarray(0, n1).every((g) => g === 9)).toBe(true);
    expect(nets.grad.subarray(n1).some((g) => g !== 9)).toBe(true);
    const before = nets.grad.slice();
    const dx = nets.inputGrad(1, r);
    expect(Array.from(nets.grad)).toEqual(Array.from(before));
    // d sum(r * Q2(x)) / dx by central differences in float64.
    for (const k of [0, 3, 7, 12, 24]) {
      const at = (d: number) => {
        const xs = Float64Array.from(x);
        xs[k] = xs[k]! + d;
        return exact(q2, xs, B).reduce((s, q, i) => s + q * r[i]!, 0);
      };
      expect(dx[k]).toBeCloseTo((at(1e-4) - at(-1e-4)) / 2e-4, 3);
    }
  });

  it("Polyak: target <- (1 - tau) target + tau source; layers() reads the current values", () => {
    const rng = new Rng(2);
    const src = new DenseNets([mlp(2, [3], 1, rng)]);
    const target = src.copy();
    src.values.fill(1);
    src.paramsChanged();
    target.values.fill(3);
    target.blendFrom(src, 0.25);
    expect(Array.from(new Set(target.values))).toEqual([2.5]);
    expect(target.layers(0)[1]!.bias[0]).toBe(2.5);
    expect(target.forward(0, [0, 0], 1)[0]).toBeCloseTo(2.5 * 3 * 2.5 + 2.5, 5);
  });
});

describe("actor gradients through the critics", () => {
  it("SAC: matches finite differences of alpha log pi - min(Q1, Q2) through the float64 forwards", () => {
    const rng = new Rng(3);
    const actorLayers = mlp(O, [8, 8], 2 * A, rng);
    const q1 = mlp(O + A, [8, 8], 1, rng);
    const q2 = mlp(O + A, [8, 8], 1, rng);
    const actor = new DenseNets([actorLayers]);
    const critics = new DenseNets([q1, q2]);
    const obs = rng.fillNormal(new Float32Array(B * O));
    const noise = rng.fillNormal(new Float32Array(B * A));
    const alpha = 0.2;
    const { loss } = sacActorGradient(actor, critics, obs, noise, alpha, SHAPES);
    const reference = () => {
      const out = exact(actorLayers, obs, B);
      const s = squashedGaussianSample(out, noise, B, A, SHAPES.logStdMin, SHAPES.logStdMax);
      // The sample's float32 arrays lose precision: recompute the action in float64.
      const a = Float64Array.from({ length: B * A }, (_, k) => {
        const b = Math.floor(k / A);
        const j = k % A;
        const raw = out[b * 2 * A + A + j]!;
        const logStd = -5 + 3.5 * (Math.tanh(raw) + 1);
        return Math.tanh(out[b * 2 * A + j]! + Math.exp(logStd) * noise[k]!);
      });
      const sa = rows64(obs, a);
      const v1 = exact(q1, sa, B);
      const v2 = exact(q2, sa, B);
      let j = 0;
      for (let b = 0; b < B; b++) {
        let logProb = 0;
        for (let k = 0; k < A; k++) {
          const raw = out[b * 2 * A + A + k]!;
          const logStd = -5 + 3.5 * (Math.tanh(raw) + 1);
          const e = noise[b * A + k]!;
          const ak = a[b * A + k]!;
          logProb += -0.5 * e * e - logStd - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - ak * ak + 1e-6);
        }
        expect(s.logProb[b]).toBeCloseTo(logProb, 3);
        j += alpha * logProb - Math.min(v1[b]!, v2[b]!);
      }
      return j / B;
    };
    expect(loss).toBeCloseTo(reference(), 4);
    const refs = paramRefs(actorLayers);
    const picks = Array.from({ length: 16 }, () => rng.integer(refs.length));
    expectClose(actor.grad, picks, finiteDiffs(refs, picks, reference));
  });

  it("TD3: matches finite differences of -mean Q1(s, tanh(actor(s)))", () => {
    const rng = new Rng(4);
    const actorLayers = mlp(O, [8, 8], A, rng);
    const q1 = mlp(O + A, [8, 8], 1, rng);
    const actor = new DenseNets([actorLayers]);
    const critics = new DenseNets([q1, mlp(O + A, [8, 8], 1, rng)]);
    const obs = rng.fillNormal(new Float32Array(B * O));
    const loss = td3ActorGradient(actor, critics, obs, B, O, A);
    const reference = () => {
      const a = exact(actorLayers, obs, B).map(Math.tanh);
      const q = exact(q1, rows64(obs, a), B);
      return -q.reduce((s, v) => s + v, 0) / B;
    };
    expect(loss).toBeCloseTo(reference(), 4);
    const refs = paramRefs(actorLayers);
    const picks = Array.from({ length: 16 }, () => rng.integer(refs.length));
    expectClose(actor.grad, picks, finiteDiffs(refs, picks, reference));
  });
});
