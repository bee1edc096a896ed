/**
 * Distillation benchmark (on demand, never in the test suite):
 *
 *   npx tsx bench/distill.ts [--seeds 1,2,3] [--envs CartPole-v1,Acrobot-v1,Pendulum-v1]
 *                            [--models DIR] [--out DIR] [--skip-compression] [--skip-losses] [--skip-methods]
 *                            [--loss-envs CartPole-v1,Acrobot-v1] [--loss-steps 10000] [--loss-seeds 1,2]
 *
 * 1. Compression: for each env, the shipped teacher (models/, a file whose name mentions the env)
 *    is distilled with the env's preset into the largest 1- or 2-layer student with at most 1/20
 *    of the teacher's parameters, over several seeds. Target: retention >= 0.99 and, for discrete
 *    actions, agreement >= 0.97 on the states the student visits.
 * 2. Losses and collection on one budget (CartPole-v1 and Acrobot-v1 by default): KL at several
 *    temperatures, MSE on logits, NLL of the teacher's greedy action, each with teacher-driven
 *    and student-driven (DAgger) collection.
 *
 * 3. Methods on the same short budget (policy, feature, residual, on-policy DistilledPPO): where
 *    a teacher-feature adapter or hints help a small student, and where they do not.
 *
 * 0. Throughput (`--only throughput`, or first in a full run): samples/s of the supervised
 *    distillation step as the replay distillers run it (teacher labels through SpecTeacher.predict,
 *    KL(softmax(t / 2) || softmax(s / 2)) * 4, the student's tape-free forward and backward,
 *    clipping, Adam lr 1e-3), batch 256 drawn from a pre-made buffer of observations (Gaussian
 *    vectors for the MLPs; MinAtar Breakout frames, 0/1 with about 8% ones, for the CNN), for the
 *    three cases of /work/shared/docs/ANCHORS.md, next to its PyTorch figures. With
 *    `--torch-script bench/py/torch_distill.py` (a PyTorch version of the same loop printing one JSON
 *    line per case, run by $PYTHON or python3), PyTorch runs in the same session, case by case, in
 *    turns.
 *    `--throughput-steps N` (default 1500, after 100 warm-up steps).
 *
 * 4. MinAtar (`--only minatar`, or `--minatar` after a full run; bench/distill-minatar.ts): the
 *    shipped CNN teachers into the smallest students that keep 95% of return and decisions, and a
 *    comparison of policy KL, KL + attention, KL + features and DistilledPPO over training.
 *
 * Prints Markdown tables and writes every run folder under --out (default runs/bench-distill).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../src/core/rng.js";
import { Box, Discrete } from "../src/core/spaces.js";
import type { DistillConfig } from "../src/distill/config.js";
import { distill } from "../src/distill/distill.js";
import { getLoss } from "../src/distill/losses/registry.js";
import type { DistillSummary } from "../src/distill/run-dir.js";
import { Student } from "../src/distill/student.js";
import { loadTeacher } from "../src/distill/teachers/load.js";
import { SpecTeacher } from "../src/distill/teachers/spec-teacher.js";
import { make } from "../src/envs/registry.js";
import { formatCI95 } from "../src/eval/stats.js";
import { ArrayAdam } from "../src/nn/optim.js";
import { cnnLayers, mlpLayers } from "../src/nn/sequential.js";
import type { LayerSpec } from "../src/nn/spec.js";
import { minatarSection } from "./distill-minatar.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const SEEDS = arg("seeds", "1,2,3").split(",").map(Number);
const ENVS = arg("envs", "CartPole-v1,Acrobot-v1,Pendulum-v1").split(",");
const MODELS = arg("models", new URL("../models/", import.meta.url).pathname);
const OUT = arg("out", "runs/bench-distill");
const LOSS_ENVS = arg("loss-envs", "CartPole-v1,Acrobot-v1").split(",");
const LOSS_STEPS = Number(arg("loss-steps", "10000"));
const LOSS_SEEDS = arg("loss-seeds", "1,2").split(",").map(Number);
const RATIO = 20;
const ONLY = arg("only", "");
const TORCH_SCRIPT = arg("torch-script", "");
const THROUGHPUT_STEPS = Number(arg("throughput-steps", "1500"));

/** The teacher file for an env: *.rldistill whose name contains the env name, PPO preferred. */
function teacherFile(env: string): string {
  const base = env.replace(/-v\d+$/, "").toLowerCase();
  const files = existsSync(MODELS) ? readdirSync(MODELS).filter((f) => f.endsWith(".rldistill")) : [];
  const hits = files.filter((f) => f.toLowerCase().replace(/[-_]/g, "").includes(base.replace(/[-_]/g, "")));
  hits.sort((a, b) => Number(/ppo/i.test(b)) - Number(/ppo/i.test(a)) || a.localeCompare(b));
  if (!hits[0]) throw new Error(`no teacher for ${env} in ${MODELS} (files: ${files.join(", ") || "none"})`);
  return join(MODELS, hits[0]);
}

/** Parameters of an MLP student that acts (weights, biases, and a log std per dimension if continuous). */
export function studentParams(obs: number, act: number, hidden: number[], continuous: boolean): number {
  let n = 0;
  let prev = obs;
  for (const h of [...hidden, act]) {
    n += prev * h + h;
    prev = h;
  }
  return n + (continuous ? act : 0);
}

/**
 * The student for a parameter budget: the largest [h, h] within it, unless a single [h] layer
 * holds more than 5% more parameters (two layers are the usual student shape; one very wide
 * layer only wins when the budget is too small for depth).
 */
export function largestStudent(obs: number, act: number, continuous: boolean, budget: number): number[] {
  let one: number[] = [1];
  let two: number[] | undefined;
  for (let h = 1; h <= 1024; h++) {
    if (studentParams(obs, act, [h], continuous) <= budget) one = [h];
    if (studentParams(obs, act, [h, h], continuous) <= budget) two = [h, h];
  }
  if (!two) return one;
  return studentParams(obs, act, one, continuous) > 1.05 * studentParams(obs, act, two, continuous)
    ? one
    : two;
}

const fmt = (v: number | null, d = 3) => (v === null ? "-" : v.toFixed(d));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function run(cfg: Partial<DistillConfig>): Promise<DistillSummary> {
  const t0 = performance.now();
  const { summary } = await distill(cfg);
  console.error(
    `  ${cfg.env} ${cfg.out}: retention ${fmt(summary.retention)}${formatCI95(summary.retention_ci95)} agreement ${fmt(summary.agreement)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  return summary;
}

async function compression(): Promise<void> {
  const rows: string[] = [];
  const verdicts: string[] = [];
  for (const env of ENVS) {
    const file = teacherFile(env);
    const probe = make(env);
    const teacher = await loadTeacher(file, { env: probe });
    const continuous = probe.actionSpace instanceof Box;
    const act = probe.actionSpace instanceof Discrete ? probe.actionSpace.n : (probe.actionSpace as Box).size;
    const student = largestStudent(teacher.obsSize, act, continuous, Math.floor(teacher.params / RATIO));
    probe.close();
    const results: DistillSummary[] = [];
    for (const seed of SEEDS) {
      const s = await run({
        teachers: [file],
        env,
        student,
        seed,
        out: join(OUT, "compression", `${env}-s${seed}`),
      });
      results.push(s);
      rows.push(
        `| ${env} | ${seed} | ${s.teacher.params} | ${student.join("x")} (${s.student.params}, 1/${(s.teacher.params / s.student.params).toFixed(1)}) | ` +
          `${s.teacher.eval.mean_return.toFixed(1)} | ${s.student.eval!.mean_return.toFixed(1)} | ${s.random.eval.mean_return.toFixed(1)} | ` +
          `${fmt(s.retention)} | ${s.agreement === null ? "-" : fmt(s.agreement)} | ${s.js_divergence!.toExponential(2)} | ${s.wall_seconds.toFixed(0)} |`,
      );
    }
    const ret = mean(results.map((r) => r.retention ?? 0));
    const minRet = Math.min(...results.map((r) => r.retention ?? 0));
    const agreements = results.map((r) => r.agreement).filter((a): a is number => a !== null);
    const ok = minRet >= 0.99 && (agreements.length === 0 || Math.min(...agreements) >= 0.97);
    verdicts.push(
      `- ${env}: mean retention ${fmt(ret)} (min ${fmt(minRet)})` +
        (agreements.length
          ? `, mean agreement ${fmt(mean(agreements))} (min ${fmt(Math.min(...agreements))})`
          : "") +
        ` -> ${ok ? "PASS" : "FAIL"} (retention >= 0.99${agreements.length ? ", agreement >= 0.97" : ""})`,
    );
  }
  console.log("\n## Compression: students with at most 1/20 of the teacher's parameters\n");
  console.log(
    "| env | seed | teacher params | student (params, ratio) | teacher return | student return | random | retention | agreement | JS | s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  console.log("");
  for (const v of verdicts) console.log(v);
}

const LOSSES: Array<{ label: string; loss: string; tau: string }> = [
  { label: "KL tau=0.1", loss: "kl", tau: "0.1" },
  { label: "KL tau=1", loss: "kl", tau: "1" },
  { label: "KL tau=5", loss: "kl", tau: "5" },
  { label: "MSE (logits)", loss: "mse", tau: "1" },
  { label: "NLL (greedy action)", loss: "nll", tau: "1" },
];

async function losses(): Promise<void> {
  for (const env of LOSS_ENVS) {
    const file = teacherFile(env);
    const probe = make(env);
    const teacher = await loadTeacher(file, { env: probe });
    const act = (probe.actionSpace as Discrete).n;
    probe.close();
    const student = largestStudent(teacher.obsSize, act, false, Math.floor(teacher.params / RATIO));
    console.log(
      `\n## Losses x collection on ${env}: ${LOSS_STEPS} env steps, student ${student.join("x")}, seeds ${LOSS_SEEDS.join(",")} (mean)\n`,
    );
    console.log(
      "| loss | teacher-driven retention | teacher-driven agreement | student-driven retention | student-driven agreement |",
    );
    console.log("|---|---|---|---|---|");
    for (const l of LOSSES) {
      const cells: string[] = [];
      for (const collector of ["teacher", "student"] as const) {
        const res: DistillSummary[] = [];
        for (const seed of LOSS_SEEDS) {
          res.push(
            await run({
              teachers: [file],
              env,
              student,
              seed,
              steps: LOSS_STEPS,
              loss: l.loss,
              tau: l.tau,
              collector,
              out: join(OUT, "losses", `${env}-${l.loss}-${l.tau}-${collector}-s${seed}`),
            }),
          );
        }
        cells.push(fmt(mean(res.map((r) => r.retention ?? 0))), fmt(mean(res.map((r) => r.agreement ?? 0))));
      }
      console.log(`| ${l.label} | ${cells.join(" | ")} |`);
    }
  }
}

const METHODS: Array<{ label: string; cfg: Partial<DistillConfig> }> = [
  { label: "policy (KL)", cfg: { method: "policy" } },
  { label: "feature (hints 30%, then KL)", cfg: { method: "feature" } },
  { label: "residual (adapter off by 60%)", cfg: { method: "residual" } },
  { label: "ppo, alpha 1 (on-policy KL)", cfg: { method: "ppo", alpha: "1" } },
];

async function methods(): Promise<void> {
  for (const env of LOSS_ENVS) {
    const file = teacherFile(env);
    const probe = make(env);
    const teacher = await loadTeacher(file, { env: probe });
    const act = (probe.actionSpace as Discrete).n;
    probe.close();
    const student = largestStudent(teacher.obsSize, act, false, Math.floor(teacher.params / RATIO));
    console.log(
      `\n## Methods on ${env}: ${LOSS_STEPS} env steps, student ${student.join("x")}, seeds ${LOSS_SEEDS.join(",")} (mean)\n`,
    );
    console.log("| method | retention | agreement | JS | retention at 20% | agreement at 20% |");
    console.log("|---|---|---|---|---|---|");
    for (const m of METHODS) {
      const res: DistillSummary[] = [];
      for (const seed of LOSS_SEEDS) {
        res.push(
          await run({
            teachers: [file],
            env,
            student,
            seed,
            steps: LOSS_STEPS,
            ...m.cfg,
            out: join(OUT, "methods", `${env}-${m.cfg.method}-s${seed}`),
          }),
        );
      }
      const first = res.map((r) => r.checkpoints[0]!);
      const span = res.map((r) => r.teacher.eval.mean_return - r.random.eval.mean_return);
      const early = first.map((c, i) => (c.mean_return - res[i]!.random.eval.mean_return) / span[i]!);
      console.log(
        `| ${m.label} | ${fmt(mean(res.map((r) => r.retention ?? 0)))} | ${fmt(mean(res.map((r) => r.agreement ?? 0)))} | ` +
          `${mean(res.map((r) => r.js_divergence!)).toExponential(2)} | ${fmt(mean(early))} | ${fmt(mean(first.map((c) => c.agreement ?? 0)))} |`,
      );
    }
  }
}

/** The throughput cases of ANCHORS.md, with its PyTorch 1.13 figures (1 thread, 2 vCPU). */
const THROUGHPUT_CASES = [
  {
    id: "mlp4",
    label: "MLP 4-256-256-2 (tanh) -> 4-32-32-2",
    obsShape: [4],
    actions: 2,
    teacher: (rng: Rng) => mlpLayers({ inSize: 4, hidden: [256, 256], outSize: 2 }, rng),
    student: { hidden: [32, 32] },
    torch: { samples: 208_000, ms: 1.23 },
  },
  {
    id: "mlp8",
    label: "MLP 8-256-256-4 -> 8-64-64-4",
    obsShape: [8],
    actions: 4,
    teacher: (rng: Rng) => mlpLayers({ inSize: 8, hidden: [256, 256], outSize: 4 }, rng),
    student: { hidden: [64, 64] },
    torch: { samples: 195_000, ms: 1.31 },
  },
  {
    id: "cnn",
    label: "CNN 10x10x4 (conv16 3x3, 128, relu) -> MLP 400-64-6, MinAtar Breakout frames",
    obsShape: [10, 10, 4],
    actions: 6,
    teacher: (rng: Rng) =>
      cnnLayers(
        { inShape: [10, 10, 4], convs: [{ channels: 16, kernelSize: 3 }], hidden: [128], outSize: 6 },
        rng,
      ),
    student: { hidden: [64] },
    torch: { samples: 89_000, ms: 2.89 },
  },
] as const;

/** Samples/s of the distillation step (see the file comment); also the teacher's share of the time. */
async function distillStepRate(c: (typeof THROUGHPUT_CASES)[number], steps: number) {
  const rng = new Rng(1);
  const obsSize = c.obsShape.reduce((a, b) => a * b, 1);
  const layers: LayerSpec[] = c.teacher(rng);
  const spaces = {
    observationSpace: new Box(-10, 10, { shape: [...c.obsShape] }),
    actionSpace: new Discrete(c.actions),
  };
  const teacher = new SpecTeacher(
    { obsShape: [...c.obsShape], output: "logits", actionSize: c.actions, layers },
    { name: c.id, ...spaces },
  );
  const student = new Student({
    obsSize,
    actionSpace: spaces.actionSpace,
    hidden: c.student.hidden,
    output: "logits",
    rng,
  });
  const opt = new ArrayAdam([student.paramGroup()], { lr: 1e-3 });
  const kl = getLoss("kl").arrays!;
  // A pre-made buffer of observations: Gaussian vectors, or real MinAtar Breakout frames.
  const N = 20_000;
  const pool = c.obsShape.length === 3 ? minatarPool(N) : rng.fillNormal(new Float32Array(N * obsSize));
  const B = 256;
  const obs = new Float32Array(B * obsSize);
  let teacherMs = 0;
  const step = async () => {
    for (let b = 0; b < B; b++) {
      const k = rng.integer(N);
      obs.set(pool.subarray(k * obsSize, (k + 1) * obsSize), b * obsSize);
    }
    const t0 = performance.now();
    const labels = await teacher.predict(obs, B);
    teacherMs += performance.now() - t0;
    const f = student.forward(obs, B);
    const res = kl(
      { batch: B, studentLogits: f.out, teacherLogits: labels.outputs },
      { tau: 2, scaleByTauSquared: true },
    );
    student.backward({ out: res.grads.studentLogits! });
    opt.clipGradNorm(1);
    opt.apply();
    student.paramsChanged();
  };
  for (let i = 0; i < 100; i++) await step();
  teacherMs = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) await step();
  const cpu = process.cpuUsage(c0);
  const ms = (performance.now() - t0) / steps;
  await teacher.dispose();
  return {
    samples: B / (ms / 1000),
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000 / steps,
    teacherMs: teacherMs / steps,
  };
}

/**
 * N observations of MinAtar Breakout-v1 ([10, 10, 4], 0/1, about 8% ones) from a seeded random
 * policy with resets: the pixel workload the CNN case stands for. Cached in a file that the
 * PyTorch script reads too, so both runs see the same frames.
 */
function minatarPool(n: number): Float32Array {
  const file = join(tmpdir(), `rldistill-breakout-pool-${n}.f32`);
  if (existsSync(file)) return new Float32Array(readFileSync(file).buffer.slice(0));
  const env = make("MinAtar/Breakout-v1");
  const rng = new Rng(7);
  const pool = new Float32Array(n * 400);
  let obs = env.reset({ seed: 7 }).obs as ArrayLike<number>;
  for (let i = 0; i < n; i++) {
    pool.set(obs, i * 400);
    const res = env.step(rng.integer((env.actionSpace as Discrete).n));
    obs = (res.terminated || res.truncated ? env.reset().obs : res.obs) as ArrayLike<number>;
  }
  env.close();
  writeFileSync(file, pool);
  return pool;
}

/** One case of the PyTorch loop (`--torch-script`), run now, or null without a script. */
function torchRate(id: string, steps: number): { samples: number; ms: number; cpuMs: number } | null {
  if (!TORCH_SCRIPT) return null;
  const pool = id === "cnn" ? ["--pool", join(tmpdir(), "rldistill-breakout-pool-20000.f32")] : [];
  const out = execFileSync(
    process.env.PYTHON ?? "python3",
    [TORCH_SCRIPT, "--case", id, "--steps", String(steps), ...pool],
    { encoding: "utf8" },
  );
  const row = JSON.parse(out.trim().split("\n").pop()!) as {
    samples_per_s: number;
    ms_per_batch: number;
    cpu_ms_per_batch: number;
  };
  return { samples: row.samples_per_s, ms: row.ms_per_batch, cpuMs: row.cpu_ms_per_batch };
}

async function throughput(): Promise<void> {
  const fmtK = (x: number) => `${(x / 1000).toFixed(0)}k`;
  const load = loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");
  console.log(
    `\n## Distillation throughput (batch 256, KL at tau 2 x 4, Adam; teacher forward included), load average ${load}\n`,
  );
  console.log(
    "Wall-clock rates; CPU ms per batch (this process's CPU time, steadier on a loaded machine) in brackets.\n",
  );
  console.log(
    "| teacher -> student | rldistill samples/s | ms/batch [CPU] (teacher) | PyTorch, ANCHORS.md | ratio | PyTorch, this session [CPU] | ratio (wall) | ratio (CPU) |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const c of THROUGHPUT_CASES) {
    const ours = await distillStepRate(c, THROUGHPUT_STEPS);
    const torch = torchRate(c.id, THROUGHPUT_STEPS);
    const torchCells = torch
      ? [
          `${fmtK(torch.samples)} (${torch.ms.toFixed(2)} ms) [${torch.cpuMs.toFixed(2)}]`,
          `${(ours.samples / torch.samples).toFixed(2)}x`,
          `${(torch.cpuMs / ours.cpuMs).toFixed(2)}x`,
        ]
      : ["-", "-", "-"];
    const cells = [
      c.label,
      fmtK(ours.samples),
      `${ours.ms.toFixed(2)} [${ours.cpuMs.toFixed(2)}] (${ours.teacherMs.toFixed(2)})`,
      `${fmtK(c.torch.samples)} (${c.torch.ms} ms)`,
      `${(ours.samples / c.torch.samples).toFixed(2)}x`,
      ...torchCells,
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
}

if (ONLY) {
  const minatar = () => minatarSection({ models: MODELS, out: OUT, arg, flag });
  const sections: Record<string, () => Promise<void>> = { throughput, compression, losses, methods, minatar };
  const run = sections[ONLY];
  if (!run) throw new Error(`--only: allowed ${Object.keys(sections).join(", ")}; got ${ONLY}`);
  await run();
  process.exit(0);
}
await throughput();
if (!flag("skip-compression")) await compression();
if (!flag("skip-losses")) await losses();
if (!flag("skip-methods")) await methods();
if (flag("minatar")) await minatarSection({ models: MODELS, out: OUT, arg, flag });
