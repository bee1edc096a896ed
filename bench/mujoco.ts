/**
 * Distillation results on the MuJoCo tasks: students of a SAC teacher (policy distillation of the
 * teacher's deterministic action, `mean-mse` by default), 3 seeds, 20+ greedy episodes each; the
 * parameter ratio to the teacher's actor; the int8 export of each student against the float
 * student; continuous agreement (mean action distance, share of actions within 10% of the range)
 * on the states the student visits; the float student's episode returns and lengths, sorted (falls
 * and failed episodes hide in a mean); and, with --robustness, the robustness suite's physics
 * perturbations (friction and mass x0.5 ... x1.5).
 *
 *   npx tsx bench/mujoco.ts --teacher models/invertedpendulum-sac.rldistill --env InvertedPendulum-v5 \
 *     --student 32,32 --steps 20000 --seeds 1,2,3 --episodes 20 [--loss mean-mse] [--robustness] \
 *     [--set trainRatio=0.5 --set collector=student ...]
 *
 * `--set key=value` (repeatable) passes any other distillation field (`rldistill distill --help`).
 * The ratio is to the teacher's deployed actor (the mean network the student imitates, the
 * convention of the earlier figures); the share of the whole teacher (actor with its log-std head
 * and both critics, as trained; target copies not counted) is printed beside it.
 * Run folders go to --out (default /tmp/rldistill-bench-mujoco).
 */
import { join } from "node:path";
import { dequantizeSpec, quantizeSpec } from "../src/deploy/quantize.js";
import { parseDistillAssignment } from "../src/distill/config.js";
import { distill } from "../src/distill/distill.js";
import { make, prepareEnv } from "../src/envs/registry.js";
import { evaluatePolicy } from "../src/eval/evaluate.js";
import { evaluateRobustness } from "../src/eval/robustness.js";
import { actionRangeOf, collectStates, policySimilarity } from "../src/eval/similarity.js";
import { loadArtifact, loadPolicy } from "../src/nn/checkpoint.js";
import { compileSpec } from "../src/nn/fast.js";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const teacherFile = arg("teacher");
const env = arg("env");
const student = arg("student", "32,32").split(",").map(Number);
const steps = Number(arg("steps", "20000"));
const seeds = arg("seeds", "1,2,3").split(",").map(Number);
const episodes = Number(arg("episodes", "20"));
const loss = arg("loss", "mean-mse");
const out = arg("out", "/tmp/rldistill-bench-mujoco");
const robustness = process.argv.includes("--robustness");
const extra: Record<string, unknown> = {};
process.argv.forEach((a, i) => {
  if (a !== "--set") return;
  const [key, value] = parseDistillAssignment(process.argv[i + 1] ?? "");
  extra[key] = value;
});

await prepareEnv(env);
const teacher = compileSpec(loadPolicy(teacherFile).spec);
const teacherEval = evaluatePolicy(teacher, env, { episodes, seed: 1000 });
const probe = make(env);
const range = actionRangeOf(probe);
probe.close();
const teacherParams = loadPolicy(teacherFile).spec.layers.reduce(
  (n, l) => n + (l.kind === "dense" ? l.weight.length + l.bias.length : 0),
  0,
);
// The whole teacher as trained: SAC/TD3 actor and critics (tensors actor/, q1/, q2/), no targets.
const trained = Object.entries(loadArtifact(teacherFile).tensors)
  .filter(([name]) => /^(actor|q1|q2)\/(?!optimizer)/.test(name))
  .reduce((n, [, t]) => n + t.data.length, 0);
const fullParams = trained > 0 ? trained : teacherParams;
console.log(
  `${env}: teacher ${teacherFile} (${teacherParams} actor params; ${fullParams} in actor and critics) greedy ${teacherEval.meanReturn.toFixed(1)} +- ${teacherEval.stdReturn.toFixed(1)} (${episodes} episodes)`,
);
console.log(
  "seed | student params (/ actor, / whole teacher) | student return | / teacher | int8 return | int8 / float | action distance | within 10% | wall s",
);
for (const seed of seeds) {
  const t0 = performance.now();
  const { summary, studentFile } = await distill({
    teachers: [teacherFile],
    env,
    student,
    method: "policy",
    loss,
    steps,
    seed,
    finalEpisodes: episodes,
    video: false,
    ...extra,
    out: join(out, `${env}-${student.join("x")}-s${seed}`),
  });
  const wall = (performance.now() - t0) / 1000;
  const studentSpec = loadPolicy(studentFile).spec;
  const float = compileSpec(studentSpec);
  const int8 = compileSpec(dequantizeSpec(quantizeSpec(studentSpec)));
  const fEval = evaluatePolicy(float, env, { episodes, seed: 1000 });
  const qEval = evaluatePolicy(int8, env, { episodes, seed: 1000 });
  const states = collectStates(float, env, { steps: 2000, seed });
  const sim = policySimilarity(teacher, float, states, { actionRange: range });
  console.log(
    [
      seed,
      `${summary.student.params} (${((100 * summary.student.params) / teacherParams).toFixed(1)}%, ${((100 * summary.student.params) / fullParams).toFixed(1)}%)`,
      fEval.meanReturn.toFixed(1),
      (fEval.meanReturn / teacherEval.meanReturn).toFixed(3),
      qEval.meanReturn.toFixed(1),
      (qEval.meanReturn / fEval.meanReturn).toFixed(4),
      sim.actionDistance!.toFixed(4),
      sim.actionAgreement!.toFixed(3),
      wall.toFixed(0),
    ].join(" | "),
  );
  // Falls (episodes cut short) and bimodal returns do not show in a mean.
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b).map((x) => x.toFixed(0));
  console.log(
    `  float episodes: returns ${sorted(fEval.returns).join(" ")}; lengths ${sorted(fEval.lengths).join(" ")}`,
  );
  if (robustness) {
    const r = evaluateRobustness({ teacher, student: float }, env, { episodes: 5, seed });
    for (const p of r.perturbations.filter((x) => x.kind === "kwarg")) {
      const cells = p.strengths.map(
        (s: number, j: number) =>
          `${s}: ${p.results["teacher"]![j]!.meanReturn.toFixed(0)}/${p.results["student"]![j]!.meanReturn.toFixed(0)}`,
      );
      console.log(`  robustness ${p.name} (teacher/student): ${cells.join(", ")}`);
    }
  }
}
