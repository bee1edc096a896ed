/**
 * The seed's claim, tested: "value distillation tricks give 30% better sample efficiency
 * (MuJoCo)". A SAC student trained by RL with value distillation from a SAC teacher's critics
 * (`valueDistillCoef`: both critics also regress on the teacher's min(Q1, Q2) of the replayed
 * (s, a)) against the same student trained by RL alone; the figure is the env steps until a
 * periodic greedy evaluation first reaches 90% of the teacher's return.
 *
 *   npx tsx bench/value-distill.ts --teacher models/invertedpendulum-sac.rldistill --env InvertedPendulum-v5 \
 *     --student 32,32 --steps 20000 --seeds 1,2,3 --eval-freq 1000 --coef 1
 */
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
const coef = Number(arg("coef", "1"));

await prepareEnv(env);
const teacherReturn = evaluatePolicy(compileSpec(loadPolicy(teacher).spec), env, {
  episodes: 20,
  seed: 1000,
}).meanReturn;
const target = 0.9 * teacherReturn;
console.log(
  `${env}: teacher ${teacherReturn.toFixed(1)}; target 90% = ${target.toFixed(1)}; student ${student.join("-")}, ${steps} steps, eval every ${evalFreq} (5 episodes)`,
);
const results: Record<string, Array<number | null>> = {
  "RL alone": [],
  [`RL + value distillation (coef ${coef})`]: [],
};
for (const seed of seeds) {
  for (const [name, c] of [
    ["RL alone", 0],
    [`RL + value distillation (coef ${coef})`, coef],
  ] as const) {
    const model = new SAC({
      env,
      seed,
      hiddenSizes: student,
      learningStarts: 1000,
      logInterval: 1e9,
      ...(c > 0 ? { teacherCritic: teacher, valueDistillCoef: c } : {}),
    });
    // Training stops at the first evaluation that reaches the target: that step is the figure.
    const cb = new EvalCallback({
      evalFreq,
      nEvalEpisodes: 5,
      seed: 10_000 + seed,
      callbackOnNewBest: new StopTrainingOnRewardThreshold({ rewardThreshold: target }),
    });
    const t0 = performance.now();
    await model.learn({ totalTimesteps: steps, callbacks: [cb] });
    const hit = cb.evaluations.find((e) => e.result.meanReturn >= target);
    results[name]!.push(hit ? hit.step : null);
    const curve = cb.evaluations.map((e) => e.result.meanReturn.toFixed(0)).join(" ");
    console.log(
      `seed ${seed} ${name}: steps to 90% ${hit ? hit.step : `> ${steps}`} (${((performance.now() - t0) / 1000).toFixed(0)} s); evals ${curve}`,
    );
  }
}
for (const [name, r] of Object.entries(results)) {
  const reached = r.filter((x): x is number => x !== null);
  const mean = reached.length ? reached.reduce((a, b) => a + b, 0) / reached.length : Number.NaN;
  console.log(
    `${name}: reached in ${reached.length}/${r.length} seeds; mean steps of those ${mean.toFixed(0)}; per seed ${r.map((x) => x ?? "-").join(", ")}`,
  );
}
