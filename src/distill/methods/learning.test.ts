/**
 * Learning tests: every distillation method, on a real env, from a shipped 256-256 teacher
 * (models/) into a student of one 16-unit layer (114 parameters against the teacher's 67,586;
 * 32-32 for PPO learning from reward alone), in a budget of a few thousand env steps (about
 * 1-3 s each on 2 idle cores).
 *
 * The thresholds sit well below what the methods reach (seeds 1-6 of these exact settings:
 * policy, feature, residual and ppo students all return 500 on CartPole; the dqn students -78 to
 * -98 on Acrobot; PPO alone from reward 172-500) and far above what a broken method gets: a
 * zeroed gradient leaves the random initial student (CartPole ~20, Acrobot ~-500), a flipped sign
 * learns the opposite of the teacher (worse still). Checked by breaking each method on purpose,
 * one at a time, on the tape-based steps and again on the tape-free ones: the gradient zeroed or
 * sign-flipped in every method; the feature method's hint gradient to the student zeroed or
 * flipped, or its output term zeroed; the residual adapter's gate stuck open (the deployed student
 * then returns ~90); PPO's surrogate or advantages flipped, or its term zeroed: every break fails
 * a test.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AnySpace } from "../../core/spaces.js";
import { make } from "../../envs/registry.js";
import { collectStates } from "../../eval/similarity.js";
import type { DistillConfig } from "../config.js";
import { distill } from "../distill.js";
import { teacherPolicy } from "../teacher.js";
import { loadTeacher } from "../teachers/load.js";
import { SpecTeacher } from "../teachers/spec-teacher.js";

const model = (file: string) => new URL(`../../../models/${file}`, import.meta.url).pathname;
const CARTPOLE_PPO = model("cartpole-ppo.rldistill");
const ACROBOT_DQN = model("acrobot-dqn.rldistill");
const ACROBOT_PPO = model("acrobot-ppo.rldistill");

const root = mkdtempSync(join(tmpdir(), "rldistill-learning-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Small, fast runs: one 16-unit layer, 4 envs, one evaluation at the end over 10 episodes. */
const small: Partial<DistillConfig> = {
  seed: 1,
  student: [16],
  numEnvs: 4,
  learningRate: 3e-3,
  evalEvery: 1,
  evalEpisodes: 1,
  finalEpisodes: 10,
  similarityStates: 500,
};

/** Collection and replay: every method but ppo (which collects its own rollouts) takes these fields. */
const replay: Partial<DistillConfig> = { rolloutSteps: 32, batchSize: 64, trainRatio: 0.25 };

async function run(config: Partial<DistillConfig>) {
  const base = config.method === "ppo" ? small : { ...small, ...replay };
  const result = await distill({ ...base, ...config, out: mkdtempSync(join(root, `${config.method}-`)) });
  const { summary } = result;
  // The point of distillation: the student is a small fraction of the teacher.
  expect(summary.student.params).toBeLessThan(summary.teacher.params / 20);
  return result;
}

/**
 * Share of the variance of `y` ([n, q]) that the best affine function of `x` ([n, p]) leaves
 * unexplained: least squares through the normal equations (p + 1 unknowns per target).
 */
function unexplainedVariance(x: Float32Array, y: Float32Array, n: number): number {
  const p = x.length / n + 1;
  const q = y.length / n;
  const row = (i: number) => [...x.subarray(i * (p - 1), (i + 1) * (p - 1)), 1];
  // [X'X | X'Y], then Gauss-Jordan with partial pivoting.
  const m = Array.from({ length: p }, () => new Float64Array(p + q));
  for (let i = 0; i < n; i++) {
    const xi = row(i);
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) m[a]![b]! += xi[a]! * xi[b]!;
      for (let t = 0; t < q; t++) m[a]![p + t]! += xi[a]! * y[i * q + t]!;
    }
  }
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    const d = m[c]![c]! || 1e-12;
    for (let k = 0; k < p + q; k++) m[c]![k]! /= d;
    for (let r = 0; r < p; r++) {
      const f = m[r]![c]!;
      if (r !== c && f !== 0) for (let k = 0; k < p + q; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  let residual = 0;
  let total = 0;
  for (let t = 0; t < q; t++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i * q + t]! / n;
    for (let i = 0; i < n; i++) {
      const xi = row(i);
      let fit = 0;
      for (let a = 0; a < p; a++) fit += xi[a]! * m[a]![p + t]!;
      residual += (y[i * q + t]! - fit) ** 2;
      total += (y[i * q + t]! - mean) ** 2;
    }
  }
  return residual / total;
}

/** The values of one logged metric, in order, from the run's progress.jsonl. */
function logged(runDir: string, key: string): number[] {
  return readFileSync(join(runDir, "progress.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line)[key])
    .filter((v): v is number => typeof v === "number");
}

describe("every method distils a shipped teacher into a small student on a real env", () => {
  it("policy: CartPole-v1, 2,000 steps", async () => {
    const { summary } = await run({
      teachers: [CARTPOLE_PPO],
      env: "CartPole-v1",
      method: "policy",
      steps: 2000,
    });
    expect(summary.student.eval!.mean_return).toBeGreaterThan(400);
    expect(summary.retention).toBeGreaterThan(0.8);
  });

  it("feature: CartPole-v1, 3,000 steps; the hint stage matches the teacher's features", async () => {
    const { summary, runDir } = await run({
      teachers: [CARTPOLE_PPO],
      env: "CartPole-v1",
      method: "feature",
      steps: 3000,
      featureStage: 0.5,
    });
    // Hints alone for the first half: the projected student features approach the teacher's
    // (measured: 0.004-0.007 -> 0.0001 over the stage, seeds 1-6).
    const hint = logged(runDir, "train/feature/fc1");
    expect(hint.length).toBeGreaterThan(5);
    expect(hint[hint.length - 1]!).toBeLessThan(hint[0]! / 10);
    expect(summary.student.eval!.mean_return).toBeGreaterThan(400);
  });

  it("feature, hints alone: Acrobot-v1, 3,000 steps; the student's own features come to carry the teacher's", async () => {
    // The learned projection alone can lower the hint loss, so the check is on the student: how
    // well its hidden layer linearly predicts the teacher's last hidden layer (fresh least-squares
    // fit, on states the teacher visits). Measured, seeds 1-3: 0.18-0.22% of the teacher features'
    // variance left unexplained after hints, 2.1-4.0% by the same students untrained.
    const { studentSpec } = await run({
      teachers: [ACROBOT_PPO],
      env: "Acrobot-v1",
      method: "feature",
      steps: 3000,
      featureStage: 1,
      finalEpisodes: 1,
      similarityStates: 50,
    });
    const env = make("Acrobot-v1");
    const spaces = {
      observationSpace: env.observationSpace as AnySpace,
      actionSpace: env.actionSpace as AnySpace,
    };
    const teacher = (await loadTeacher(ACROBOT_PPO, { env })) as SpecTeacher;
    env.close();
    const states = collectStates(teacherPolicy(teacher), "Acrobot-v1", {
      steps: 2000,
      seed: 9,
      deterministic: false,
    });
    const target = teacher.predictSync(states.obs, states.count, { features: ["fc1"] }).features.fc1!;
    const student = new SpecTeacher(studentSpec, { name: "student", ...spaces });
    const hidden = student.predictSync(states.obs, states.count, { features: ["fc0"] }).features.fc0!;
    expect(unexplainedVariance(hidden, target, states.count)).toBeLessThan(0.01);
  });

  it("residual: CartPole-v1, 3,000 steps; the deployed student has no adapter and still acts well", async () => {
    const { summary, studentSpec } = await run({
      teachers: [CARTPOLE_PPO],
      env: "CartPole-v1",
      method: "residual",
      steps: 3000,
      adapterEnd: 0.5,
    });
    expect(studentSpec.layers.length).toBe(2);
    expect(summary.student.eval!.mean_return).toBeGreaterThan(400);
  });

  it("ppo, alpha 1 (on-policy distillation): CartPole-v1, 4,096 steps", async () => {
    const { summary } = await run({
      teachers: [CARTPOLE_PPO],
      env: "CartPole-v1",
      method: "ppo",
      steps: 4096,
      ppoSteps: 64,
    });
    expect(summary.student.eval!.mean_return).toBeGreaterThan(400);
  });

  it("ppo, alpha 0 (the PPO term alone learns from reward): CartPole-v1, 10,240 steps", async () => {
    const { summary } = await run({
      teachers: [CARTPOLE_PPO],
      env: "CartPole-v1",
      method: "ppo",
      alpha: "0",
      steps: 10_240,
      ppoSteps: 128,
      student: [32, 32],
      learningRate: 1e-3,
    });
    // Random play scores ~22; seeds 1-6 reached 172-500 in this budget.
    expect(summary.student.eval!.mean_return).toBeGreaterThan(100);
  });

  it("dqn (Q distillation with the dual target): Acrobot-v1, 3,000 steps", async () => {
    const { summary } = await run({ teachers: [ACROBOT_DQN], env: "Acrobot-v1", method: "dqn", steps: 3000 });
    expect(summary.student.eval!.mean_return).toBeGreaterThan(-150);
    expect(summary.agreement).toBeGreaterThan(0.7);
  });
});

describe("a conv student distils the shipped MinAtar Breakout CNN teacher", () => {
  const BREAKOUT = model("minatar-breakout-ppo.rldistill");
  it("policy: conv4x3,fc16 (3% of the teacher), 6,144 steps", async () => {
    const { summary } = await distill({
      ...small,
      ...replay,
      teachers: [BREAKOUT],
      env: "MinAtar/Breakout-v1",
      method: "policy",
      student: "conv4x3,fc16",
      studentActivation: "relu",
      steps: 6144,
      numEnvs: 8,
      batchSize: 128,
      similarityStates: 1000,
      video: false,
      out: mkdtempSync(join(root, "breakout-")),
    });
    expect(summary.student.params).toBeLessThan(summary.teacher.params * 0.05);
    // Measured at these settings: agreement 0.953, return 9.4 over 10 episodes (teacher 21.5; twice
    // the budget gives 21.7). A broken method leaves the initial student: random play scores 0.3.
    expect(summary.agreement).toBeGreaterThan(0.85);
    expect(summary.student.eval!.mean_return).toBeGreaterThan(5);
  });
});
