import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { Logger, type LogRow } from "../core/logger.js";
import { Rng } from "../core/rng.js";
import { evaluatePolicy } from "../eval/evaluate.js";
import { loadPolicy } from "../nn/checkpoint.js";
import { compileSpec } from "../nn/fast.js";
import { activeBackend } from "../nn/index.js";
import { countParams } from "../nn/kernels/plan.js";
import { BaseCallback, type CallbackContext } from "./callbacks.js";
import { PPO } from "./ppo.js";
import type { RolloutBuffer } from "./rollout-buffer.js";
import { registerRlTestEnvs } from "./testing-fakes.js";

registerRlTestEnvs();

const dir = mkdtempSync(join(tmpdir(), "rldistill-ppo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Collects every dumped log row. */
function memoryLogger(rows: LogRow[]): Logger {
  return new Logger([{ write: (step, row) => rows.push({ step, ...row }), close() {} }]);
}

const tiny = { numEnvs: 2, numSteps: 32, numMinibatches: 2, updateEpochs: 2 };

describe("PPO config", () => {
  it("uses CleanRL's defaults and rejects unknown or bad fields by name", () => {
    const m = new PPO({ env: "CartPole-v1" });
    expect(m.config).toMatchObject({
      learningRate: 2.5e-4,
      numEnvs: 4,
      numSteps: 128,
      clipCoef: 0.2,
      entCoef: 0.01,
    });
    expect(() => new PPO({ env: "CartPole-v1", clipcoef: 0.1 } as never)).toThrow(
      /ppo\.clipcoef: unknown option; allowed: learningRate/,
    );
    expect(() => new PPO({ env: "CartPole-v1", numMinibatches: 0 })).toThrow(ConfigError);
    expect(() => new PPO({ env: "CartPole-v1", activation: "gelu" })).toThrow(
      /ppo\.activation: expected one of tanh, relu/,
    );
    expect(() => new PPO({ env: "CartPole-v9" })).toThrow(/unknown env id "CartPole-v9"/);
    // A negative entCoef is an entropy penalty (SB3 and CleanRL take any float); NaN is refused.
    expect(new PPO({ env: "CartPole-v1", entCoef: -0.01 }).config.entCoef).toBe(-0.01);
    expect(() => new PPO({ env: "CartPole-v1", entCoef: Number.NaN })).toThrow(/ppo\.entCoef/);
  });
});

describe("PPO determinism", () => {
  it("the same seed gives identical losses, actions and weights; another seed does not", async () => {
    const run = async (seed: number) => {
      const rows: LogRow[] = [];
      const model = new PPO({ env: "CartPole-v1", seed, ...tiny });
      await model.learn({ totalTimesteps: 256, logger: memoryLogger(rows) });
      const rng = new Rng(5);
      const obs = Float32Array.from([0.01, -0.2, 0.03, 0.1]);
      const actions = Array.from({ length: 20 }, () => model.predict(obs, { rng }));
      return {
        rows,
        actions,
        weights: Array.from(
          model.toPolicySpec().layers[0]!.kind === "dense"
            ? (model.toPolicySpec().layers[0] as { weight: Float32Array }).weight
            : [],
        ),
      };
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(a.rows.length).toBe(4);
    expect(a.rows.map((r) => r["train/policy_loss"])).toEqual(b.rows.map((r) => r["train/policy_loss"]));
    expect(a.rows.map((r) => r["train/value_loss"])).toEqual(b.rows.map((r) => r["train/value_loss"]));
    expect(a.actions).toEqual(b.actions);
    expect(a.weights).toEqual(b.weights);
    expect(c.rows.map((r) => r["train/value_loss"])).not.toEqual(a.rows.map((r) => r["train/value_loss"]));
    for (const key of [
      "train/approx_kl",
      "train/clip_fraction",
      "train/entropy_loss",
      "train/explained_variance",
      "time/fps",
      "rollout/ep_rew_mean",
    ]) {
      expect(a.rows[3]).toHaveProperty([key]);
    }
    expect(a.rows[3]!["time/total_timesteps"]).toBe(256);
  });
});

describe("PPO learning", () => {
  it("CartPole: greedy return >= 150 after 12k steps", async () => {
    const model = new PPO({ env: "CartPole-v1", seed: 1, numEnvs: 8, numSteps: 64, learningRate: 1e-3 });
    await model.learn({ totalTimesteps: 12_288 });
    const r = evaluatePolicy(model, "CartPole-v1", { episodes: 10, seed: 100 });
    expect(r.meanReturn).toBeGreaterThanOrEqual(150);
  });

  it("continuous (obs and reward normalisation): learns to hit a target, acts inside the bounds, exports a Gaussian spec", async () => {
    const env = "RlTest/Target-v0";
    const model = new PPO({
      env,
      seed: 0,
      numEnvs: 4,
      numSteps: 64,
      learningRate: 3e-3,
      gamma: 0.5,
      entCoef: 0,
      logStdInit: -0.5,
      normalizeObs: true,
      normalizeReward: true,
    });
    const before = evaluatePolicy(model, env, { episodes: 10, seed: 7 }).meanReturn;
    await model.learn({ totalTimesteps: 8192 });
    const after = evaluatePolicy(model, env, { episodes: 10, seed: 7 }).meanReturn;
    // Random play scores about 8 * (1 - 2/3) = 2.7 per episode; perfect play 8.
    expect(before).toBeLessThan(5);
    expect(after).toBeGreaterThan(6.5);
    const rng = new Rng(1);
    for (let k = 0; k < 50; k++) {
      const a = model.predict(Float32Array.of(rng.uniform(-1, 1)), { rng }) as Float32Array;
      expect(Math.abs(a[0]!)).toBeLessThanOrEqual(1);
    }
    const spec = model.toPolicySpec();
    expect(spec.output).toBe("mean");
    expect(spec.logStd).toHaveLength(1);
    expect(spec.obsNorm?.mean).toHaveLength(1);
    // The exported spec (with its obs normalisation) acts as the model does.
    const compiled = compileSpec(spec);
    const obs = Float32Array.of(0.3);
    expect((compiled.act(obs) as Float32Array)[0]).toBeCloseTo((model.act(obs) as Float32Array)[0]!, 5);
  });

  it("bootstraps time-limit truncations from V(finalObs): V -> 1 / (1 - gamma)", async () => {
    const model = new PPO({
      env: "RlTest/Endless-v0",
      seed: 0,
      numEnvs: 2,
      numSteps: 64,
      gamma: 0.8,
      learningRate: 3e-3,
      entCoef: 0,
    });
    await model.learn({ totalTimesteps: 8192 });
    const v = compileSpec(model.toPolicySpec()).value!(Float32Array.of(1))[0]!;
    // Treating truncation as termination would give mean_k (1 - 0.8^k) / 0.2 = 3.31 (k = 1..5).
    expect(v).toBeGreaterThan(4.5);
    expect(v).toBeLessThan(5.5);
  });
});

describe("PPO save/load", () => {
  it("round-trips weights, optimizer, counters and statistics; loadPolicy reads the same file", async () => {
    const model = new PPO({ env: "CartPole-v1", seed: 2, ...tiny, normalizeObs: true });
    await model.learn({ totalTimesteps: 128 });
    const file = await model.save(join(dir, "ppo"));
    expect(file).toBe(join(dir, "ppo.rldistill"));
    const loaded = PPO.load(file);
    expect(loaded.numTimesteps).toBe(128);
    expect(loaded.config).toEqual(model.config);
    const obs = Float32Array.from([0.1, 0.5, -0.05, -0.4]);
    expect(loaded.distribution(obs)).toEqual(model.distribution(obs));
    expect(loaded.toPolicySpec()).toEqual(model.toPolicySpec());
    const { spec, meta } = loadPolicy(file);
    expect(spec.obsNorm).toBeDefined();
    expect(compileSpec(spec).act(obs)).toBe(model.act(obs));
    expect(meta["numTimesteps"]).toBe(128);

    // Continuing from the file: the counter continues, the optimizer keeps its step count.
    const rows: LogRow[] = [];
    await loaded.learn({ totalTimesteps: 64, resetNumTimesteps: false, logger: memoryLogger(rows) });
    expect(loaded.numTimesteps).toBe(192);
    expect(rows.at(-1)!["train/n_updates"]).toBe(2 * 2 * 2 + 2 * 2);
  });
});

describe("PPO lean save", () => {
  it("without training state: a third of the size, same policy, and it can still train", async () => {
    const model = new PPO({ env: "CartPole-v1", seed: 2, ...tiny, hiddenSizes: [64, 64] });
    await model.learn({ totalTimesteps: 64 });
    const full = await model.save(join(dir, "full"));
    const lean = await model.save(join(dir, "lean"), { includeTrainingState: false });
    const { statSync } = await import("node:fs");
    expect(statSync(lean).size).toBeLessThan(statSync(full).size / 2.5);
    const loaded = PPO.load(lean);
    expect(loaded.toPolicySpec()).toEqual(model.toPolicySpec());
    await loaded.learn({ totalTimesteps: 64, resetNumTimesteps: false });
    expect(loaded.numTimesteps).toBe(128);
  });
});

describe("PPO with convolutions", () => {
  const conv = { convs: "conv4x3", hiddenSizes: [16], activation: "relu" };
  it("learns an image task (random 4, optimal 8) and exports a conv spec that acts like the model", async () => {
    const model = new PPO({
      env: "RlTest/PixelSide-v0",
      seed: 1,
      ...conv,
      learningRate: 3e-3,
      numEnvs: 8,
      numSteps: 32,
    });
    await model.learn({ totalTimesteps: 6000 });
    const spec = model.toPolicySpec();
    expect(spec.layers.map((l) => l.kind)).toEqual(["conv2d", "flatten", "dense", "dense"]);
    expect(spec.valueLayers!.map((l) => l.kind)).toEqual(["conv2d", "flatten", "dense", "dense"]);
    const { meanReturn } = await evaluatePolicy(model, "RlTest/PixelSide-v0", { episodes: 20, seed: 7 });
    expect(meanReturn).toBeGreaterThanOrEqual(7.5);
    const policy = compileSpec(spec);
    const rng = new Rng(2);
    for (let k = 0; k < 20; k++) {
      const obs = new Uint8Array(72);
      obs[rng.integer(72)] = 1;
      expect(policy.act(obs)).toBe(model.act(Float32Array.from(obs)));
    }
  });

  it("learns it with a shared trunk too, which is trained (and counted) once", async () => {
    const model = new PPO({
      env: "RlTest/PixelSide-v0",
      seed: 1,
      ...conv,
      convs: "conv8x3",
      sharedTrunk: true,
      learningRate: 3e-3,
      numEnvs: 8,
      numSteps: 32,
    });
    await model.learn({ totalTimesteps: 6000 });
    const spec = model.toPolicySpec();
    expect(spec.valueLayers!.slice(0, -1)).toEqual(spec.layers.slice(0, -1));
    // The actor plus the critic's head (16 inputs, 1 output).
    expect(model.paramCount()).toBe(countParams(spec.layers) + 17);
    const { meanReturn } = await evaluatePolicy(model, "RlTest/PixelSide-v0", { episodes: 20, seed: 7 });
    expect(meanReturn).toBeGreaterThanOrEqual(7.5);
  });

  it("is deterministic on MinAtar (uint8 frames, conv16x3) and round-trips through save/load", async () => {
    const run = async () => {
      const rows: LogRow[] = [];
      const m = new PPO({ env: "MinAtar/Breakout-v1", seed: 2, ...conv, ...tiny });
      await m.learn({ totalTimesteps: 128, logger: memoryLogger(rows) });
      return { m, losses: rows.map((r) => r["train/loss"]) };
    };
    const a = await run();
    const b = await run();
    expect(a.losses).toEqual(b.losses);
    expect(a.m.toPolicySpec()).toEqual(b.m.toPolicySpec());
    const back = PPO.load(await a.m.save(join(dir, "ppo-conv")));
    expect(back.toPolicySpec()).toEqual(a.m.toPolicySpec());
    await back.learn({ totalTimesteps: 64, resetNumTimesteps: false });
    expect(back.numTimesteps).toBe(192);
    expect(back.toPolicySpec().layers).not.toEqual(a.m.toPolicySpec().layers);
  });

  it("refuses convolutions over flat observations, naming the field", () => {
    expect(() => new PPO({ env: "CartPole-v1", convs: "conv4x3" })).toThrow(/image observations/);
    expect(() => new PPO({ env: "CartPole-v1", convs: "fc3" })).toThrow(/ppo\.convs/);
  });
});

describe("PPO memory", () => {
  it("trains on the SIMD kernels without tfjs (no backend initialised, so no tensors to leak)", async () => {
    const model = new PPO({ env: "CartPole-v1", seed: 0, ...tiny });
    await model.learn({ totalTimesteps: 64 });
    await model.learn({ totalTimesteps: 192, resetNumTimesteps: false });
    expect(activeBackend()).toBeUndefined();
  });

  it("keeps uint8 observations (MinAtar) as uint8 in the rollout buffer", async () => {
    const model = new PPO({ env: "MinAtar/Breakout-v1", seed: 0, ...tiny, hiddenSizes: [16] });
    await model.learn({ totalTimesteps: 64 });
    const buffer = (model as unknown as { buffer: RolloutBuffer }).buffer;
    expect(buffer.obs).toBeInstanceOf(Uint8Array);
    expect(buffer.obs.byteLength).toBe(2 * 32 * 400);
    expect(Array.from(buffer.obs).some((v) => v === 1)).toBe(true);
  });
});

describe("PPO callbacks", () => {
  it("calls onStep once per vector step and stops when it returns false", async () => {
    const seen: number[] = [];
    class StopAt extends BaseCallback {
      override onStep(ctx: CallbackContext): boolean {
        seen.push(ctx.numTimesteps);
        return ctx.numTimesteps < 20;
      }
    }
    const model = new PPO({ env: "CartPole-v1", seed: 0, ...tiny });
    await model.learn({ totalTimesteps: 1000, callbacks: [new StopAt()] });
    expect(seen.slice(0, 3)).toEqual([2, 4, 6]);
    // Stops at once, without training on the partial rollout (as SB3).
    expect(model.numTimesteps).toBe(20);
  });
});
