/**
 * Multi-task, lifelong and cross-modal distillation (issue 13; on demand, never in the test suite):
 *
 *   npx tsx bench/multitask.ts multitask  --teacher ENV=PATH ... [--steps 20000] [--seeds 1,2,3]
 *   npx tsx bench/multitask.ts lifelong   --teacher ENV=PATH ... [--methods replay,naive,ewc] [--ewc 100]
 *   npx tsx bench/multitask.ts crossmodal --env ENV --teacher PATH --teacher-view V --student-view V
 *                                         [--frame-stack K] [--scratch-steps N] [--scratch-config FILE] [--reuse]
 *   npx tsx bench/multitask.ts reevaluate --run DIR [--run DIR ...] [--episodes 100]
 *
 * common: [--steps N] [--seeds 1,2,3] [--set field=value ...] [--out DIR] (default runs/bench-multitask)
 *
 * 1. multitask: one student for every `--teacher` task (distillMultiTask), per seed; prints per task
 *    the teacher's and the student's return, retention and agreement (means over the seeds), the
 *    mean and minimum retention per seed, and the student's parameters against the teachers' total.
 * 2. lifelong: one stage per `--teacher`, in the order given (distillStage, each stage continuing
 *    from the previous folder), for each method: `replay` (the reservoir memory, the defaults),
 *    `naive` (memorySize 0, replayRatio 0: sequential fine-tuning, the baseline), `ewc` (no memory,
 *    EWC lambda = --ewc). Every method gets the same steps per stage (--steps, or each stage its
 *    own with --set stageSteps=N1,N2,...: one entry per --teacher). Prints the forgetting matrix
 *    R[k][j] (retention of task j after stage k, mean over the seeds) and, per seed, the lowest
 *    retention of an old task after the last stage. --reuse-stages K --stages-from DIR takes stages
 *    1..K of each method and seed from an earlier run's DIR (the same --teacher list, --set values,
 *    seed and stage budgets, all checked before any stage runs; DIR may not be --out) and runs the
 *    rest from its stage K: to compare a change that only acts later, e.g.
 *    memoryBalance, which changes nothing while the memory has room (refused if a reused stage's
 *    memory was full and memoryBalance differs).
 * 3. crossmodal: distillCrossModal, then (with --scratch-steps > 0) PPO from scratch on the
 *    student's view (the same env id and wrappers, `ViewPair.studentEnvId()`), evaluated on the
 *    same grid (every evalEvery env steps, evalEpisodes greedy episodes), retention against the
 *    same teacher and random returns, and the same steps-to-target rule (`stepsToTarget`). PPO's
 *    hyperparameters: --scratch-config (a JSON object of PPO_SCHEMA fields), else the env's entry in
 *    presets/ppo.json, else PPO's defaults. A scratch run that never reaches the target gives a
 *    lower bound on the ratio (its budget / the student's steps). --reuse takes a seed's distilled
 *    run from its folder's summary.json when there is one (to add a scratch run to it).
 * 4. reevaluate --run DIR [--run DIR ...] [--episodes 100]: a finished multi-task run's per-task
 *    students, with their teachers and random policies, on more greedy episodes (the same env seeds
 *    for all three), since 30 episodes of Seaquest or Asterix leave a retention uncertain by 10-20
 *    points; prints return +- standard error, retention, and the mean and capped mean per run.
 *
 * Writes every run folder and results.json under --out; prints Markdown tables and the load. A
 * second run into the same --out replaces the run folders it makes again (each is opened in
 * overwrite mode, so nothing of the earlier run mixes in) and its results.json; use a new --out to keep both.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { type ConfigSchema, parseAssignment } from "../src/core/config.js";
import { ConfigError } from "../src/core/errors.js";
import { loadPreset } from "../src/core/presets.js";
import {
  CROSSMODAL_SCHEMA,
  type CrossModalSummary,
  distillCrossModal,
  stepsToTarget,
} from "../src/distill/crossmodal/index.js";
import { ViewPair } from "../src/distill/crossmodal/views.js";
import { evaluateReturns } from "../src/distill/evaluation.js";
import {
  LIFELONG_SCHEMA,
  MULTITASK_SCHEMA,
  parseStepBudgets,
  parseTaskTeacher,
} from "../src/distill/multitask/config.js";
import { distillStage, type LifelongSummary } from "../src/distill/multitask/lifelong.js";
import { distillMultiTask, type MultiTaskSummary } from "../src/distill/multitask/multitask.js";
import { loadTask, taskBaseline, taskEnvFactory } from "../src/distill/multitask/tasks.js";
import { retention } from "../src/eval/evaluate.js";
import { initBackend } from "../src/nn/backend.js";
import { loadPolicy } from "../src/nn/checkpoint.js";
import { compileSpec } from "../src/nn/fast.js";
import { EvalCallback } from "../src/rl/callbacks.js";
import { PPO, PPO_SCHEMA } from "../src/rl/ppo.js";
import { refuser } from "./refuse.js";

const { checked, checkedAsync } = refuser(`bench/multitask.ts ${process.argv[2] ?? ""}`);

const argv = process.argv.slice(2);
const MODE = argv[0] ?? "";
function arg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}
const flag = (name: string) => argv.includes(`--${name}`);
function args(name: string): string[] {
  return argv.flatMap((a, i) => (a === `--${name}` && argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
}
const SEEDS = arg("seeds", "1,2,3").split(",").map(Number);
const STEPS = Number(arg("steps", "20000"));
const OUT = arg("out", "runs/bench-multitask");
/** `--set field=value` overrides, parsed as the CLI parses them (numbers, booleans, strings). */
const SCHEMAS: Record<string, ConfigSchema> = {
  multitask: MULTITASK_SCHEMA,
  lifelong: LIFELONG_SCHEMA,
  crossmodal: CROSSMODAL_SCHEMA,
};
const SETS: Record<string, unknown> = checked(() =>
  Object.fromEntries(args("set").map((s) => parseAssignment(SCHEMAS[MODE] ?? {}, s, "--set"))),
);
const print = (line: string) => console.log(line);
const quiet = () => {};
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? "-" : `${(100 * x).toFixed(1)}%`;
const pm = (xs: number[], f = pct) => (xs.length > 1 ? `${f(mean(xs))} +- ${f(sd(xs))}` : f(mean(xs)));
const num = (x: number) => x.toFixed(1);
/** Mean retention with each task capped at 100% (a task played above its teacher cannot hide a weak one). */
const cappedMean = (rs: Array<number | null>) => mean(rs.map((r) => Math.min(1, r ?? Number.NaN)));

async function benchMultiTask() {
  const tasks = args("teacher").map((t) => parseTaskTeacher(t));
  const runs: MultiTaskSummary[] = [];
  for (const seed of SEEDS) {
    const t0 = performance.now();
    const { summary } = await distillMultiTask(
      { ...SETS, tasks, steps: STEPS, seed, out: join(OUT, `multitask-s${seed}`) },
      { print: quiet, overwrite: true },
    );
    print(
      `seed ${seed}: mean retention ${pct(summary.mean_retention)}, capped ${pct(cappedMean(summary.tasks.map((t) => t.retention)))}, min ${pct(summary.min_retention)}, ${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load()}`,
    );
    // How retention grew with the budget (the intermediate evaluations, evalEpisodes each).
    for (const c of summary.evaluations) {
      const rs = Object.values(c.tasks).map((e) => e.retention);
      print(
        `  step ${c.step}: ${rs.map((r) => pct(r)).join(" ")}; mean ${pct(c.mean_retention)}, capped ${pct(cappedMean(rs))}`,
      );
    }
    runs.push(summary);
  }
  const first = runs[0]!;
  print(`\n| task | teacher return | student return | retention | agreement |`);
  print(`|---|---|---|---|---|`);
  first.tasks.forEach((t, j) => {
    const rs = runs.map((r) => r.tasks[j]!);
    print(
      `| ${t.env} | ${num(mean(rs.map((r) => r.teacher.eval.mean_return)))} | ${num(mean(rs.map((r) => r.student.mean_return ?? Number.NaN)))} | ${pm(rs.map((r) => r.retention ?? Number.NaN))} | ${pm(rs.map((r) => r.student.agreement ?? Number.NaN))} |`,
    );
  });
  print(
    `| **mean** | | | ${pm(runs.map((r) => r.mean_retention ?? Number.NaN))} (min task ${pct(Math.min(...runs.map((r) => r.min_retention ?? Number.NaN)))}) | |`,
  );
  print(
    `| **mean, each task capped at 100%** | | | ${pm(runs.map((r) => cappedMean(r.tasks.map((t) => t.retention))))} | |`,
  );
  print(
    `\nstudent ${first.student.arch} + ${first.tasks.length} heads: ${first.student.params} parameters; teachers ${first.teachers_params}; ratio ${first.param_ratio.toFixed(3)} (${SEEDS.length} seeds, env steps per task ${first.tasks.map((t) => t.env_steps).join(" / ")})`,
  );
  return runs;
}

const METHODS: Record<string, () => Record<string, unknown>> = {
  replay: () => ({}),
  naive: () => ({ memorySize: 0, replayRatio: 0, ewc: 0 }),
  ewc: () => ({ memorySize: 0, replayRatio: 0, ewc: Number(arg("ewc", "100")) }),
};

const REUSE_STAGES = Number(arg("reuse-stages", "0"));
const STAGES_FROM = arg("stages-from", "");

/**
 * A finished stage of an earlier run, checked to be what this run would have made: the same task,
 * the same value of every --set field given here (stageSteps only through this stage's own entry;
 * bufferSize only where either size held every row of the stage), and (when memoryBalance differs)
 * a memory that never filled, where both balances keep every row.
 */
function reusedStage(
  dir: string,
  env: string,
  sets: Record<string, unknown>,
  seed: number,
  steps: number,
): LifelongSummary {
  const file = join(dir, "summary.json");
  if (!existsSync(file))
    throw new ConfigError("--stages-from", `${dir} holds no summary.json (a finished stage)`);
  const summary = JSON.parse(readFileSync(file, "utf8")) as LifelongSummary;
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  if (summary.task !== env)
    throw new ConfigError("--stages-from", `${dir} learnt ${summary.task}, this stage is ${env}`);
  if (summary.interrupted) throw new ConfigError("--stages-from", `${dir} was interrupted`);
  for (const [key, value] of Object.entries({ ...sets, seed, steps })) {
    if (key === "memoryBalance") continue;
    // The chain's budget list may differ in later stages: this stage's own entry is checked as steps.
    if (key === "stageSteps") continue;
    // A buffer that never filled in either run draws the same rows (uniform over the rows held).
    if (key === "bufferSize" && Math.min(Number(config[key]), Number(value)) >= summary.steps) continue;
    if (JSON.stringify(config[key]) !== JSON.stringify(value))
      throw new ConfigError(
        "--stages-from",
        `${dir} has ${key}=${JSON.stringify(config[key])}, this run ${JSON.stringify(value)}`,
      );
  }
  const balance = sets.memoryBalance ?? "stream";
  if ((config.memoryBalance ?? "stream") !== balance && summary.memory.rows >= summary.memory.capacity)
    throw new ConfigError(
      "--stages-from",
      `${dir}'s memory was full (${summary.memory.rows} rows), so memoryBalance=${balance} would have changed it; run that stage again`,
    );
  return summary;
}

async function benchLifelong() {
  if (!Number.isInteger(REUSE_STAGES) || REUSE_STAGES < 0)
    throw new ConfigError("--reuse-stages", `expected an integer >= 0, got ${arg("reuse-stages", "")}`);
  if (REUSE_STAGES > 0 && !STAGES_FROM)
    throw new ConfigError("--reuse-stages", "give the earlier run's folder with --stages-from DIR");
  const tasks = args("teacher").map((t) => parseTaskTeacher(t));
  // Checked for the whole chain before stage 1 (a stage alone only knows it needs its own entry).
  const perStage = parseStepBudgets(String(SETS.stageSteps ?? ""), "stageSteps", tasks.length, "stage");
  const budgetText = perStage.length
    ? `${perStage.join(" / ")} env steps by stage`
    : `${STEPS} env steps per stage`;
  if (REUSE_STAGES >= tasks.length)
    throw new ConfigError(
      "--reuse-stages",
      `${REUSE_STAGES} leaves no stage to run of the ${tasks.length} --teacher stages`,
    );
  if (REUSE_STAGES > 0 && resolve(STAGES_FROM) === resolve(OUT))
    throw new ConfigError(
      "--stages-from",
      "is --out: the run would overwrite the later stages it is compared with",
    );
  const methods = arg("methods", "replay,naive").split(",");
  for (const m of methods)
    if (!METHODS[m]) throw new ConfigError("--methods", `${m} is not one of ${Object.keys(METHODS)}`);
  // Every reused stage is checked before any stage runs.
  const stageDir = (dir: string, m: string, seed: number, k: number) =>
    join(dir, `lifelong-${m}-s${seed}`, `stage${k + 1}`);
  const reused = new Map<string, LifelongSummary>();
  for (const m of methods)
    for (const seed of SEEDS)
      for (const [k, task] of tasks.slice(0, REUSE_STAGES).entries()) {
        const dir = stageDir(STAGES_FROM, m, seed, k);
        reused.set(
          dir,
          reusedStage(dir, task.env, { ...SETS, ...METHODS[m]!() }, seed, perStage[k] ?? STEPS),
        );
      }
  const results: Record<string, LifelongSummary[]> = {};
  for (const m of methods) {
    results[m] = [];
    for (const seed of SEEDS) {
      let prev = "";
      let last: LifelongSummary | undefined;
      const t0 = performance.now();
      for (const [k, task] of tasks.entries()) {
        if (k < REUSE_STAGES) {
          prev = stageDir(STAGES_FROM, m, seed, k);
          last = reused.get(prev)!;
          print(
            `  ${m} seed ${seed} stage ${k + 1} (${task.env}): reused from ${prev}: ${last.matrix[k]!.map(pct).join(" ")}`,
          );
          continue;
        }
        const out = stageDir(OUT, m, seed, k);
        const { summary } = await distillStage(
          { ...SETS, ...METHODS[m]!(), tasks: [task], steps: STEPS, seed, out, continueFrom: prev },
          { print: quiet, overwrite: true },
        );
        prev = out;
        last = summary;
        // Each stage's row as it lands (a long run's partial matrix survives a kill).
        print(
          `  ${m} seed ${seed} stage ${k + 1} (${task.env}, ${summary.steps} env steps): ${summary.matrix[k]!.map(pct).join(" ")}, ${summary.wall_seconds.toFixed(0)} s, load ${load()}`,
        );
      }
      print(
        `${m} seed ${seed}: final retentions ${last!.forgetting.final.map(pct).join(" ")}, ${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load()}`,
      );
      results[m].push(last!);
    }
  }
  const names = tasks.map((t) => t.env);
  for (const m of methods) {
    const rs = results[m]!;
    print(`\n${m} (${SEEDS.length} seeds, ${budgetText}): R[stage][task], mean over seeds`);
    print(`| after stage | ${names.join(" | ")} |`);
    print(`|---|${names.map(() => "---").join("|")}|`);
    names.forEach((_, k) => {
      const cells = names.map((__, j) => {
        const xs = rs.map((r) => r.matrix[k]?.[j]).filter((x): x is number => typeof x === "number");
        return xs.length ? pm(xs) : "";
      });
      print(`| ${k + 1} (${names[k]}) | ${cells.join(" | ")} |`);
    });
    const minOld = rs.map((r) => r.forgetting.minOld ?? Number.NaN);
    print(`lowest old-task retention after the last stage, per seed: ${minOld.map(pct).join(", ")}`);
  }
  return results;
}

interface ScratchResult {
  budget: number;
  final_return: number;
  steps_to_target: number | null;
  steps_to_target_sustained: number | null;
  evaluations: Array<{ step: number; mean_return: number; retention: number | null }>;
  wall_seconds: number;
}

/** PPO from scratch on the student's view, on the distilled run's evaluation grid and target rule. */
async function scratchPpo(
  s: CrossModalSummary,
  evalEvery: number,
  evalEpisodes: number,
): Promise<ScratchResult> {
  const pair = new ViewPair(s.env, {
    teacher: s.teacher_view,
    student: s.student_view,
    frameStack: s.frame_stack,
  });
  const { id, kwargs } = pair.studentEnvId();
  const file = arg("scratch-config", "");
  const base = file
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)
    : loadPreset("ppo", s.env, PPO_SCHEMA).config;
  const budget = Number(arg("scratch-steps", "0"));
  const t0 = performance.now();
  const model = new PPO({ ...base, env: id, envKwargs: kwargs, seed: s.seed, verbose: 0 });
  const ev = new EvalCallback({
    evalFreq: evalEvery,
    nEvalEpisodes: evalEpisodes,
    seed: s.seed * 1000 + 100_000,
  });
  await model.learn({ totalTimesteps: budget, callbacks: [ev] });
  const evaluations = ev.evaluations.map((e) => ({
    step: e.step,
    mean_return: e.result.meanReturn,
    retention: retention(e.result.meanReturn, s.teacher.eval.mean_return, s.random.eval.mean_return),
  }));
  return {
    budget,
    final_return: evaluations[evaluations.length - 1]?.mean_return ?? Number.NaN,
    steps_to_target: stepsToTarget(evaluations, s.target),
    steps_to_target_sustained: stepsToTarget(evaluations, s.target, { sustained: true }),
    evaluations,
    wall_seconds: (performance.now() - t0) / 1000,
  };
}

async function benchCrossModal() {
  const base = {
    ...SETS,
    env: arg("env", ""),
    teacher: arg("teacher", ""),
    teacherView: arg("teacher-view", "full"),
    studentView: arg("student-view", "full"),
    frameStack: Number(arg("frame-stack", "1")),
    steps: STEPS,
  };
  const evalEvery = Number(SETS.evalEvery ?? Math.max(1, Math.round(STEPS / 20)));
  const evalEpisodes = Number(SETS.evalEpisodes ?? 10);
  const rows = [];
  for (const seed of SEEDS) {
    const out = join(OUT, `crossmodal-${base.studentView.replace(/[:,]/g, "")}-s${seed}`);
    const saved = join(out, "summary.json");
    const summary =
      flag("reuse") && existsSync(saved)
        ? (JSON.parse(readFileSync(saved, "utf8")) as CrossModalSummary)
        : (
            await distillCrossModal(
              { ...base, evalEvery, evalEpisodes, seed, out },
              { print: quiet, overwrite: true },
            )
          ).summary;
    const scratch =
      Number(arg("scratch-steps", "0")) > 0 ? await scratchPpo(summary, evalEvery, evalEpisodes) : null;
    print(
      `seed ${seed}: student ${num(summary.student.eval?.mean_return ?? Number.NaN)} (teacher ${num(summary.teacher.eval.mean_return)}), to 90% at ${summary.steps_to_target ?? "-"}; scratch ${scratch ? `${num(scratch.final_return)} at ${scratch.budget}, to 90% at ${scratch.steps_to_target ?? "-"}` : "-"}; load ${load()}`,
    );
    rows.push({ summary, scratch });
  }
  print(
    `\n| seed | teacher (${base.teacherView}) | student (${base.studentView}${base.frameStack > 1 ? ` x${base.frameStack}` : ""}) return | retention | agreement | student steps to 90% (sustained) | RL from scratch return | scratch steps to 90% (sustained) | ratio |`,
  );
  print(`|---|---|---|---|---|---|---|---|---|`);
  const ratios: number[] = [];
  for (const { summary: s, scratch } of rows) {
    const ds = s.steps_to_target;
    const ss = scratch ? (scratch.steps_to_target ?? null) : null;
    const ratio =
      ds === null || !scratch
        ? "-"
        : ss === null
          ? `> ${(scratch.budget / ds).toFixed(1)}x`
          : `${(ss / ds).toFixed(1)}x`;
    if (ds !== null && scratch) ratios.push((ss ?? scratch.budget) / ds);
    print(
      `| ${s.seed} | ${num(s.teacher.eval.mean_return)} | ${num(s.student.eval?.mean_return ?? Number.NaN)} | ${pct(s.retention)} | ${pct(s.agreement)} | ${ds ?? "not reached"} (${s.steps_to_target_sustained ?? "-"}) | ${scratch ? num(scratch.final_return) : "-"} | ${scratch ? `${ss ?? `not in ${scratch.budget}`} (${scratch.steps_to_target_sustained ?? "-"})` : "-"} | ${ratio} |`,
    );
  }
  if (ratios.length)
    print(
      `median ratio (scratch / distilled steps to 90%; a bound where scratch never got there): ${median(ratios).toFixed(1)}x`,
    );
  return rows;
}

async function benchReevaluate() {
  const episodes = Number(arg("episodes", "100"));
  const seed = 500_000;
  await initBackend();
  const out: Record<string, unknown> = {};
  for (const dir of args("run")) {
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as MultiTaskSummary;
    if (summary.kind !== "multitask") throw new ConfigError("--run", `${dir}: not a multi-task run folder`);
    print(`\n${dir} (${episodes} episodes per policy, env seeds from ${seed})`);
    print("| game | teacher return | student return | random | retention |\n|---|---|---|---|---|");
    const rets: number[] = [];
    for (const t of summary.tasks) {
      const task = await loadTask(t.env, t.teacher.file);
      try {
        const makeEnv = taskEnvFactory(t.env);
        const b = await taskBaseline(task, makeEnv, episodes, seed);
        const student = compileSpec(loadPolicy(join(dir, t.student.file)).spec);
        const s = await evaluateReturns(student, makeEnv, episodes, seed);
        // null when the teacher is no better than random (never for the shipped MinAtar teachers).
        const r = retention(s.meanReturn, b.teacher.mean_return, b.random.mean_return) ?? Number.NaN;
        rets.push(r);
        const se = (sdev: number) => (sdev / Math.sqrt(episodes)).toFixed(2);
        print(
          `| ${t.env} | ${b.teacher.mean_return.toFixed(2)} +- ${se(b.teacher.std_return)} | ${s.meanReturn.toFixed(2)} +- ${se(s.stdReturn)} | ${b.random.mean_return.toFixed(2)} | ${pct(r)} |`,
        );
      } finally {
        task.teacher.dispose?.();
      }
    }
    print(
      `mean retention ${pct(mean(rets))}, capped ${pct(cappedMean(rets))}, lowest ${pct(Math.min(...rets))}`,
    );
    out[dir] = { episodes, retention: rets, mean: mean(rets), capped: cappedMean(rets) };
  }
  return out;
}

const BENCHES: Record<string, () => Promise<unknown>> = {
  multitask: benchMultiTask,
  reevaluate: benchReevaluate,
  lifelong: benchLifelong,
  crossmodal: benchCrossModal,
};
const bench = BENCHES[MODE];
if (!bench) {
  console.error(
    `usage: tsx bench/multitask.ts (${Object.keys(BENCHES).join("|")}) [flags]; see the header of the file`,
  );
  process.exit(2);
}
print(`bench/multitask.ts ${argv.join(" ")}\nload at start ${load()}`);
const t0 = performance.now();
const results = await checkedAsync(bench);
// Made only now, so a run refused by its checks leaves no empty folder (each run makes its own).
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, "results.json"), JSON.stringify({ argv, results }, null, 2));
print(`\n${((performance.now() - t0) / 1000).toFixed(0)} s; load at end ${load()}`);
