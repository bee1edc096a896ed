/**
 * The deployment targets of the "Deployment" issue, on real students distilled from the shipped
 * CartPole-v1 and Acrobot-v1 PPO teachers (256-256):
 *
 *   1. int8 students: a float32 student against its post-training int8 quantization (PTQ) and
 *      against a quantization-aware (QAT) student of the same seed: greedy-action agreement with
 *      the float32 student on the states it visits (src/eval/similarity.ts), mean return over 100
 *      episodes (src/eval/evaluate.ts), weight bytes. Target: >= 99% agreement, return within 1%,
 *      weights 4x smaller.
 *   2. Speed and size: the student in the standalone runtime against the teacher exported to ONNX
 *      in onnxruntime-node (1 thread): p50 time per action at batch 1, and the whole deployment
 *      artifact (rldistill-policy.mjs + policy.json + policy.bin) against the teacher's ONNX bytes.
 *      Targets: >= 10x faster, <= 5% of the bytes.
 *
 *   npx tsx bench/deploy.ts                 distils what is missing, then both sections
 *   SECTION=speed npx tsx bench/deploy.ts   only section 2 (distils seed 1 if missing)
 *   STEPS=20000 SEEDS=1,2,3 REPEATS=7 EPISODES=100 FRESH=1 (re-distil even when bench/out/deploy has the run)
 *
 * Students: `distill()` with presets/distill.json (mixed collection, KL, tau 1), student 32-32 tanh,
 * STEPS environment steps (default 20,000; the preset's 50,000 is not needed at this size), run
 * folders in bench/out/deploy/<env>-s<seed>-<float|qat>. A full run takes about 5 minutes on 2 cores.
 *
 * Measured (Node 20.20.2, 2 shared vCPU, STEPS=20000, seeds 1-3): int8 agreement with the float32
 * student 99.60-99.98% (PTQ) and 99.62-99.98% (QAT); returns equal on CartPole (500), within
 * -1.2%..+0.2% on Acrobot (one different action changes the rest of an episode, and the standard
 * error of a 100-episode mean there is about 2 steps, 2.3%: 1% is below what it resolves);
 * weight tensors 4.0x smaller (parameters with float32 biases and scales 2.9x). Student runtime 0.58-0.63 us per action vs 15-18 us for the teacher in onnxruntime
 * (26-28x). Bundles carry only the runtime code their policy needs (a float32 MLP: a 7,111-byte
 * module): float32 12.5-13.1 KB = 4.7-4.9% of the teacher's ONNX, int8 9.6-9.8 KB = 3.6-3.7%.
 *
 * Timing: each sample is the time of BLOCK consecutive single-observation calls divided by BLOCK
 * (a lone call of under a microsecond is below what the timer resolves well); p50 over the
 * samples of a repeat; repeats interleave teacher and students, and ratios are taken within a
 * repeat, then the median over repeats is printed (the machine is noisy; ratios are fairer).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Policy } from "../src/core/policy.js";
import { exportOnnx } from "../src/deploy/onnx-export.js";
import { loadOnnxRuntime } from "../src/deploy/onnx-runtime.js";
import { dequantizeSpec, quantizeSpec, specSizes } from "../src/deploy/quantize.js";
import {
  packRuntime,
  RUNTIME_MODULE,
  type RuntimeBundle,
  runtimeModule,
} from "../src/deploy/runtime-export.js";
import type { RuntimePolicy } from "../src/deploy/runtime-source.js";
import { distill, STUDENT_FILE } from "../src/distill/distill.js";
import { evaluatePolicy } from "../src/eval/evaluate.js";
import { collectStates, policySimilarity, type StateBatch } from "../src/eval/similarity.js";
import { loadPolicy } from "../src/nn/checkpoint.js";
import { compileSpec } from "../src/nn/fast.js";
import type { PolicySpec } from "../src/nn/spec.js";

const SECTION = process.env.SECTION ?? "all";
const STEPS = Number(process.env.STEPS ?? 20_000);
const SEEDS = (process.env.SEEDS ?? "1,2,3").split(",").map(Number);
const REPEATS = Number(process.env.REPEATS ?? 7);
const FRESH = process.env.FRESH === "1";
// 100 episodes cannot resolve a 1% return difference on Acrobot (standard error about 2.3%):
// EPISODES=1000 can (about 0.6%).
const EPISODES = Number(process.env.EPISODES ?? 100);
const STATES = 5000;
const BLOCK = 16;
const SAMPLES = 300;
const OUT = "bench/out/deploy";

const TASKS = [
  { env: "CartPole-v1", teacher: "models/cartpole-ppo.rldistill" },
  { env: "Acrobot-v1", teacher: "models/acrobot-ppo.rldistill" },
] as const;

type Variant = "float" | "qat";

/** The student of (env, seed, variant): distilled now unless bench/out/deploy already has it. */
async function student(task: (typeof TASKS)[number], seed: number, variant: Variant): Promise<PolicySpec> {
  const out = join(OUT, `${task.env}-s${seed}-${variant}`);
  const file = join(out, STUDENT_FILE);
  const configFile = join(out, "config.json");
  const quantizeAware = variant === "qat";
  if (!FRESH && existsSync(join(out, "summary.json")) && existsSync(configFile)) {
    const cfg = JSON.parse(readFileSync(configFile, "utf8"));
    if (cfg.steps === STEPS && cfg.quantizeAware === quantizeAware) return loadPolicy(file).spec;
  }
  const t0 = performance.now();
  const { summary, studentSpec } = await distill({
    teachers: [task.teacher],
    env: task.env,
    student: [32, 32],
    seed,
    steps: STEPS,
    quantizeAware,
    out,
  });
  console.error(
    `  distilled ${task.env} seed ${seed} ${variant}: return ${summary.student.eval!.mean_return.toFixed(1)}, ` +
      `agreement ${summary.agreement?.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
  return studentSpec;
}

function runtimePolicy(rt: { fromBytes(json: unknown, bin: Uint8Array): RuntimePolicy }, b: RuntimeBundle) {
  return rt.fromBytes(b.json, b.bin);
}

/** A Policy over the runtime (what the evaluation loop calls). */
function asPolicy(p: RuntimePolicy): Policy {
  return { act: (obs) => p.act(obs as Float32Array) as number };
}

function bundleBytes(b: RuntimeBundle): number {
  return Buffer.byteLength(b.module) + Buffer.byteLength(b.json) + b.bin.length;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const ret = (x: number) => x.toFixed(1);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function table(header: string[], rows: string[][]): void {
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

/** Actions of the runtime that differ from compileSpec's on the states (must be 0). */
function mismatches(p: RuntimePolicy, spec: PolicySpec, states: StateBatch): number {
  const c = compileSpec(spec);
  let bad = 0;
  for (let s = 0; s < states.count; s++) {
    const o = states.obs.subarray(s * states.obsSize, (s + 1) * states.obsSize);
    if (p.act(o) !== c.act(o, { deterministic: true })) bad++;
  }
  return bad;
}

async function realStudents(): Promise<void> {
  const rt = await runtimeModule();
  const rows: string[][] = [];
  for (const task of TASKS) {
    for (const seed of SEEDS) {
      const float = await student(task, seed, "float");
      const qat = await student(task, seed, "qat");
      const teacher = compileSpec(loadPolicy(task.teacher).spec);
      const ptqBundle = packRuntime(float, { weights: "int8" });
      const qatBundle = packRuntime(qat, { weights: "int8" });
      const ptq = runtimePolicy(rt, ptqBundle);
      const qatRt = runtimePolicy(rt, qatBundle);
      const floatPolicy = compileSpec(float);
      // The float32 student's own states (greedy), as the issue asks.
      const states = collectStates(floatPolicy, task.env, { steps: STATES, seed: 7_000 + seed });
      const ptqSim = compileSpec(dequantizeSpec(quantizeSpec(float)));
      const qatSim = compileSpec(dequantizeSpec(quantizeSpec(qat)));
      const bad =
        mismatches(ptq, dequantizeSpec(quantizeSpec(float)), states) + mismatches(qatRt, qat, states);
      if (bad)
        throw new Error(`${task.env} seed ${seed}: the runtime disagrees with compileSpec on ${bad} states`);
      const agreeWith = (ref: typeof floatPolicy, p: typeof floatPolicy) =>
        policySimilarity(ref, p, states).agreement!;
      const evalOpts = { episodes: EPISODES, seed: 9_000_000 + seed * 1000 };
      const rF = evaluatePolicy(floatPolicy, task.env, evalOpts).meanReturn;
      const rP = evaluatePolicy(asPolicy(ptq), task.env, evalOpts).meanReturn;
      const rQ = evaluatePolicy(asPolicy(qatRt), task.env, evalOpts).meanReturn;
      const rel = (r: number) =>
        `${ret(r)} (${r === rF ? "0" : (((r - rF) / Math.abs(rF)) * 100).toFixed(2)}%)`;
      const f32Bytes = specSizes(float).totalBytes;
      const i8Bytes = specSizes(quantizeSpec(float)).totalBytes;
      rows.push([
        task.env,
        String(seed),
        ret(rF),
        rel(rP),
        rel(rQ),
        pct(agreeWith(floatPolicy, ptqSim)),
        pct(agreeWith(floatPolicy, qatSim)),
        `${pct(agreeWith(teacher, floatPolicy))} / ${pct(agreeWith(teacher, ptqSim))} / ${pct(agreeWith(teacher, qatSim))}`,
        `${f32Bytes} / ${i8Bytes} (${(f32Bytes / i8Bytes).toFixed(2)}x; weights alone ${(specSizes(float).weightBytes / specSizes(quantizeSpec(float)).weightBytes).toFixed(1)}x)`,
      ]);
    }
  }
  console.log(
    `\n## int8 students: 32-32 tanh students, ${STEPS} distillation steps, return over ${EPISODES} episodes\n`,
  );
  table(
    [
      "env",
      "seed",
      "float32 return",
      "PTQ int8 return (vs f32)",
      "QAT int8 return (vs f32)",
      "PTQ agreement with f32",
      "QAT agreement with f32",
      "agreement with teacher (f32 / PTQ / QAT)",
      "parameter bytes f32 / int8",
    ],
    rows,
  );
  console.log(
    `\nAgreement on ${STATES} states visited by the greedy float32 student; the int8 policies run in the standalone runtime (their actions equal compileSpec of the dequantized spec on every one of those states). Parameter bytes include float32 biases and per-channel scales.`,
  );
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** p50 (microseconds per call) of SAMPLES blocks of BLOCK calls. */
async function p50(call: (i: number) => unknown, isAsync: boolean): Promise<number> {
  const times: number[] = [];
  let i = 0;
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = performance.now();
    if (isAsync) for (let k = 0; k < BLOCK; k++) await call(i++);
    else for (let k = 0; k < BLOCK; k++) call(i++);
    times.push(((performance.now() - t0) * 1000) / BLOCK);
  }
  return median(times);
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

async function speed(): Promise<void> {
  const rt = await runtimeModule();
  const ort = await loadOnnxRuntime();
  const rows: string[][] = [];
  const moduleBytes = new Set<number>();
  for (const task of TASKS) {
    const seed = SEEDS[0]!;
    const float = await student(task, seed, "float");
    const qat = await student(task, seed, "qat");
    const teacherSpec = loadPolicy(task.teacher).spec;
    const onnx = exportOnnx(teacherSpec);
    const session = await ort.InferenceSession.create(onnx, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
    });
    const inputName = session.inputNames[0]!;
    const outputName = session.outputNames[0]!;
    const f32 = packRuntime(float);
    const i8 = packRuntime(float, { weights: "int8" });
    const q8 = packRuntime(qat, { weights: "int8" });
    const teacherRt = packRuntime(teacherSpec);
    moduleBytes.add(Buffer.byteLength(f32.module)).add(Buffer.byteLength(i8.module));
    const policies = {
      f32: runtimePolicy(rt, f32),
      i8: runtimePolicy(rt, i8),
      q8: runtimePolicy(rt, q8),
      teacherRt: runtimePolicy(rt, teacherRt),
    };
    // The student's own states, as views made up front (a subarray costs about as much as an action).
    const states = collectStates(compileSpec(float), task.env, { steps: 1024, seed: 11 });
    const n = states.obsSize;
    const views = Array.from({ length: 1024 }, (_, i) => states.obs.subarray(i * n, (i + 1) * n));
    const tensors = views.map((v) => new ort.Tensor("float32", v, [1, n]));
    const one = (i: number) => views[i & 1023]!;
    const teacherOrt = async (i: number) =>
      argmax((await session.run({ [inputName]: tensors[i & 1023]! }))[outputName]!.data as Float32Array);
    // Warm-up: JIT, onnxruntime's first-run allocations.
    for (let i = 0; i < 3000; i++) {
      await teacherOrt(i);
      for (const p of Object.values(policies)) p.act(one(i));
    }
    const t: Record<string, number[]> = { ort: [], f32: [], i8: [], q8: [], teacherRt: [] };
    const ratios: Record<string, number[]> = { f32: [], i8: [], q8: [] };
    for (let r = 0; r < REPEATS; r++) {
      t.ort!.push(await p50(teacherOrt, true));
      for (const [name, p] of Object.entries(policies)) t[name]!.push(await p50((i) => p.act(one(i)), false));
      for (const name of ["f32", "i8", "q8"]) ratios[name]!.push(t.ort!.at(-1)! / t[name]!.at(-1)!);
    }
    await session.release();
    const us = (name: string) => `${median(t[name]!).toFixed(2)} us`;
    const x = (name: string) => `${median(ratios[name]!).toFixed(1)}x`;
    const share = (b: RuntimeBundle) => `${kb(bundleBytes(b))} (${pct(bundleBytes(b) / onnx.length)})`;
    rows.push([
      task.env,
      kb(onnx.length),
      share(f32),
      share(i8),
      us("ort"),
      `${us("f32")} (${x("f32")})`,
      `${us("i8")} (${x("i8")})`,
      `${us("q8")} (${x("q8")})`,
      us("teacherRt"),
    ]);
  }
  console.log(`\n## Speed and size: seed-${SEEDS[0]} students against the shipped 256-256 teacher\n`);
  table(
    [
      "env",
      "teacher ONNX",
      "student bundle f32 (of teacher ONNX)",
      "student bundle int8",
      "teacher p50, onnxruntime",
      "student f32 p50 (speed-up)",
      "PTQ int8 p50 (speed-up)",
      "QAT int8 p50 (speed-up)",
      "teacher p50, standalone runtime",
    ],
    rows,
  );
  console.log(
    `\nBundle = rldistill-policy.mjs (only the code the policy needs: ${[...moduleBytes].join(" / ")} bytes ` +
      `here, the full runtime ${Buffer.byteLength(RUNTIME_MODULE)}) + policy.json + policy.bin. ` +
      `p50 per action at batch 1 (argmax included; onnxruntime-node ${ort.env.versions.common}, 1 thread, ` +
      `session.run on a prebuilt tensor), blocks of ${BLOCK} calls, ${SAMPLES} blocks per repeat, ` +
      `median of ${REPEATS} interleaved repeats; speed-up = median over repeats of teacher / student. Node ${process.version}.`,
  );
}

async function main(): Promise<void> {
  if (SECTION === "all" || SECTION === "int8") await realStudents();
  if (SECTION === "all" || SECTION === "speed") await speed();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
