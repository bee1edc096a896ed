/**
 * The multi-task trainer's options: the greedy-action cross-entropy beside the distillation loss
 * (`argmaxCoef`, a known-answer check of its value and gradient), the learning-rate schedule
 * (`lrSchedule`, checked on the optimizer and on the size of a real step) and greedy collection
 * by the student (`studentDeterministic`).
 */
import { describe, expect, it } from "vitest";
import { Logger } from "../../core/logger.js";
import { Rng } from "../../core/rng.js";
import { parseArch } from "../../nn/arch.js";
import { initBackend } from "../../nn/backend.js";
import { policyObjective } from "../objectives.js";
import { type MultiTaskConfig, resolveMultiTaskConfig } from "./config.js";
import { TaskLayout } from "./layout.js";
import { MultiHeadStudent } from "./multi-head-student.js";
import { loadTask } from "./tasks.js";
import { TaskTrainer, taskLoss } from "./trainer.js";

const CARTPOLE = {
  env: "CartPole-v1",
  teacher: new URL("../../../models/cartpole-ppo.rldistill", import.meta.url).pathname,
};

/** -log softmax(row)[a] */
function nll(row: number[], a: number): number {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return lse - row[a]!;
}

describe("taskLoss with argmaxCoef", () => {
  // The student already matches the teacher, so the KL and its gradient are 0: whatever moves the
  // student here is the greedy-action term.
  const logits = [
    [0.1, 0.05, -0.2],
    [-0.3, 0.4, 0.39],
  ];
  const out = Float32Array.from(logits.flat());
  const teacher = Float32Array.from(logits.flat());

  for (const kind of ["logits", "q"] as const) {
    it(`${kind} teacher: adds argmaxCoef * CE on the teacher's argmax, with its exact gradient`, () => {
      const objective = policyObjective("kl", kind);
      const plain = taskLoss(objective, out, teacher, 2, 1, 0);
      expect(plain.loss).toBeCloseTo(0, 6);
      for (const d of plain.dOut) expect(Math.abs(d)).toBeLessThan(1e-6);

      const c = 0.7;
      const res = taskLoss(objective, out, teacher, 2, 1, c);
      const ce = (nll(logits[0]!, 0) + nll(logits[1]!, 1)) / 2;
      expect(res.loss).toBeCloseTo(c * ce, 5);
      expect(res.metrics["argmax_nll"]).toBeCloseTo(ce, 5);
      // Central differences of the returned loss against the returned gradient.
      const h = 1e-2;
      for (let i = 0; i < out.length; i++) {
        const up = out.slice();
        const down = out.slice();
        up[i] = up[i]! + h;
        down[i] = down[i]! - h;
        const fd =
          (taskLoss(objective, up, teacher, 2, 1, c).loss -
            taskLoss(objective, down, teacher, 2, 1, c).loss) /
          (2 * h);
        expect(res.dOut[i]).toBeCloseTo(fd, 3);
      }
      // Towards the teacher's greedy action: its logit goes up (negative gradient), the others down.
      expect(res.dOut[0]).toBeLessThan(0);
      expect(res.dOut[4]).toBeLessThan(0);
      expect(res.dOut[5]).toBeGreaterThan(0);
    });
  }
});

/**
 * One trainer round on CartPole with an 8-unit student of a fixed init (Rng(4)); `cfg` overrides the
 * small run below, `rngSeed` seeds the trainer's generator (collection sampling and batches).
 */
async function oneRound(
  cfg: Partial<MultiTaskConfig>,
  o: { progress: number; beta: number; rngSeed: number; logger?: Logger },
) {
  await initBackend();
  const task = await loadTask(CARTPOLE.env, CARTPOLE.teacher);
  const resolved = resolveMultiTaskConfig({
    tasks: [CARTPOLE],
    student: "8",
    numEnvs: 1,
    rolloutSteps: 16,
    batchSize: 16,
    trainRatio: 1 / 16,
    ...cfg,
  });
  const layout = new TaskLayout([task.shape]);
  const student = new MultiHeadStudent({ layout, arch: parseArch("8"), rng: new Rng(4) });
  const before = student.values.slice();
  const trainer = new TaskTrainer({
    cfg: resolved,
    student,
    layout,
    live: [{ id: 0, env: task.env, teacher: task.teacher, makeEnv: task.makeEnv }],
    objectives: [policyObjective("kl", task.teacher.kind)],
    weights: [1],
    rng: new Rng(o.rngSeed),
    logger: o.logger ?? new Logger([]),
    tau: () => 1,
    beta: () => o.beta,
    seed: 1,
  });
  await trainer.iterate(o.progress);
  trainer.dispose();
  task.teacher.dispose?.();
  let moved = 0;
  for (let i = 0; i < before.length; i++) moved += Math.abs(student.values[i]! - before[i]!);
  return { moved, lr: trainer.optimizer.lr };
}

describe("TaskTrainer lrSchedule", () => {
  /** One trainer round of one gradient step on CartPole; returns |parameter change| and the lr used. */
  const oneStep = (lrSchedule: string, progress: number) =>
    oneRound({ learningRate: 0.01, lrSchedule }, { progress, beta: 1, rngSeed: 5 });

  it("sets the learning rate from progress and the step follows it", async () => {
    const decay = "piecewise:0=1,0.7=1,1=0.05";
    const full = await oneStep(decay, 0.5);
    const late = await oneStep(decay, 0.85);
    expect(full.lr).toBeCloseTo(0.01, 9);
    // Halfway down the ramp from 1 at 0.7 to 0.05 at 1: 0.525.
    expect(late.lr).toBeCloseTo(0.00525, 9);
    // Adam's first step is lr * sign(gradient) per parameter: the same data, 0.525 times the move.
    expect(full.moved).toBeGreaterThan(0);
    expect(late.moved / full.moved).toBeCloseTo(0.525, 2);
  });

  it("is validated with the field named and the range allowed", () => {
    const base = { tasks: [CARTPOLE] };
    expect(resolveMultiTaskConfig(base).lrSchedule).toBe("1");
    expect(resolveMultiTaskConfig(base).argmaxCoef).toBe(0);
    expect(resolveMultiTaskConfig({ ...base, lrSchedule: "1:0:cosine" }).lrSchedule).toBe("1:0:cosine");
    expect(() => resolveMultiTaskConfig({ ...base, lrSchedule: "2:1:linear" })).toThrow(
      /lrSchedule: .*allowed: a factor in \[0, 1\]/,
    );
    expect(() => resolveMultiTaskConfig({ ...base, lrSchedule: "fast" })).toThrow(/lrSchedule/);
    expect(() => resolveMultiTaskConfig({ ...base, argmaxCoef: -1 })).toThrow(/argmaxCoef/);
  });
});

describe("TaskTrainer studentDeterministic", () => {
  /** The mean return of the CartPole episodes one round of student-only collection ends, for a trainer rng seed. */
  async function collectedReturn(studentDeterministic: boolean, rngSeed: number): Promise<number> {
    const logger = new Logger([]);
    await oneRound(
      { rolloutSteps: 300, trainRatio: 1 / 300, collector: "student", studentDeterministic },
      { progress: 0, beta: 0, rngSeed, logger },
    );
    logger.dump(1);
    const mean = logger.last[`rollout/${CARTPOLE.env}/ep_rew_mean`];
    expect(typeof mean).toBe("number");
    return mean as number;
  }

  it("collects with the greedy student: the same episodes whatever the rng, unlike sampling", async () => {
    expect(resolveMultiTaskConfig({ tasks: [CARTPOLE] }).studentDeterministic).toBe(false);
    const greedy = [await collectedReturn(true, 5), await collectedReturn(true, 6)];
    expect(greedy[1]).toBe(greedy[0]);
    const sampled = [await collectedReturn(false, 5), await collectedReturn(false, 6)];
    expect(sampled[1]).not.toBe(sampled[0]);
  });
});
