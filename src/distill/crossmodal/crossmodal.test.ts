import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import type { Box, Discrete } from "../../core/spaces.js";
import { make } from "../../envs/registry.js";
import { loadPolicy, savePolicy } from "../../nn/checkpoint.js";
import type { PolicySpec } from "../../nn/spec.js";
import { DistillBuffer } from "../buffer.js";
import { SpecTeacher } from "../teachers/spec-teacher.js";
import { cartPoleTeacherSpec } from "../testing/fakes.js";
import { distillCrossModal, obsStatistics, stepsToTarget } from "./crossmodal.js";
import { PairedCollector } from "./paired-collector.js";
import { ViewPair } from "./views.js";

const root = mkdtempSync(join(tmpdir(), "rldistill-crossmodal-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A linear "teacher" whose logit j is the observation's entry pick[j]: its labels reveal what it saw. */
function revealing(obsSize: number, pick: number[]): PolicySpec {
  const weight = new Float32Array(obsSize * pick.length);
  pick.forEach((src, j) => {
    weight[src * pick.length + j] = 1;
  });
  return {
    obsShape: [obsSize],
    output: "logits",
    actionSize: pick.length,
    layers: [
      {
        kind: "dense",
        inSize: obsSize,
        outSize: pick.length,
        weight,
        bias: new Float32Array(pick.length),
        activation: "linear",
      },
    ],
  };
}

describe("ViewPair and PairedCollector", () => {
  it("labels each stored pixel frame with the teacher's state view of the same MinAtar step", async () => {
    const pair = new ViewPair("MinAtar/Breakout-v1", { teacher: "state", student: "pixels" });
    const stateEnv = make("MinAtar/Breakout-v1", { obsType: "state" });
    // State entries 0 and 1 are paddleX and ballX (src/envs/minatar/README.md).
    const teacher = new SpecTeacher(revealing(38, [0, 1, 0]), {
      name: "reveal",
      observationSpace: stateEnv.observationSpace as Box,
      actionSpace: stateEnv.actionSpace as Discrete,
    });
    const buffer = new DistillBuffer({ capacity: 400, obsSize: 400, actionSize: 3, obsDtype: "uint8" });
    const c = new PairedCollector({ pair, numEnvs: 4, teacher, mode: "teacher", rng: new Rng(1), seed: 3 });
    await c.collect(50, buffer, 1);
    c.close();
    const s = buffer.gather(Int32Array.from({ length: 200 }, (_, i) => i));
    for (let r = 0; r < 200; r++) {
      const frame = s.obs.subarray(r * 400, (r + 1) * 400);
      // Channel 0 is the paddle, on row 9; channel 1 the ball.
      const paddle = Array.from({ length: 10 }, (_, col) => frame[(90 + col) * 4]).indexOf(1);
      expect(s.teacherOut[3 * r]).toBe(paddle);
      const ballCells = Array.from({ length: 100 }, (_, p) => p).filter((p) => frame[p * 4 + 1] === 1);
      expect(ballCells.map((p) => p % 10)).toContain(s.teacherOut[3 * r + 1]);
    }
  });

  it("gives a privileged teacher the full CartPole state of a masked, frame-stacked student's step", async () => {
    const pair = new ViewPair("CartPole-v1", { teacher: "full", student: "drop:1,3", frameStack: 2 });
    const env = make("CartPole-v1");
    const teacher = new SpecTeacher(revealing(4, [0, 2]), {
      name: "reveal",
      observationSpace: env.observationSpace as Box,
      actionSpace: env.actionSpace as Discrete,
    });
    expect(pair.spaces().student.shape).toEqual([2, 2]);
    const buffer = new DistillBuffer({ capacity: 100, obsSize: 4, actionSize: 2 });
    const c = new PairedCollector({ pair, numEnvs: 2, teacher, mode: "teacher", rng: new Rng(2), seed: 0 });
    await c.collect(40, buffer, 1);
    c.close();
    const s = buffer.gather(Int32Array.from({ length: 80 }, (_, i) => i));
    for (let r = 0; r < 80; r++) {
      // The newest stacked frame is [x_t, theta_t]; the teacher saw x_t and theta_t in the full state.
      expect(s.obs[4 * r + 2]).toBe(s.teacherOut[2 * r]);
      expect(s.obs[4 * r + 3]).toBe(s.teacherOut[2 * r + 1]);
    }
  });

  it("refuses views that do not exist for the env or do not fit the teacher", async () => {
    expect(() => new ViewPair("CartPole-v1", { teacher: "state", student: "full" })).toThrow(
      /teacherView.*MinAtar view/,
    );
    expect(() => new ViewPair("CartPole-v1", { teacher: "full", student: "keep:4" })).toThrow(
      /MaskObservation.keep/,
    );
    expect(() => new ViewPair("CartPole-v1", { teacher: "full", student: "some" })).toThrow(
      /studentView: expected full, pixels/,
    );
    const teacher = join(root, "cp.rldistill");
    savePolicy(teacher, cartPoleTeacherSpec(), { env: "CartPole-v1" });
    await expect(
      distillCrossModal({
        env: "CartPole-v1",
        teacher,
        teacherView: "drop:1",
        studentView: "full",
        out: join(root, "bad"),
      }),
    ).rejects.toThrow(/teacherView.*does not fit the teacher/);
    await expect(
      distillCrossModal({ env: "CartPole-v1", teacher, teacherView: "full", studentView: "full" }),
    ).rejects.toThrow(/plain distillation/);
  });
});

describe("cross-modal distillation", () => {
  it("a privileged CartPole teacher teaches a student without velocities (4 frames) in a few thousand steps", async () => {
    const out = join(root, "cp");
    const { summary } = await distillCrossModal({
      env: "CartPole-v1",
      teacher: new URL("../../../models/cartpole-ppo.rldistill", import.meta.url).pathname,
      teacherView: "full",
      studentView: "drop:1,3",
      frameStack: 4,
      student: "32",
      steps: 4000,
      seed: 1,
      numEnvs: 4,
      rolloutSteps: 32,
      batchSize: 64,
      trainRatio: 0.25,
      learningRate: 3e-3,
      evalEvery: 1000,
      evalEpisodes: 2,
      finalEpisodes: 5,
      similarityStates: 300,
      out,
    });
    expect(summary.kind).toBe("crossmodal");
    expect(summary.student.obs_shape).toEqual([4, 2]);
    expect(summary.retention!).toBeGreaterThan(0.8);
    expect(summary.steps_to_target).not.toBeNull();
    expect(summary.steps_to_target!).toBeLessThanOrEqual(4000);
    expect(summary.evaluations.length).toBeGreaterThanOrEqual(3);
    const { spec, meta } = loadPolicy(join(out, "student.rldistill"));
    expect(spec.obsShape).toEqual([8]);
    expect(meta.view).toBe("drop:1,3");
    expect(spec.obsNorm?.mean.length).toBe(8);
  });

  it("counts steps to the target at the first evaluation at or above it, and where it stays", () => {
    const evals = [
      { step: 1, retention: 0.5 },
      { step: 2, retention: 0.95 },
      { step: 3, retention: 0.7 },
      { step: 4, retention: 0.92 },
      { step: 5, retention: 1 },
    ];
    expect(stepsToTarget(evals, 0.9)).toBe(2);
    expect(stepsToTarget(evals, 0.9, { sustained: true })).toBe(4);
    expect(stepsToTarget(evals, 1.1)).toBeNull();
    expect(stepsToTarget([{ step: 1, retention: null }], 0.9)).toBeNull();
    const st = obsStatistics(Float32Array.of(1, 10, 3, 30), 2, 2);
    expect(Array.from(st.mean)).toEqual([2, 20]);
    expect(Array.from(st.var)).toEqual([1, 100]);
  });
});
