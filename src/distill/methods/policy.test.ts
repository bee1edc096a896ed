import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSpec } from "../../nn/fast.js";
import type { PolicySpec } from "../../nn/spec.js";
import type { DistillConfig } from "../config.js";
import { distill } from "../distill.js";
import type { Teacher } from "../teacher.js";
import { MlpCritic } from "../teachers/critic.js";
import { LineWorld, lineGaussianTeacher, lineTeacher } from "../testing/fakes.js";

const base: Partial<DistillConfig> = {
  env: "LineWorld-v0",
  steps: 1500,
  numEnvs: 4,
  student: [8],
  rolloutSteps: 25,
  trainRatio: 0.25,
  batchSize: 64,
  evalEvery: 1,
  evalEpisodes: 2,
  finalEpisodes: 4,
  similarityStates: 300,
  learningRate: 3e-3,
  video: false,
};
const out = () => mkdtempSync(join(tmpdir(), "rldistill-policy-"));
const line = () => new LineWorld();
const progressRows = (dir: string): Array<Record<string, number>> =>
  readFileSync(join(dir, "progress.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

describe("policy method: greedy-action term (argmaxCoef)", () => {
  it("pulls the student to the teacher's greedy action, away from a near-uniform target", async () => {
    // k = 0.02: the teacher's two probabilities differ by at most ~0.02. The KL alone copies that
    // near-uniform distribution (JS ~ 0); the cross-entropy term makes the student pick the
    // teacher's side of every tie with confidence (agreement high, JS from the teacher up). A
    // no-op term leaves JS ~ 0; a wrong-signed one loses agreement.
    const run = (argmaxCoef: number) =>
      distill(
        { ...base, out: out(), argmaxCoef, seed: 3 },
        { teacher: lineTeacher({ k: 0.02 }), makeEnv: line },
      );
    const kl = (await run(0)).summary;
    const withCe = (await run(1)).summary;
    expect(kl.js_divergence!).toBeLessThan(1e-6); // measured 1e-10
    expect(withCe.agreement!).toBeGreaterThan(0.9);
    expect(withCe.js_divergence!).toBeGreaterThan(5e-4); // measured 1.8e-3
  });

  it("logs the term and refuses a continuous teacher", async () => {
    const dir = out();
    await distill(
      { ...base, steps: 300, out: dir, argmaxCoef: 0.5 },
      { teacher: lineTeacher(), makeEnv: line },
    );
    expect(progressRows(dir).some((r) => Number.isFinite(r["train/argmax_nll"]))).toBe(true);
    await expect(
      distill(
        { ...base, out: out(), argmaxCoef: 1 },
        { teacher: lineGaussianTeacher(), makeEnv: () => new LineWorld({ continuous: true }) },
      ),
    ).rejects.toThrow(/argmaxCoef.*continuous actions/);
  });
});

describe("replay methods: learning-rate schedule (lrSchedule)", () => {
  it("sets the optimizer's rate from progress each round", async () => {
    const dir = out();
    await distill(
      { ...base, out: dir, learningRate: 0.01, lrSchedule: "1:0:linear" },
      { teacher: lineTeacher(), makeEnv: line },
    );
    const lrs = progressRows(dir)
      .map((r) => r["train/learning_rate"])
      .filter((v): v is number => v !== undefined);
    expect(lrs.length).toBeGreaterThan(5);
    expect(lrs[0]).toBeCloseTo(0.01, 6); // progress 0 at the first round
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]!).toBeLessThan(lrs[i - 1]!);
    expect(lrs.at(-1)!).toBeLessThan(0.01 * 0.1);
  });

  it("a factor of 0 leaves the student as initialised", async () => {
    const weightsAfter = async (lrSchedule: string, steps: number) => {
      const { studentSpec } = await distill(
        { ...base, steps, out: out(), lrSchedule, seed: 5 },
        { teacher: lineTeacher(), makeEnv: line },
      );
      const first = studentSpec.layers[0]!;
      if (first.kind !== "dense") throw new Error("a dense student was asked for");
      return Array.from(first.weight);
    };
    expect(await weightsAfter("0", 400)).toEqual(await weightsAfter("0", 800));
    expect(await weightsAfter("1", 400)).not.toEqual(await weightsAfter("1", 800));
  });

  it("refuses a schedule outside [0, 1], naming the field", async () => {
    await expect(
      distill({ ...base, out: out(), lrSchedule: "2:1:linear" }, { teacher: lineTeacher(), makeEnv: line }),
    ).rejects.toThrow(/lrSchedule.*\[0, 1\]/);
  });
});

describe("replay methods: studentDeterministic (auto / true / false)", () => {
  // Collection with the student alone (DAgger), on recording LineWorlds: the actions the
  // collector's envs are given show whether the student acted with its mean or sampled around it;
  // with the same seed, two runs that act the same way collect the same actions. Recorded: the envs
  // made before any env steps (the run's probe, the numEnvs collection envs and the teacher's
  // evaluation env, which acts the same in every run).
  const collected = async (loss: string, studentDeterministic?: unknown) => {
    const perEnv: number[][] = [];
    let stepped = false;
    const makeEnv = () => {
      const env = new LineWorld({ continuous: true });
      const actions: number[] = [];
      if (!stepped) perEnv.push(actions);
      const step = env.step.bind(env);
      env.step = (a) => {
        stepped = true;
        actions.push((a as Float32Array)[0]!);
        return step(a);
      };
      return env;
    };
    await distill(
      { ...base, steps: 200, out: out(), loss, collector: "student", seed: 5, studentDeterministic } as never,
      { teacher: lineGaussianTeacher(), makeEnv },
    );
    return perEnv.flat();
  };

  it("auto acts greedily when the loss leaves the student's std untrained (mean-mse), else samples", async () => {
    const greedy = await collected("mean-mse", "true");
    const sampled = await collected("mean-mse", "false");
    expect(sampled).not.toEqual(greedy);
    expect(await collected("mean-mse")).toEqual(greedy); // the default is auto
    expect(await collected("mean-mse", true)).toEqual(greedy); // a boolean, as before "auto"
    // gaussian-kl trains the log std: auto samples from it.
    const klSampled = await collected("gaussian-kl", "false");
    expect(await collected("gaussian-kl", "auto")).toEqual(klSampled);
    expect(klSampled).not.toEqual(await collected("gaussian-kl", "true"));
    await expect(collected("mean-mse", "yes")).rejects.toThrow(
      /studentDeterministic: expected one of auto, true, false/,
    );
  });
});

describe("policy method: critic-guided term (criticGuideCoef)", () => {
  // The line-world Gaussian teacher (mean -4 tanh x) given a toy fixed critic Q(s, a) = 10 + a:
  // the term pulls the student's mean up. At equilibrium the two gradients cancel per state,
  // 2 (mu - mu_t) = lambda * dQ/da, so mu - mu_t = lambda / 2 = alpha / (2 mean |Q|) ~ alpha / 20
  // wherever mu stays inside the box; a wrong sign gives the opposite shift.
  const cont = () => new LineWorld({ continuous: true });
  const linearQ = new MlpCritic(
    [
      {
        kind: "dense",
        inSize: 3,
        outSize: 1,
        weight: Float32Array.of(0, 0, 1),
        bias: Float32Array.of(10),
        activation: "linear",
      },
    ],
    { obsSize: 2, actionSize: 1, low: [-1], high: [1] },
  );
  const criticTeacher = () => Object.assign(lineGaussianTeacher(), { qCritic: linearQ });
  const cfg = { ...base, steps: 3000, loss: "mean-mse", studentDeterministic: "true", seed: 2 };
  const run = (criticGuideCoef?: string, dir = out()) =>
    distill({ ...cfg, out: dir, criticGuideCoef } as never, { teacher: criticTeacher(), makeEnv: cont });
  const weights = (spec: PolicySpec) =>
    spec.layers.flatMap((l) => ("weight" in l ? Array.from(l.weight) : []));
  /** Mean student - teacher action over states whose shifted action stays inside the box. */
  const shift = (studentSpec: Parameters<typeof compileSpec>[0]) => {
    const xs = Array.from({ length: 21 }, (_, i) => -0.15 + 0.01 * i);
    const obs = Float32Array.from(xs.flatMap((x) => [x, 1]));
    const s = compileSpec(studentSpec).forward(obs, xs.length);
    const t = lineGaussianTeacher().predictSync(obs, xs.length).outputs;
    return xs.reduce((acc, _, i) => acc + s[i]! - t[i]!, 0) / xs.length;
  };

  it("moves the student towards higher Q by about alpha / (2 mean |Q|); 0 leaves the run bit for bit", async () => {
    const off = await run();
    const zero = await run("0");
    expect(weights(zero.studentSpec)).toEqual(weights(off.studentSpec));
    const guided = await run("4"); // lambda ~ 4 / 10: expected shift ~ 0.2
    expect(Math.abs(shift(off.studentSpec))).toBeLessThan(0.05);
    expect(shift(guided.studentSpec)).toBeGreaterThan(0.15); // measured 0.198
    expect(shift(guided.studentSpec)).toBeLessThan(0.25);
  });

  it("is deterministic and logs the term", async () => {
    const dir = out();
    const a = await run("1", dir);
    const b = await run("1");
    expect(weights(a.studentSpec)).toEqual(weights(b.studentSpec));
    const rows = progressRows(dir);
    const lambdas = rows.map((r) => r["train/critic_lambda"]).filter((v) => v !== undefined);
    expect(lambdas.length).toBeGreaterThan(0);
    for (const l of lambdas) expect(l).toBeCloseTo(1 / 10, 1); // Q = 10 + a, |a| <= 1
    expect(rows.some((r) => Number.isFinite(r["train/critic_q"]))).toBe(true);
  });

  it("refuses teachers without a Q critic, other losses and bad weights, naming the field", async () => {
    const refuse = (c: Record<string, unknown>, teacher: Teacher = criticTeacher(), makeEnv = cont) =>
      distill({ ...cfg, steps: 200, out: out(), ...c } as never, { teacher, makeEnv });
    await expect(refuse({ criticGuideCoef: "1" }, lineGaussianTeacher())).rejects.toThrow(
      /criticGuideCoef.*no Q critic/,
    );
    await expect(refuse({ criticGuideCoef: "1", loss: "kl" }, lineTeacher(), line)).rejects.toThrow(
      /criticGuideCoef.*no Q critic/,
    );
    await expect(refuse({ criticGuideCoef: "1", loss: "gaussian-kl" })).rejects.toThrow(
      /criticGuideCoef.*mean-mse/,
    );
    await expect(refuse({ criticGuideCoef: "-0.5" })).rejects.toThrow(/criticGuideCoef.*>= 0/);
    await expect(refuse({ criticGuideCoef: "Infinity" })).rejects.toThrow(/criticGuideCoef/);
    await expect(refuse({ criticGuideCoef: "1:-1:linear" })).rejects.toThrow(/criticGuideCoef.*>= 0/);
    // A schedule that turns it on late is taken.
    await expect(refuse({ criticGuideCoef: "piecewise:0=0,0.5=0,1=1" })).resolves.toBeDefined();
  });
});
