/**
 * Per-task and per-stage env-step budgets (`taskSteps`, `stageSteps`): validated before any work,
 * and honoured by the trainer, counted on the envs' own step calls rather than on the trainer's
 * bookkeeping.
 */
import { describe, expect, it } from "vitest";
import type { Env } from "../../core/env.js";
import { Logger } from "../../core/logger.js";
import { Rng } from "../../core/rng.js";
import { parseArch } from "../../nn/arch.js";
import { initBackend } from "../../nn/backend.js";
import { policyObjective } from "../objectives.js";
import {
  parseStepBudgets,
  resolveLifelongConfig,
  resolveMultiTaskConfig,
  stageBudget,
  taskBudgets,
} from "./config.js";
import { TaskLayout } from "./layout.js";
import { MultiHeadStudent } from "./multi-head-student.js";
import { loadTask } from "./tasks.js";
import { TaskTrainer } from "./trainer.js";

const model = (file: string) => new URL(`../../../models/${file}`, import.meta.url).pathname;
const CARTPOLE = { env: "CartPole-v1", teacher: model("cartpole-ppo.rldistill") };
const ACROBOT = { env: "Acrobot-v1", teacher: model("acrobot-ppo.rldistill") };

describe("taskSteps and stageSteps validation", () => {
  const two = { tasks: [CARTPOLE, ACROBOT] };

  it("reads one positive integer per task or stage; empty means steps", () => {
    expect(taskBudgets(resolveMultiTaskConfig({ ...two, steps: 500 }), 2)).toEqual([500, 500]);
    expect(taskBudgets(resolveMultiTaskConfig({ ...two, taskSteps: "100, 300" }), 2)).toEqual([100, 300]);
    const ll = resolveLifelongConfig({ tasks: [CARTPOLE], steps: 700, stageSteps: "100,200,300" });
    expect([1, 2, 3].map((k) => stageBudget(ll, k))).toEqual([100, 200, 300]);
    expect(stageBudget(resolveLifelongConfig({ tasks: [CARTPOLE], steps: 700 }), 4)).toBe(700);
  });

  it("refuses a wrong count, zero, negatives, fractions and words, naming the field and what is allowed", () => {
    for (const bad of ["100", "100,200,300", "0,100", "-5,100", "1.5,100", "1e5,100", "100,", "a,b"])
      expect(() => resolveMultiTaskConfig({ ...two, taskSteps: bad })).toThrow(
        /taskSteps: expected 2 positive integers \(env steps of each task, in task order/,
      );
    for (const bad of ["0", "30000,x", "30000,,60000", "-1"])
      expect(() => resolveLifelongConfig({ tasks: [CARTPOLE], stageSteps: bad })).toThrow(
        /stageSteps: expected positive integers \(env steps of each stage, in stage order/,
      );
    expect(() => parseStepBudgets("1,2", "stageSteps", 3, "stage")).toThrow(
      /stageSteps: expected 3 positive/,
    );
    // A lifelong stage has one live task: its budget is steps or its stageSteps entry.
    expect(() => resolveLifelongConfig({ tasks: [CARTPOLE], taskSteps: "100" })).toThrow(
      /taskSteps: applies to multi-task runs/,
    );
    // A list too short for the stage is refused (distillStage asks before loading anything).
    const ll = resolveLifelongConfig({ tasks: [CARTPOLE], stageSteps: "100,200" });
    expect(() => stageBudget(ll, 3)).toThrow(/stageSteps: has 2 entries \(stages 1-2\) but this is stage 3/);
  });
});

describe("TaskTrainer budgets", () => {
  /**
   * Runs a CartPole + Acrobot trainer round by round until every budget is met (as runTasksLoop
   * does); returns the env steps each task's envs took (counted on env.step) after every round.
   */
  async function collect(budgets: number[] | undefined, steps = 400) {
    await initBackend();
    const tasks = [
      await loadTask(CARTPOLE.env, CARTPOLE.teacher),
      await loadTask(ACROBOT.env, ACROBOT.teacher),
    ];
    const counts = [0, 0];
    const counting = (i: number) => (k: number) => {
      const env = tasks[i]!.makeEnv(k) as Env;
      const step = env.step.bind(env);
      env.step = (a) => {
        counts[i]!++;
        return step(a);
      };
      return env;
    };
    const cfg = resolveMultiTaskConfig({
      tasks: [CARTPOLE, ACROBOT],
      student: "8",
      numEnvs: 2,
      rolloutSteps: 16,
      batchSize: 16,
      trainRatio: 1 / 64,
      steps,
    });
    const layout = new TaskLayout(tasks.map((t) => t.shape));
    const student = new MultiHeadStudent({ layout, arch: parseArch("8"), rng: new Rng(4) });
    const trainer = new TaskTrainer({
      cfg,
      student,
      layout,
      live: tasks.map((t, id) => ({ id, env: t.env, teacher: t.teacher, makeEnv: counting(id) })),
      objectives: tasks.map((t) => policyObjective("kl", t.teacher.kind)),
      weights: [1, 1],
      rng: new Rng(5),
      logger: new Logger([]),
      tau: () => 1,
      beta: () => 1,
      seed: 1,
      budgets,
    });
    const rounds: number[][] = [];
    let total = 0;
    while (trainer.unfinished) {
      total += await trainer.iterate(total / trainer.budget);
      rounds.push([...counts]);
      if (rounds.length > 1000) throw new Error("the budgets are never met");
    }
    const bookkept = [...trainer.collectedByTask().values()];
    trainer.dispose();
    for (const t of tasks) t.teacher.dispose?.();
    return { rounds, final: counts, bookkept, budget: trainer.budget, total };
  }

  it("collects each task's own budget, the smaller one in step with the larger", async () => {
    const { rounds, final, bookkept, budget, total } = await collect([200, 600]);
    // Acrobot, the largest budget, collects rolloutSteps x numEnvs = 32 a round: 19 rounds, 608 steps.
    expect(rounds).toHaveLength(19);
    expect(final[1]).toBe(608);
    // CartPole gets its 200 (to within one step per env), not 608 and not 400 (steps).
    expect(final[0]).toBeGreaterThanOrEqual(200);
    expect(final[0]).toBeLessThan(202);
    expect(bookkept).toEqual(final);
    expect(total).toBe(final[0]! + final[1]!);
    expect(budget).toBe(800);
    // Every round CartPole is at its share of Acrobot's progress (a third), never behind it and at
    // most one step per env ahead (the rounding up to whole steps per env).
    for (const [c, a] of rounds) {
      expect(c!).toBeGreaterThanOrEqual(Math.min(200, Math.ceil(a! / 3)));
      expect(c!).toBeLessThanOrEqual(Math.ceil(a! / 3) + 2);
    }
  });

  it("equal budgets collect as without any: rolloutSteps x numEnvs per task per round", async () => {
    const plain = await collect(undefined, 300);
    const equal = await collect([300, 300], 999);
    expect(plain.rounds).toEqual(equal.rounds);
    expect(plain.final).toEqual([320, 320]);
    plain.rounds.forEach(([c, a], r) => {
      expect(c).toBe(32 * (r + 1));
      expect(a).toBe(32 * (r + 1));
    });
  });
});
