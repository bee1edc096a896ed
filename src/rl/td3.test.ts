import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareEnv } from "../envs/registry.js";
import { evaluatePolicy } from "../eval/evaluate.js";
import { loadPolicy } from "../nn/checkpoint.js";
import { compileSpec } from "../nn/fast.js";
import { TD3 } from "./td3.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-td3-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await prepareEnv("InvertedPendulum-v5");
});

const tiny = { hiddenSizes: [32, 32], batchSize: 64, learningRate: 1e-3, logInterval: 100_000 };

describe("TD3", () => {
  it("uses CleanRL's defaults and needs a Box action space", () => {
    const m = new TD3({ env: "Pendulum-v1" });
    expect(m.config).toMatchObject({
      learningRate: 3e-4,
      learningStarts: 25_000,
      batchSize: 256,
      tau: 0.005,
      explorationNoise: 0.1,
      policyNoise: 0.2,
      noiseClip: 0.5,
      policyFrequency: 2,
      hiddenSizes: [256, 256],
    });
    expect(() => new TD3({ env: "CartPole-v1" })).toThrow(/TD3 needs a Box action space/);
  });

  it("InvertedPendulum: greedy return > 40 after 2700 updates (untrained: 4-12, zero action: 21.8)", async () => {
    const m = new TD3({ env: "InvertedPendulum-v5", seed: 0, learningStarts: 300, ...tiny });
    await m.learn({ totalTimesteps: 3000 });
    expect(Math.max(...m.episodeReturns.slice(0, 5))).toBeLessThan(20);
    expect(evaluatePolicy(m, "InvertedPendulum-v5", { episodes: 5, seed: 0 }).meanReturn).toBeGreaterThan(40);
  });

  it("is deterministic for a seed and round-trips through save/load", async () => {
    const run = async () => {
      const m = new TD3({ env: "Pendulum-v1", seed: 3, learningStarts: 100, ...tiny });
      await m.learn({ totalTimesteps: 200 });
      return m;
    };
    const a = await run();
    const b = await run();
    const obs = Float32Array.of(1, 0, 0);
    expect(b.act(obs)).toEqual(a.act(obs));
    expect(b.episodeReturns).toEqual(a.episodeReturns);
    await a.learn({ totalTimesteps: 50, resetNumTimesteps: false });
    const file = await a.save(join(dir, "td3"), { includeReplayBuffer: true });
    const c = TD3.load(file);
    expect(c.act(obs)).toEqual(a.act(obs));
    // The spec computes in float64 (tanh layer, then the scale layer): equal to float32 rounding.
    const fromSpec = compileSpec(loadPolicy(file).spec).act(obs) as Float32Array;
    expect(fromSpec[0]).toBeCloseTo((a.act(obs) as Float32Array)[0]!, 5);
    expect(c.replay!.size).toBe(250);
    await c.learn({ totalTimesteps: 20, resetNumTimesteps: false });
    expect(c.numTimesteps).toBe(270);
  });
});
