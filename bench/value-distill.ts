/**
 * The seed's claim, tested: "value distillation tricks give 30% better sample efficiency
 * (MuJoCo)". A SAC student trained by RL with value distillation from a SAC teacher's critics
 * (`valueDistillCoef`: both critics also regress on the teacher's min(Q1, Q2) of the replayed
 * (s, a)) against the same student trained by RL alone; the figure is the env steps until a
 * periodic greedy evaluation first reaches 90% of the teacher's return. Runs that miss it within
 * --steps are reported with their curve and the steps to 50% and 75%.
 *
 *   npx tsx bench/value-distill.ts --teacher models/invertedpendulum-sac.rldistill --env InvertedPendulum-v5 \
 *     --student 32,32 --steps 20000 --seeds 1,2,3 --eval-freq 1000 --coef 1 \
 *     [--learning-starts 1000] [--eval-episodes 5] [--arms rl,vd] [--out results.jsonl]
 *
 * --arms picks the arms (rl: RL alone, vd: RL + value distillation); --out appends one JSON line
 * per finished run, so an interrupted comparison keeps the runs it finished.
 */
import { appendFileSync } from "node:fs";
import { prepareEnv } from "../src/envs/registry.js";
import { evaluatePolicy } from "../src/eval/evaluate.js";
import { loadPolicy } from "../src/nn/checkpoint.js";
import { compileSpec } from "../src/nn/fast.js";
import { EvalCallback, StopTrainingOnRewardThreshold } from "../src/rl/callbacks.js";
import { SAC } from "../src/rl/sac.js";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const teacher = arg("teacher");
const env = arg("env");
const student = arg("student", "32,32").split(",").map(Number);
const steps = Number(arg("steps", "20000"));
const seeds = arg("seeds", "1,2,3").split(",").map(Number);
const evalFreq = Number(arg("eval-freq", "1000"));
const evalEpisodes = Number(arg("eval-episodes", "5"));
const learningStarts = Number(arg("learning-starts", "1000"));
const coef = Number(arg("coef", "1"));
const arms = arg("arms", "rl,vd").split(",");
const out = process.argv.includes("--out") ? arg("out") : null;
for (const a of arms) if (a !== "rl" && a !== "vd") throw new Error(`--arms: rl or vd, got ${a}`);

await prepareEnv(env);
const teacherReturn = evaluatePolicy(compileSpec(loadPolicy(teacher).spec), env, {
  episodes: 20,
  seed: 1000,
}).meanReturn;
const shares = [0.5, 0.75, 0.9];
const target = 0.9 * teacherReturn;
console.log(
  `${env}: teacher ${teacherReturn.toFixed(1)}; target 90% = ${target.toFixed(1)}; student ${student.join("-")}, ${steps} steps (random for ${learningStarts}), eval every ${evalFreq} (${evalEpisodes} episodes)`,
);
const armName = (a: string) => (a === "rl" ? "RL alone" : `RL + value distillation (coef ${coef})`);
const results: Record<string, Array<Array<number | null>>> = {};
for (const seed of seeds) {
  for (const arm of arms) {
    const c = arm === "vd" ? coef : 0;
    const model = new SAC({
      env,
      seed,
      hiddenSizes: student,
      learningStarts,
      logInterval: 1e9,
      ...(c > 0 ? { teacherCritic: teacher, valueDistillCoef: c } : {}),
    });
    // Training stops at the first evaluation that reaches the target: that step is the figure.
    const cb = new EvalCallback({
      evalFreq,
      nEvalEpisodes: evalEpisodes,
      seed: 10_000 + seed,
      verbose: true,
      callbackOnNewBest: new StopTrainingOnRewardThreshold({ rewardThreshold: target }),
    });
    const t0 = performance.now();
    await model.learn({ totalTimesteps: steps, callbacks: [cb] });
    const wall = (performance.now() - t0) / 1000;
    // Steps to each share of the teacher's return: the first evaluation at or above it.
    const reached = shares.map(
      (s) => cb.evaluations.find((e) => e.result.meanReturn >= s * teacherReturn)?.step ?? null,
    );
    results[armName(arm)] ??= [];
    results[armName(arm)]!.push(reached);
    const curve = cb.evaluations.map((e) => Math.round(e.result.meanReturn));
    console.log(
      `seed ${seed} ${armName(arm)}: steps to 50/75/90% ${reached.map((x) => x ?? `>${steps}`).join(" / ")} (${wall.toFixed(0)} s); evals ${curve.join(" ")}`,
    );
    if (out) {
      const line = { env, seed, arm, coef: c, student, teacherReturn, reached, evalFreq, curve, wall };
      appendFileSync(out, `${JSON.stringify(line)}\n`);
    }
  }
}
for (const [name, runs] of Object.entries(results)) {
  shares.forEach((s, k) => {
    const r = runs.map((x) => x[k] ?? null);
    const hit = r.filter((x): x is number => x !== null);
    const mean = hit.length ? hit.reduce((a, b) => a + b, 0) / hit.length : Number.NaN;
    console.log(
      `${name}, ${s * 100}%: reached in ${hit.length}/${r.length} seeds; mean steps of those ${mean.toFixed(0)}; per seed ${r.map((x) => x ?? "-").join(", ")}`,
    );
  });
}
