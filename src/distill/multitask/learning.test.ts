/**
 * Tiny learning runs of the multi-task and lifelong modes on classic control with the shipped
 * teachers (CartPole-v1 PPO, Acrobot-v1 PPO): a few seconds each on 2 idle cores.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { evaluatePolicy } from "../../eval/evaluate.js";
import { loadPolicy } from "../../nn/checkpoint.js";
import { compileSpec } from "../../nn/fast.js";
import { distillStage } from "./lifelong.js";
import { distillMultiTask } from "./multitask.js";

const model = (file: string) => new URL(`../../../models/${file}`, import.meta.url).pathname;
const CARTPOLE = { env: "CartPole-v1", teacher: model("cartpole-ppo.rldistill") };
const ACROBOT = { env: "Acrobot-v1", teacher: model("acrobot-ppo.rldistill") };

const root = mkdtempSync(join(tmpdir(), "rldistill-multitask-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const small = {
  seed: 1,
  student: "16",
  numEnvs: 4,
  rolloutSteps: 32,
  batchSize: 64,
  trainRatio: 0.25,
  learningRate: 3e-3,
  evalEvery: 1,
  evalEpisodes: 1,
  finalEpisodes: 5,
  similarityStates: 300,
};

describe("multi-task distillation", () => {
  it("one 16-unit trunk with two heads plays CartPole and Acrobot near their teachers", async () => {
    const out = join(root, "mt");
    const { summary } = await distillMultiTask({ ...small, tasks: [CARTPOLE, ACROBOT], steps: 4000, out });
    expect(summary.kind).toBe("multitask");
    expect(summary.tasks.map((t) => t.env)).toEqual(["CartPole-v1", "Acrobot-v1"]);
    for (const t of summary.tasks) expect(t.retention!).toBeGreaterThan(0.8);
    expect(summary.param_ratio).toBeLessThan(0.01);
    // Each task's exported policy is an ordinary student file that plays its env alone.
    const file = join(out, summary.tasks[0]!.student.file);
    const { spec, meta } = loadPolicy(file);
    expect(meta.env).toBe("CartPole-v1");
    const r = evaluatePolicy(compileSpec(spec), "CartPole-v1", { episodes: 3, seed: 7 });
    expect(r.meanReturn).toBeGreaterThan(300);
    const progress = readFileSync(join(out, "progress.jsonl"), "utf8");
    expect(progress).toContain("eval/CartPole-v1/retention");
    expect(progress).toContain("train/Acrobot-v1/loss");
  });

  it("gives each task its taskSteps budget (counted per task in the summary)", async () => {
    const out = join(root, "mt-budgets");
    const { summary } = await distillMultiTask({
      ...small,
      tasks: [CARTPOLE, ACROBOT],
      taskSteps: "256,768",
      finalEpisodes: 1,
      similarityStates: 50,
      out,
    });
    // Acrobot leads at numEnvs x rolloutSteps = 128 a round (6 rounds); CartPole keeps a third of its pace.
    expect(summary.task_steps).toEqual([256, 768]);
    expect(summary.tasks.map((t) => t.env_steps)).toEqual([256, 768]);
    expect(summary.steps).toBe(1024);
    expect(summary.interrupted).toBe(false);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).taskSteps).toBe("256,768");
  });

  it("refuses a teacher that does not fit its task's env, naming the task", async () => {
    await expect(
      distillMultiTask({
        ...small,
        tasks: [CARTPOLE, { env: "Acrobot-v1", teacher: CARTPOLE.teacher }],
        out: join(root, "bad"),
      }),
    ).rejects.toThrow(/task Acrobot-v1: .*observes Box/);
    await expect(
      distillMultiTask({ ...small, tasks: ["CartPole-v1"] as never, out: join(root, "bad2") }),
    ).rejects.toThrow(/ENV=PATH/);
    await expect(
      distillMultiTask({ ...small, tasks: [CARTPOLE, ACROBOT], taskWeights: "1", out: join(root, "bad3") }),
    ).rejects.toThrow(/taskWeights: expected 2/);
    await expect(
      distillMultiTask({ ...small, tasks: [CARTPOLE, ACROBOT], taskSteps: "100,0", out: join(root, "bad4") }),
    ).rejects.toThrow(/taskSteps: expected 2 positive integers/);
    expect(existsSync(join(root, "bad4"))).toBe(false);
  });
});

describe("lifelong distillation", () => {
  const stage = (dir: string, task: typeof CARTPOLE, from: string, extra: Record<string, unknown>) =>
    distillStage({
      ...small,
      student: "64,64",
      trainRatio: 0.5,
      tasks: [task],
      steps: 3000,
      padTo: 6,
      out: join(root, dir),
      continueFrom: from,
      ...extra,
    });

  // Seeds 1-3 of these settings: CartPole keeps retention 1.0 with replay and falls to -0.02..0.00
  // without it (naive fine-tuning on Acrobot), which learns Acrobot alike (0.96-1.0) either way.
  it("keeps the first task through a replay of its stored targets; naive fine-tuning forgets it", async () => {
    await stage("s1", CARTPOLE, "", {});
    const replay = await stage("s2-replay", ACROBOT, join(root, "s1"), { memoryStudentShare: 0.5 });
    const naive = await stage("s2-naive", ACROBOT, join(root, "s1"), { memorySize: 0, replayRatio: 0 });
    expect(replay.summary.stage).toBe(2);
    expect(replay.summary.matrix).toHaveLength(2);
    expect(replay.summary.matrix[0]).toEqual([expect.any(Number)]);
    const [cartpole] = replay.summary.matrix[1]!;
    expect(cartpole!).toBeGreaterThan(0.9);
    expect(naive.summary.matrix[1]![0]!).toBeLessThan(0.5);
    expect(replay.summary.forgetting.forgetting[0]!).toBeLessThan(0.1);
    expect(replay.summary.memory.rows).toBeLessThanOrEqual(replay.summary.memory.capacity);
    expect(Object.keys(replay.summary.memory.rows_per_task)).toEqual(["CartPole-v1", "Acrobot-v1"]);
    // Half of the new task's rows were replaced by its final student's states (the share unchanged).
    const acrobotRows = replay.summary.memory.rows_per_task["Acrobot-v1"]!;
    expect(acrobotRows).toBeGreaterThan(0);
    expect(replay.summary.memory.student_rows).toBe(Math.round(0.5 * acrobotRows));
    expect(naive.summary.memory.student_rows).toBe(0);
    expect(existsSync(join(root, "s2-replay", "memory.rldistill"))).toBe(true);
    // memoryBalance "task": stage 1's ~3,000 CartPole rows restored into 2,000 slots, then every
    // Acrobot row replaces a CartPole row while CartPole is the larger task, so all of them are kept
    // (the stream reservoir would keep each with probability 2,000 / (3,000 + i), about 60%).
    const balanced = await stage("s2-balanced", ACROBOT, join(root, "s1"), {
      memorySize: 2000,
      memoryBalance: "task",
      steps: 600,
    });
    const offered = balanced.summary.tasks[1]!.env_steps!;
    expect(offered).toBeGreaterThanOrEqual(600);
    expect(balanced.summary.memory.balance).toBe("task");
    expect(balanced.summary.memory.rows_per_task).toEqual({
      "CartPole-v1": 2000 - offered,
      "Acrobot-v1": offered,
    });
  });

  it("stops at Ctrl-C with a loadable student and no final figures; an unfinished stage cannot be continued", async () => {
    const stop = new AbortController();
    const { summary } = await distillStage(
      {
        ...small,
        student: "64,64",
        tasks: [ACROBOT],
        steps: 3000,
        evalEvery: 0.25,
        out: join(root, "cut"),
        continueFrom: join(root, "s1"),
      },
      { signal: stop.signal, print: (l) => (l.trimStart().startsWith("25%") ? stop.abort() : undefined) },
    );
    expect(summary.interrupted).toBe(true);
    expect(summary.steps).toBeLessThan(3000);
    expect(summary.matrix).toHaveLength(1); // no row for the unfinished stage
    expect(loadPolicy(join(root, "cut", summary.tasks[1]!.student.file)).spec.actionSize).toBe(3);
    await expect(stage("after-cut", ACROBOT, join(root, "cut"), {})).rejects.toThrow(/unfinished stage/);
  });

  it("runs a stage on its stageSteps entry and records the env steps of every stage", async () => {
    const { summary, runDir } = await stage("s2-budget", ACROBOT, join(root, "s1"), {
      stageSteps: "3000,512",
      memorySize: 0,
      replayRatio: 0,
      finalEpisodes: 2,
    });
    // Stage 2 takes 512 (4 rounds of numEnvs x rolloutSteps = 128), not steps (3000).
    expect(summary.steps).toBe(512);
    expect(JSON.parse(readFileSync(join(runDir, "config.json"), "utf8")).steps).toBe(512);
    // Stage 1 ran on steps 3000: 24 rounds of 128.
    expect(summary.tasks.map((t) => t.env_steps)).toEqual([3072, 512]);
    // A list without this stage's entry is refused before the stage does anything.
    await expect(stage("s2-short", ACROBOT, join(root, "s1"), { stageSteps: "3000" })).rejects.toThrow(
      /stageSteps: has 1 entries \(stages 1-1\) but this is stage 2/,
    );
    expect(existsSync(join(root, "s2-short"))).toBe(false);
  });

  it("refuses a task it already learnt and a student of another shape", async () => {
    await expect(stage("dup", CARTPOLE, join(root, "s1"), {})).rejects.toThrow(/already learnt in stage 1/);
    await expect(stage("shape", ACROBOT, join(root, "s1"), { student: "64" })).rejects.toThrow(
      /student.*is 64,64/,
    );
    await expect(stage("none", ACROBOT, join(root, "nothing"), {})).rejects.toThrow(/continueFrom/);
  });
});
