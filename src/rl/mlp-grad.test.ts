import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import {
  ActorCritic,
  initBackend,
  mlpLayers,
  QNetwork,
  type Scalar,
  type Tensor2D,
  tf,
} from "../nn/index.js";
import type { DenseLayerSpec } from "../nn/spec.js";
import {
  dqnLoss,
  dqnLossGrad,
  type PpoLossGrad,
  ppoLoss,
  ppoLossGrad,
  tdTarget,
  tdTargetArray,
} from "./losses.js";
import { denseBackward, denseForward, denseStack, readInto, transposeWithOnes } from "./mlp-grad.js";

beforeAll(async () => {
  await initBackend();
});

/** The tape-free step (dense forward, JS loss gradient, dense backward) against ppoLoss under tf.variableGrads. */
function compare(discrete: boolean, activation: "tanh" | "relu", clipVloss: boolean) {
  const rng = new Rng(discrete ? 3 : 4);
  const O = 5;
  const n = 3;
  // 128 x 16 hidden units: the first layer takes the sigmoid form of tanh, the second the Tanh kernel.
  const B = 128;
  const hidden = { inSize: O, hidden: [16, 8], activation };
  const actorLayers = mlpLayers({ ...hidden, outSize: n, outGain: 1 }, rng) as DenseLayerSpec[];
  const criticLayers = mlpLayers({ ...hidden, outSize: 1, outGain: 1 }, rng) as DenseLayerSpec[];
  const logStd = Float32Array.of(-0.3, 0.1, 0.4);
  const ac = ActorCritic.fromSpec({
    obsShape: [O],
    output: discrete ? "logits" : "mean",
    actionSize: n,
    layers: actorLayers,
    valueLayers: criticLayers,
    ...(discrete ? {} : { logStd }),
  });
  const obs = rng.fillNormal(new Float32Array(B * O));
  const actions = discrete
    ? Float32Array.from({ length: B }, () => rng.integer(n))
    : rng.fillNormal(new Float32Array(B * n));
  const oldLogProb = Float32Array.from({ length: B }, () => (discrete ? -1.1 : -3) + 0.4 * rng.normal());
  const advantages = rng.fillNormal(new Float32Array(B));
  const returns = rng.fillNormal(new Float32Array(B));
  const oldValues = rng.fillNormal(new Float32Array(B));
  const coefs = { clipCoef: 0.2, clipVloss, entCoef: 0.05, vfCoef: 0.5 };
  const vars = ac.variables;

  const ref = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const ev = ac.evaluate(
        tf.tensor2d(obs, [B, O]),
        discrete ? tf.tensor1d(actions, "int32") : tf.tensor2d(actions, [B, n]),
      );
      return ppoLoss(
        {
          ...ev,
          oldLogProb: tf.tensor1d(oldLogProb),
          advantages: tf.tensor1d(advantages),
          returns: tf.tensor1d(returns),
          oldValues: tf.tensor1d(oldValues),
        },
        coefs,
      ).loss as Scalar;
    }, vars);
    return {
      loss: value.dataSync()[0]!,
      grads: vars.map((v) => Float32Array.from(grads[v.name]!.dataSync())),
    };
  });

  const actor = denseStack(ac.actor.variables, actorLayers)!;
  const critic = denseStack(ac.critic.variables, criticLayers)!;
  const flat = new Float32Array(vars.reduce((s, v) => s + v.size, 0));
  const before = tf.memory().numTensors;
  let res: PpoLossGrad | undefined;
  tf.tidy(() => {
    const x = tf.tensor2d(obs, [B, O]);
    const ta = denseForward(actor, x);
    const tc = denseForward(critic, x);
    const r = ppoLossGrad(
      {
        size: B,
        out: ta.out.dataSync(),
        value: tc.out.dataSync(),
        actions,
        logStd: discrete ? undefined : logStd,
        oldLogProb,
        advantages,
        returns,
        oldValues,
      },
      n,
      discrete,
      coefs,
    );
    // Discrete cases: first-layer gradients from the transposed input with ones; gaussian: the plain route.
    const xT1 = discrete ? (tf.tensor2d(transposeWithOnes(obs, B, O), [O + 1, B]) as Tensor2D) : undefined;
    let at = readInto(flat, 0, denseBackward(actor, ta, tf.tensor2d(r.dOut, [B, n]) as Tensor2D, xT1));
    flat.set(r.dLogStd, at);
    at += r.dLogStd.length;
    readInto(flat, at, denseBackward(critic, tc, tf.tensor2d(r.dValue, [B, 1]) as Tensor2D, xT1));
    res = r;
  });
  expect(tf.memory().numTensors).toBe(before);
  expect(res!.loss).toBeCloseTo(ref.loss, 5);
  let at = 0;
  let scale = 0;
  for (const g of ref.grads) for (const v of g) scale = Math.max(scale, Math.abs(v));
  for (const g of ref.grads) {
    for (let j = 0; j < g.length; j++)
      expect(Math.abs(flat[at + j]! - g[j]!)).toBeLessThan(1e-5 * scale + 1e-7);
    at += g.length;
  }
  expect(scale).toBeGreaterThan(1e-3);
}

describe("tape-free PPO gradient", () => {
  it("matches ppoLoss under tf.variableGrads (discrete, tanh, clipped value loss)", () =>
    compare(true, "tanh", true));
  it("matches ppoLoss under tf.variableGrads (discrete, relu, plain value loss)", () =>
    compare(true, "relu", false));
  it("matches ppoLoss under tf.variableGrads (gaussian, tanh, clipped value loss)", () =>
    compare(false, "tanh", true));
});

/** The tape-free DQN step against dqnLoss/tdTarget under tf.variableGrads. */
function compareDqn(kind: "mse" | "huber", doubleQ: boolean) {
  const rng = new Rng(kind === "mse" ? 5 : 6);
  const O = 4;
  const n = 3;
  const B = 64;
  const config = {
    obsShape: [O],
    numActions: n,
    body: { kind: "mlp" as const, hidden: [12, 10], activation: "relu" as const },
  };
  const online = new QNetwork({ ...config, name: "o" }, rng);
  const target = new QNetwork({ ...config, name: "t" }, rng);
  const obs = rng.fillNormal(new Float32Array(B * O));
  const nextObs = rng.fillNormal(new Float32Array(B * O));
  const actions = Float32Array.from({ length: B }, () => rng.integer(n));
  // Large rewards so that Huber's linear part is exercised.
  const rewards = Float32Array.from({ length: B }, () => 3 * rng.normal());
  const terminated = Float32Array.from({ length: B }, () => (rng.random() < 0.2 ? 1 : 0));
  const ref = tf.tidy(() => {
    const next = tf.tensor2d(nextObs, [B, O]);
    const y = tdTarget(
      target.q(next),
      doubleQ ? online.q(next) : null,
      tf.tensor1d(rewards),
      tf.tensor1d(terminated),
      0.99,
    );
    const { value, grads } = tf.variableGrads(
      () => dqnLoss(online.q(tf.tensor2d(obs, [B, O])), tf.tensor1d(actions, "int32"), y, kind).loss,
      online.variables,
    );
    return {
      loss: value.dataSync()[0]!,
      grads: online.variables.map((v) => Float32Array.from(grads[v.name]!.dataSync())),
    };
  });
  const layers = online.toSpec().layers;
  const on = denseStack(online.variables, layers)!;
  const tg = denseStack(target.variables, layers)!;
  const flat = new Float32Array(online.variables.reduce((s, v) => s + v.size, 0));
  let loss = 0;
  tf.tidy(() => {
    const next = tf.tensor2d(nextObs, [B, O]);
    const y = tdTargetArray(
      denseForward(tg, next).out.dataSync(),
      doubleQ ? denseForward(on, next).out.dataSync() : null,
      rewards,
      terminated,
      0.99,
      n,
    );
    const trace = denseForward(on, tf.tensor2d(obs, [B, O]));
    const r = dqnLossGrad(trace.out.dataSync(), actions, y, n, kind);
    loss = r.loss;
    const xT1 = tf.tensor2d(transposeWithOnes(obs, B, O), [O + 1, B]) as Tensor2D;
    readInto(flat, 0, denseBackward(on, trace, tf.tensor2d(r.dQ, [B, n]) as Tensor2D, xT1));
  });
  expect(loss).toBeCloseTo(ref.loss, 4);
  let scale = 0;
  for (const g of ref.grads) for (const v of g) scale = Math.max(scale, Math.abs(v));
  expect(scale).toBeGreaterThan(1e-3);
  let at = 0;
  for (const g of ref.grads) {
    for (let j = 0; j < g.length; j++)
      expect(Math.abs(flat[at + j]! - g[j]!)).toBeLessThan(1e-5 * scale + 1e-7);
    at += g.length;
  }
  online.dispose();
  target.dispose();
}

describe("tape-free DQN gradient", () => {
  it("matches dqnLoss (mse) and tdTarget under tf.variableGrads", () => compareDqn("mse", false));
  it("matches dqnLoss (huber) and double-DQN tdTarget under tf.variableGrads", () =>
    compareDqn("huber", true));
});
