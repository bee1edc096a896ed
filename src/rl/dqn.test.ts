import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Logger, type LogRow } from "../core/logger.js";
import { Rng } from "../core/rng.js";
import { evaluatePolicy } from "../eval/evaluate.js";
import { loadPolicy } from "../nn/checkpoint.js";
import { compileSpec } from "../nn/fast.js";
import { activeBackend, initBackend, QNetwork, tf } from "../nn/index.js";
import { DQN } from "./dqn.js";
import { registerRlTestEnvs } from "./testing-fakes.js";

registerRlTestEnvs();
const dir = mkdtempSync(join(tmpdir(), "rldistill-dqn-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function memoryLogger(rows: LogRow[]): Logger {
  return new Logger([{ write: (step, row) => rows.push({ step, ...row }), close() {} }]);
}

const quick = {
  learningStarts: 200,
  trainFrequency: 4,
  batchSize: 32,
  targetNetworkFrequency: 100,
  logInterval: 200,
};

describe("DQN config", () => {
  it("uses CleanRL's defaults and needs a discrete action space", () => {
    const m = new DQN({ env: "CartPole-v1" });
    expect(m.config).toMatchObject({
      learningRate: 2.5e-4,
      bufferSize: 10_000,
      tau: 1,
      targetNetworkFrequency: 500,
      batchSize: 128,
      startE: 1,
      endE: 0.05,
      explorationFraction: 0.5,
      learningStarts: 10_000,
      trainFrequency: 10,
      hiddenSizes: [120, 84],
      loss: "mse",
    });
    expect(() => new DQN({ env: "Pendulum-v1" })).toThrow(/DQN needs a Discrete action space/);
    expect(() => new DQN({ env: "CartPole-v1", loss: "l1" })).toThrow(
      /dqn\.loss: expected one of mse, huber/,
    );
  });
});

describe("DQN determinism", () => {
  it("the same seed gives identical losses and Q-values; another seed does not", async () => {
    const run = async (seed: number) => {
      const rows: LogRow[] = [];
      const model = new DQN({ env: "CartPole-v1", seed, ...quick, numEnvs: 2 });
      await model.learn({ totalTimesteps: 800, logger: memoryLogger(rows) });
      return {
        loss: rows.map((r) => r["train/loss"]),
        q: Array.from(model.qValues(Float32Array.of(0.1, 0, -0.1, 0.2))),
      };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(a.loss.length).toBe(4);
    expect(a.loss[3]).toBeTypeOf("number");
    expect(a).toEqual(b);
    expect(c.q).not.toEqual(a.q);
  });
});

describe("DQN learning", () => {
  it("CartPole: greedy return >= 120 after 10k steps", async () => {
    const model = new DQN({
      env: "CartPole-v1",
      seed: 1,
      learningStarts: 1000,
      explorationFraction: 0.3,
      learningRate: 1e-3,
      targetNetworkFrequency: 250,
      trainFrequency: 4,
      batchSize: 64,
    });
    await model.learn({ totalTimesteps: 10_000 });
    expect(
      evaluatePolicy(model, "CartPole-v1", { episodes: 10, seed: 100 }).meanReturn,
    ).toBeGreaterThanOrEqual(120);
  });

  it("bootstraps time-limit truncations from finalObs (double, dueling, Huber): Q -> 1 / (1 - gamma)", async () => {
    const model = new DQN({
      env: "RlTest/Endless-v0",
      seed: 0,
      ...quick,
      gamma: 0.8,
      learningRate: 3e-3,
      doubleQ: true,
      dueling: true,
      loss: "huber",
    });
    await model.learn({ totalTimesteps: 4000 });
    // Treating truncation as termination would give mean_k (1 - 0.8^k) / 0.2 = 3.31 (k = 1..5).
    for (const q of model.qValues(Float32Array.of(1))) {
      expect(q).toBeGreaterThan(4.5);
      expect(q).toBeLessThan(5.5);
    }
  });
});

describe("DQN with convolutions", () => {
  it("learns an image task (random 4, optimal 8) with conv4x3 (PyTorch init), and the spec acts like the model", async () => {
    const model = new DQN({
      env: "RlTest/PixelSide-v0",
      seed: 1,
      convs: "conv4x3",
      hiddenSizes: [16],
      learningStarts: 500,
      explorationFraction: 0.3,
      learningRate: 1e-3,
      targetNetworkFrequency: 200,
      trainFrequency: 1,
      batchSize: 32,
      numEnvs: 4,
    });
    await model.learn({ totalTimesteps: 8000 });
    const spec = model.toPolicySpec();
    expect(spec.layers.map((l) => l.kind)).toEqual(["conv2d", "flatten", "dense", "dense"]);
    expect(
      evaluatePolicy(model, "RlTest/PixelSide-v0", { episodes: 20, seed: 7 }).meanReturn,
    ).toBeGreaterThanOrEqual(7.5);
    const policy = compileSpec(spec);
    const rng = new Rng(3);
    for (let k = 0; k < 20; k++) {
      const obs = new Uint8Array(72);
      obs[rng.integer(72)] = 1;
      expect(policy.act(obs)).toBe(model.act(Float32Array.from(obs)));
    }
  });

  it("round-trips a dueling conv network with its target and optimizer (MinAtar)", async () => {
    const opts = { env: "MinAtar/Breakout-v1", seed: 2, ...quick, learningStarts: 64, bufferSize: 256 };
    const model = new DQN({ ...opts, convs: "conv4x3", hiddenSizes: [8], dueling: true });
    await model.learn({ totalTimesteps: 200 });
    expect(Object.keys(model.weights)).toEqual([
      "net/conv0.weight",
      "net/conv0.bias",
      "net/fc0.weight",
      "net/fc0.bias",
      "value/fc0.weight",
      "value/fc0.bias",
      "advantage/fc0.weight",
      "advantage/fc0.bias",
    ]);
    expect(model.weights["net/conv0.weight"]!.shape).toEqual([3, 3, 4, 4]);
    const back = DQN.load(await model.save(join(dir, "dqn-conv")));
    expect(back.weights).toEqual(model.weights);
    expect(back.toPolicySpec()).toEqual(model.toPolicySpec());
    await back.learn({ totalTimesteps: 64, resetNumTimesteps: false });
    expect(back.numTimesteps).toBe(264);
  });
});

describe("DQN memory", () => {
  it("trains on the SIMD kernels without tfjs (no backend initialised, so no tensors to leak)", async () => {
    const model = new DQN({ env: "CartPole-v1", seed: 0, ...quick, doubleQ: true });
    await model.learn({ totalTimesteps: 300 });
    await model.learn({ totalTimesteps: 300, resetNumTimesteps: false });
    expect(activeBackend()).toBeUndefined();
  });
});

describe("DQN export and save/load", () => {
  it("folds dueling heads exactly: the spec's Q-values equal the training network's", async () => {
    const model = new DQN({ env: "Acrobot-v1", seed: 3, ...quick, dueling: true, hiddenSizes: [32, 16] });
    await model.learn({ totalTimesteps: 400 });
    await initBackend(); // the tfjs QNetwork is the reference
    const net = new QNetwork(
      {
        obsShape: [6],
        numActions: 3,
        dueling: true,
        body: { kind: "mlp", hidden: [32, 16], activation: "relu" },
      },
      new Rng(0),
    );
    net.setWeights(model.weights);
    const rng = new Rng(4);
    const obs = Float32Array.from({ length: 6 * 5 }, () => rng.normal());
    const expected = net.q(tf.tensor2d(obs, [5, 6])).dataSync();
    const got = compileSpec(model.toPolicySpec()).forward(obs, 5);
    for (let k = 0; k < 15; k++) expect(got[k]).toBeCloseTo(expected[k]!, 4);
    net.dispose();
  });

  it("round-trips weights, target network, optimizer and (on request) the replay buffer", async () => {
    const model = new DQN({ env: "CartPole-v1", seed: 5, ...quick, normalizeObs: true });
    await model.learn({ totalTimesteps: 500 });
    const plain = await model.save(join(dir, "dqn-plain"));
    const full = await model.save(join(dir, "dqn-full.rldistill"), { includeReplayBuffer: true });
    const a = DQN.load(plain);
    const b = DQN.load(full);
    expect(a.replay).toBeNull();
    expect(b.replay!.size).toBe(500);
    expect(Array.from(b.replay!.obs)).toEqual(Array.from(model.replay!.obs));
    const obs = Float32Array.of(0.02, 0.3, -0.01, -0.2);
    expect(a.qValues(obs)).toEqual(model.qValues(obs));
    expect(a.numTimesteps).toBe(500);
    expect(loadPolicy(plain).spec.output).toBe("q");
    expect(compileSpec(loadPolicy(plain).spec).act(obs)).toBe(model.act(obs));
    const probs = (model.distribution(obs) as { probs: Float64Array }).probs;
    const fromSpec = (compileSpec(loadPolicy(plain).spec).distribution(obs) as { probs: Float64Array }).probs;
    for (let k = 0; k < 2; k++) expect(probs[k]).toBeCloseTo(fromSpec[k]!, 6);
    await b.learn({ totalTimesteps: 100, resetNumTimesteps: false });
    expect(b.numTimesteps).toBe(600);
    // Lean: policy only (no target network, no Adam moments).
    const lean = DQN.load(await model.save(join(dir, "dqn-lean"), { includeTrainingState: false }));
    expect(lean.qValues(obs)).toEqual(model.qValues(obs));
    await lean.learn({ totalTimesteps: 100, resetNumTimesteps: false });
    expect(lean.numTimesteps).toBe(600);
    // Overrides at load (SB3's custom_objects): training fields change, the networks may not.
    const tuned = DQN.load(plain, { learningRate: 0.01, endE: 0 });
    expect(tuned.config).toMatchObject({ learningRate: 0.01, endE: 0 });
    expect(tuned.qValues(obs)).toEqual(model.qValues(obs));
    expect(() => DQN.load(plain, { hiddenSizes: [8] })).toThrow(
      /hiddenSizes: would change the saved network/,
    );
    expect(() => DQN.load(plain, { normalizeObs: false })).toThrow(
      /normalizeObs: would change the saved network.s input/,
    );
  });

  it("stores uint8 observations (MinAtar) as uint8 in the replay buffer and its checkpoint", async () => {
    const opts = { env: "MinAtar/Breakout-v1", seed: 1, ...quick, learningStarts: 64, bufferSize: 256 };
    const model = new DQN({ ...opts, hiddenSizes: [16] });
    await model.learn({ totalTimesteps: 128 });
    expect(model.replay!.obs).toBeInstanceOf(Uint8Array);
    expect(model.replay!.obs.byteLength).toBe(256 * 400);
    expect(Array.from(model.replay!.obs).some((v) => v === 1)).toBe(true);
    const back = DQN.load(await model.save(join(dir, "dqn-minatar"), { includeReplayBuffer: true }));
    expect(back.replay!.obs).toBeInstanceOf(Uint8Array);
    expect(back.replay!.obs).toEqual(model.replay!.obs);
    // Normalised observations are not integers: they stay float32.
    const normalised = new DQN({ ...opts, hiddenSizes: [16], normalizeObs: true });
    await normalised.learn({ totalTimesteps: 64 });
    expect(normalised.replay!.obs).toBeInstanceOf(Float32Array);
  });
});
