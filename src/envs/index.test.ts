import { describe, expect, it } from "vitest";
import * as envs from "./index.js";

describe("envs index", () => {
  it("exports the env classes, registry, wrappers, vector envs and checker", () => {
    for (const name of [
      "CartPoleEnv",
      "AcrobotEnv",
      "MountainCarEnv",
      "MountainCarContinuousEnv",
      "PendulumEnv",
      "make",
      "register",
      "listEnvs",
      "makeVec",
      "SyncVectorEnv",
      "WorkerVectorEnv",
      "checkEnv",
      "TimeLimit",
      "OrderEnforcing",
      "RecordEpisodeStatistics",
      "ObservationNoise",
      "ActionNoise",
      "StickyAction",
      "ClipAction",
      "NormalizeObservation",
      "NormalizeReward",
      "FrameStackObservation",
      "RunningMeanStd",
    ]) {
      expect(typeof (envs as Record<string, unknown>)[name], name).toBe("function");
    }
  });

  it("builds a working vector env from the index alone", () => {
    const venv = envs.makeVec("Pendulum-v1", 2, {
      wrappers: [(e) => new envs.RecordEpisodeStatistics(e)],
      seed: 0,
    });
    venv.reset();
    let ended = 0;
    for (let t = 0; t < 200; t++) {
      const out = venv.step(new Float32Array(2));
      for (const info of out.infos) if ("finalInfo" in info) ended++;
    }
    expect(ended).toBe(2); // Pendulum truncates at 200 steps
    venv.close();
  });
});
