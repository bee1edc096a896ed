/**
 * Deployment of pixel students (MinAtar): for each game with a shipped teacher
 * (models/minatar-<game>-*.rldistill) and a distilled student, both exported to ONNX with uint8
 * input (the env's frames as they come) and run in onnxruntime-node (1 thread, batch 1):
 *
 *   - bytes of the teacher's and the student's .onnx (float32 and int8 weights);
 *   - p50 time per greedy action (session.run on a prebuilt uint8 tensor, argmax included), teacher
 *     and students interleaved over repeats; speed-up = median over repeats of teacher / student;
 *   - the int8 student (post-training, per output channel): agreement with the float32 student and
 *     with the teacher on the states the int8 student visits, and its return over EPISODES episodes
 *     (sticky actions on), next to the float32 student's.
 *
 *   npx tsx bench/deploy-minatar.ts                      students from bench/out/deploy-minatar (distilled when missing)
 *   GAMES=Breakout,Freeway STUDENT=conv8x3,fc32 STEPS=100000 EPISODES=100 REPEATS=7 npx tsx bench/deploy-minatar.ts
 *   STUDENTS=runs/bench-distill/minatar npx tsx ...     reuse students of bench/distill.ts --only minatar (<game>-<arch>-s1)
 *   STUDENTS=... RUN_SUFFIX=-ce1 npx tsx ...             the search's folders made with --argmax-coef 1 (<game>-<arch>-ce1-s1)
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { exportOnnx } from "../src/deploy/onnx-export.js";
import { loadOnnxRuntime } from "../src/deploy/onnx-runtime.js";
import { dequantizeSpec, quantizeSpec } from "../src/deploy/quantize.js";
import { distill, STUDENT_FILE } from "../src/distill/distill.js";
import { evaluatePolicy } from "../src/eval/evaluate.js";
import { collectStates, policySimilarity } from "../src/eval/similarity.js";
import { loadPolicy } from "../src/nn/checkpoint.js";
import { compileSpec } from "../src/nn/fast.js";
import { countParams } from "../src/nn/kernels/plan.js";
import type { PolicySpec } from "../src/nn/spec.js";

const GAMES = (process.env.GAMES ?? "Breakout,SpaceInvaders,Freeway,Asterix,Seaquest").split(",");
const STUDENT = process.env.STUDENT ?? "conv8x3,fc32";
const STEPS = Number(process.env.STEPS ?? 100_000);
const EPISODES = Number(process.env.EPISODES ?? 100);
const REPEATS = Number(process.env.REPEATS ?? 7);
const STUDENTS = process.env.STUDENTS ?? "";
const RUN_SUFFIX = process.env.RUN_SUFFIX ?? "";
const OUT = "bench/out/deploy-minatar";
const MODELS = "models";
const BLOCK = 16;
const SAMPLES = 200;

function teacherOf(game: string): string | undefined {
  const hit = readdirSync(MODELS)
    .filter((f) => f.toLowerCase().startsWith(`minatar-${game.toLowerCase()}-`) && f.endsWith(".rldistill"))
    .sort()[0];
  return hit ? join(MODELS, hit) : undefined;
}

/** The student of a game: reused from STUDENTS or bench/out, else distilled now (seed 1). */
async function studentOf(game: string, teacher: string): Promise<PolicySpec> {
  const reuse = STUDENTS && join(STUDENTS, `${game}-${STUDENT}${RUN_SUFFIX}-s1`, STUDENT_FILE);
  if (reuse && existsSync(reuse)) return loadPolicy(reuse).spec;
  const out = join(OUT, `${game}-${STUDENT}-s1`);
  if (existsSync(join(out, "summary.json"))) return loadPolicy(join(out, STUDENT_FILE)).spec;
  const { studentSpec } = await distill({
    teachers: [teacher],
    env: `MinAtar/${game}-v1`,
    student: STUDENT,
    studentActivation: "relu",
    steps: STEPS,
    seed: 1,
    video: false,
    out,
  });
  return studentSpec;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

async function main(): Promise<void> {
  const ort = await loadOnnxRuntime();
  const rows: string[][] = [];
  for (const game of GAMES) {
    const teacherFile = teacherOf(game);
    if (!teacherFile) {
      console.error(`  ${game}: no shipped teacher, skipped`);
      continue;
    }
    const env = `MinAtar/${game}-v1`;
    const teacher = loadPolicy(teacherFile).spec;
    const student = await studentOf(game, teacherFile);
    const int8 = quantizeSpec(student);
    const int8Float = dequantizeSpec(int8);
    const onnx = {
      teacher: exportOnnx({ ...teacher, valueLayers: undefined }, { inputType: "uint8" }),
      student: exportOnnx(student, { inputType: "uint8" }),
      int8: exportOnnx(int8, { inputType: "uint8" }),
    };
    const sessions = Object.fromEntries(
      await Promise.all(
        Object.entries(onnx).map(async ([k, bytes]) => [
          k,
          await ort.InferenceSession.create(bytes, {
            intraOpNumThreads: 1,
            interOpNumThreads: 1,
            graphOptimizationLevel: "all",
          }),
        ]),
      ),
    ) as Record<keyof typeof onnx, Awaited<ReturnType<typeof ort.InferenceSession.create>>>;
    // States the int8 student visits (uint8 frames), as prebuilt tensors.
    const states = collectStates(compileSpec(int8Float), env, { steps: 1024, seed: 11 });
    const n = states.obsSize;
    const shape = [1, ...student.obsShape];
    const tensors = Array.from(
      { length: 1024 },
      (_, i) => new ort.Tensor("uint8", Uint8Array.from(states.obs.subarray(i * n, (i + 1) * n)), shape),
    );
    const act = async (k: keyof typeof onnx, i: number) => {
      const s = sessions[k];
      return argmax(
        (await s.run({ [s.inputNames[0]!]: tensors[i & 1023]! }))[s.outputNames[0]!]!.data as Float32Array,
      );
    };
    for (let i = 0; i < 2000; i++)
      for (const k of Object.keys(onnx) as Array<keyof typeof onnx>) await act(k, i);
    const t: Record<string, number[]> = { teacher: [], student: [], int8: [] };
    const speedup: Record<string, number[]> = { student: [], int8: [] };
    for (let r = 0; r < REPEATS; r++) {
      for (const k of Object.keys(onnx) as Array<keyof typeof onnx>) {
        const times: number[] = [];
        let i = 0;
        for (let s = 0; s < SAMPLES; s++) {
          const t0 = performance.now();
          for (let b = 0; b < BLOCK; b++) await act(k, i++);
          times.push(((performance.now() - t0) * 1000) / BLOCK);
        }
        t[k]!.push(median(times));
      }
      for (const k of ["student", "int8"]) speedup[k]!.push(t.teacher!.at(-1)! / t[k]!.at(-1)!);
    }
    for (const s of Object.values(sessions)) await s.release();
    // The int8 student against the float student and the teacher, on the int8 student's states.
    const i8 = compileSpec(int8Float);
    const f32 = compileSpec(student);
    const vsFloat = policySimilarity(i8, f32, states).agreement;
    const vsTeacher = policySimilarity(
      i8,
      compileSpec({ ...teacher, valueLayers: undefined }),
      states,
    ).agreement;
    const retF = evaluatePolicy(f32, env, { episodes: EPISODES, seed: 777 });
    const retI = evaluatePolicy(i8, env, { episodes: EPISODES, seed: 777 });
    const us = (k: string) => `${median(t[k]!).toFixed(1)} us`;
    rows.push([
      game,
      `${countParams(teacher.layers)} / ${countParams(student.layers)}`,
      kb(onnx.teacher.length),
      `${kb(onnx.student.length)} (${pct(onnx.student.length / onnx.teacher.length)})`,
      `${kb(onnx.int8.length)} (${pct(onnx.int8.length / onnx.teacher.length)})`,
      us("teacher"),
      `${us("student")} (${median(speedup.student!).toFixed(1)}x)`,
      `${us("int8")} (${median(speedup.int8!).toFixed(1)}x)`,
      `${pct(vsFloat ?? 0)} / ${pct(vsTeacher ?? 0)}`,
      `${retF.meanReturn.toFixed(2)} / ${retI.meanReturn.toFixed(2)}`,
    ]);
    console.error(`  ${game}: done`);
  }
  console.log(
    `\n## MinAtar deployment: ${STUDENT} students in onnxruntime-node (uint8 input, 1 thread, batch 1)\n`,
  );
  const header = [
    "game",
    "params teacher / student",
    "teacher .onnx",
    "student .onnx (of teacher)",
    "int8 student .onnx",
    "teacher p50",
    "student p50 (speed-up)",
    "int8 student p50 (speed-up)",
    "int8 agreement with float student / teacher",
    `return float / int8 student (${EPISODES} ep.)`,
  ];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  console.log(
    `\np50 per greedy action at batch 1 (session.run on a prebuilt uint8 tensor + argmax), blocks of ${BLOCK} calls, ` +
      `${SAMPLES} blocks per repeat, median of ${REPEATS} interleaved repeats; onnxruntime-node ${ort.env.versions.common}; Node ${process.version}.`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
