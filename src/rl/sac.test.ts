import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Logger } from "../core/logger.js";
import { prepareEnv } from "../envs/registry.js";
import { evaluatePolicy } from "../eval/evaluate.js";
import { loadPolicy } from "../nn/checkpoint.js";
import { compileSpec } from "../nn/fast.js";
import { SAC } from "./sac.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-sac-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await prepareEnv("InvertedPendulum-v5");
});

/** Small networks and batches: the tests are about the method, not the teacher size. */
const tiny = { hiddenSizes: [32, 32], batchSize: 64, learningRate: 1e-3, logInterval: 100_000 };

describe("SAC config", () => {
  it("uses SB3's defaults and needs a Box action space", () => {
    const m = new SAC({ env: "Pendulum-v1" });
    expect(m.config).toMatchObject({
      learningRate: 3e-4,
      bufferSize: 1_000_000,
      batchSize: 256,
      tau: 0.005,
      gamma: 0.99,
      autoEntropy: true,
      targetEntropy: null,
      hiddenSizes: [256, 256],
    });
    expect(m.alpha).toBe(1);
    expect(() => new SAC({ env: "CartPole-v1" })).toThrow(/SAC needs a Box action space/);
    expect(() => new SAC({ env: "Pendulum-v1", tau: 0 })).toThrow(/sac\.tau/);
    expect(() => new SAC({ env: "Pendulum-v1", logStdMin: 3 })).toThrow(/logStdMin/);
  });
});

describe("SAC learning", () => {
  it("InvertedPendulum: greedy return > 40 after 2700 updates (untrained: 4-12, zero action: 21.8)", async () => {
    const m = new SAC({ env: "InvertedPendulum-v5", seed: 0, learningStarts: 300, ...tiny });
    await m.learn({ totalTimesteps: 3000 });
    const random = m.episodeReturns.slice(0, 5);
    expect(Math.max(...random)).toBeLessThan(20);
    const r = evaluatePolicy(m, "InvertedPendulum-v5", { episodes: 5, seed: 0 });
    expect(r.meanReturn).toBeGreaterThan(40);
    // The temperature fell from 1 towards the target entropy.
    expect(m.alpha).toBeLessThan(0.7);
  });
});

describe("SAC determinism, export, save/load", () => {
  it("the same seed gives the same actions and weights; another seed does not", async () => {
    const run = async (seed: number) => {
      const m = new SAC({ env: "Pendulum-v1", seed, learningStarts: 100, ...tiny });
      await m.learn({ totalTimesteps: 200 });
      return {
        returns: m.episodeReturns.slice(),
        act: Array.from(m.act(Float32Array.of(1, 0, 0)) as Float32Array),
      };
    };
    const a = await run(3);
    expect(await run(3)).toEqual(a);
    expect((await run(4)).act).not.toEqual(a.act);
  });

  it("exports tanh(mean) scaled to the bounds; round-trips critics, targets, Adam and replay", async () => {
    const m = new SAC({ env: "InvertedPendulum-v5", seed: 2, learningStarts: 100, ...tiny });
    await m.learn({ totalTimesteps: 200 });
    const obs = Float32Array.of(0.01, -0.02, 0.1, 0.05);
    const a = m.act(obs) as Float32Array;
    expect(Math.abs(a[0]!)).toBeLessThanOrEqual(3);
    const spec = m.toPolicySpec();
    // The spec computes in float64 (tanh layer, then the scale layer): equal to float32 rounding.
    expect((compileSpec(spec).act(obs) as Float32Array)[0]).toBeCloseTo(a[0]!, 5);
    expect(m.actorParamCount()).toBe(4 * 32 + 32 + 32 * 32 + 32 + 32 * 2 + 2);
    const file = await m.save(join(dir, "sac"), { includeReplayBuffer: true });
    expect((compileSpec(loadPolicy(file).spec).act(obs) as Float32Array)[0]).toBeCloseTo(a[0]!, 5);
    const b = SAC.load(file);
    expect(b.act(obs)).toEqual(a);
    expect(b.alpha).toBeCloseTo(m.alpha, 12);
    expect(b.replay!.size).toBe(200);
    await b.learn({ totalTimesteps: 50, resetNumTimesteps: false });
    expect(b.numTimesteps).toBe(250);
    const lean = SAC.load(await m.save(join(dir, "sac-lean"), { includeTrainingState: false }));
    expect(lean.act(obs)).toEqual(a);
  });
});

describe("SAC value distillation", () => {
  it("needs a teacher for a positive coefficient; regresses the critics on the teacher's Q", async () => {
    expect(() => new SAC({ env: "Pendulum-v1", valueDistillCoef: 1 })).toThrow(/teacherCritic: required/);
    const teacher = new SAC({ env: "Pendulum-v1", seed: 7, learningStarts: 64, ...tiny });
    await teacher.learn({ totalTimesteps: 150 });
    const file = await teacher.save(join(dir, "sac-teacher"));
    const losses: number[] = [];
    const student = new SAC({
      env: "Pendulum-v1",
      seed: 8,
      learningStarts: 64,
      ...tiny,
      hiddenSizes: [16, 16],
      teacherCritic: file,
      valueDistillCoef: 10,
      logInterval: 50,
    });
    const logger = new Logger([
      { write: (_s, row) => void losses.push(row["train/value_distill_loss"] as number), close() {} },
    ]);
    await student.learn({ totalTimesteps: 400, logger });
    expect(() => new SAC({ env: "Pendulum-v1", teacherCritic: join(dir, "nope") })).toThrow(/nope/);
    const seen = losses.filter((l) => Number.isFinite(l));
    expect(seen.length).toBeGreaterThan(1);
    // With a large weight the student's critics move onto the teacher's values.
    expect(seen[seen.length - 1]!).toBeLessThan(seen[0]!);
  });
});
