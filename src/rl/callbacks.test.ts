import { describe, expect, it } from "vitest";
import { Logger, type LogRow } from "../core/logger.js";
import type { Action } from "../core/policy.js";
import {
  BaseCallback,
  type CallbackContext,
  CallbackList,
  CheckpointCallback,
  EvalCallback,
  ProgressBar,
  StopTrainingOnRewardThreshold,
  StopTrainingWhen,
  type TrainableModel,
} from "./callbacks.js";
import { registerRlTestEnvs } from "./testing-fakes.js";

registerRlTestEnvs();

/** A model that acts with a fixed offset from the target (return per 8-step episode: 8 * (1 - |offset|)). */
function fakeModel(saved: string[]): TrainableModel & { offset: number; numTimesteps: number } {
  return {
    envId: "RlTest/Target-v0",
    envKwargs: {},
    numTimesteps: 0,
    offset: 0.5,
    act(obs: Float32Array): Action {
      return Float32Array.of(Math.max(-1, Math.min(1, obs[0]! + this.offset)));
    },
    async save(path: string) {
      saved.push(path);
      return path;
    },
  };
}

/** Drives callbacks as `learn()` does: `steps` vector steps of `numEnvs` env steps. */
async function drive(
  cb: CallbackList,
  model: ReturnType<typeof fakeModel>,
  numEnvs: number,
  steps: number,
  logger = new Logger(),
) {
  const ctx: CallbackContext = { model, logger, numTimesteps: 0, totalTimesteps: numEnvs * steps };
  await cb.onTrainingStart(ctx);
  let stoppedAt: number | null = null;
  for (let k = 0; k < steps; k++) {
    model.numTimesteps += numEnvs;
    ctx.numTimesteps = model.numTimesteps;
    if (!(await cb.onStep(ctx))) {
      stoppedAt = ctx.numTimesteps;
      break;
    }
  }
  await cb.onTrainingEnd(ctx);
  return stoppedAt;
}

describe("callbacks", () => {
  it("CheckpointCallback saves each time the counter crosses a multiple of saveFreq", async () => {
    const saved: string[] = [];
    const model = fakeModel(saved);
    const cp = new CheckpointCallback({
      saveFreq: 10,
      savePath: "/tmp/rldistill-cp-test",
      extension: ".rldistill",
    });
    await drive(new CallbackList([cp]), model, 4, 8); // steps 4, 8, ..., 32
    expect(saved).toEqual([12, 20, 32].map((s) => `/tmp/rldistill-cp-test/rl_model_${s}_steps.rldistill`));
  });

  it("EvalCallback logs eval/ keys, keeps the best model, and StopTrainingOnRewardThreshold stops", async () => {
    const saved: string[] = [];
    const model = fakeModel(saved);
    const rows: LogRow[] = [];
    const logger = new Logger([{ write: (step, row) => rows.push({ step, ...row }), close() {} }]);
    const ev = new EvalCallback({
      evalFreq: 100,
      nEvalEpisodes: 3,
      bestModelSavePath: "/tmp/rldistill-eval-test",
      extension: ".rldistill",
      callbackOnNewBest: new StopTrainingOnRewardThreshold({ rewardThreshold: 7.5 }),
    });
    // The policy improves as training goes on: offset 0.5 -> 0.25 -> 0.
    class Improve extends BaseCallback {
      override onStep(ctx: CallbackContext): boolean {
        model.offset = ctx.numTimesteps < 100 ? 0.5 : ctx.numTimesteps < 200 ? 0.25 : 0;
        return true;
      }
    }
    const stoppedAt = await drive(new CallbackList([new Improve(), ev]), model, 50, 100, logger);
    logger.dump(0);
    // Offsets push some actions past the bound (clipped), so the first score is about 6, not exactly.
    expect(ev.evaluations.map((e) => e.step)).toEqual([100, 200]);
    expect(ev.evaluations[0]!.result.meanReturn).toBeGreaterThan(5.5);
    expect(ev.evaluations[0]!.result.meanReturn).toBeLessThan(6.5);
    expect(ev.evaluations[1]!.result.meanReturn).toBeCloseTo(8, 5);
    expect(stoppedAt).toBe(200);
    expect(ev.bestMeanReward).toBeCloseTo(8, 5);
    expect(saved).toEqual([
      "/tmp/rldistill-eval-test/best_model.rldistill",
      "/tmp/rldistill-eval-test/best_model.rldistill",
    ]);
    expect(rows[0]!["eval/mean_reward"]).toBeCloseTo(8, 5);
    expect(rows[0]).toMatchObject({ "eval/mean_ep_length": 8 });
  });

  it("StopTrainingWhen stops on its predicate; ProgressBar draws only when enabled", async () => {
    let flag = false;
    const model = fakeModel([]);
    const out: string[] = [];
    const bar = new ProgressBar({ enabled: true, write: (s) => out.push(s) });
    const silent = new ProgressBar({ enabled: false, write: (s) => out.push(`silent ${s}`) });
    const stop = new StopTrainingWhen(() => flag);
    const list = new CallbackList([stop, bar, silent]);
    const ctx: CallbackContext = { model, logger: new Logger(), numTimesteps: 0, totalTimesteps: 100 };
    await list.onTrainingStart(ctx);
    expect(await list.onStep(ctx)).toBe(true);
    flag = true;
    ctx.numTimesteps = 50;
    expect(await list.onStep(ctx)).toBe(false);
    await list.onTrainingEnd(ctx);
    expect(out.some((s) => s.includes(" 50/100 "))).toBe(true);
    expect(out.some((s) => s.startsWith("silent"))).toBe(false);
  });
});
