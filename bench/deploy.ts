/**
 * Deployment sizes and batch-1 latency: a 256-256 teacher MLP in onnxruntime-node against a
 * 32-32 student in the standalone runtime (float32 and int8 weights), for CartPole-sized (4 -> 2)
 * and Acrobot-sized (6 -> 3) inputs, random weights.
 *
 *   npx tsx bench/deploy.ts            (about 20 s; set REPEATS / CALLS to change the effort)
 *
 * Latency is per action: one observation in, one action out, including onnxruntime's async call
 * and the argmax. Each repeat times CALLS single calls and keeps their median (p50); the table
 * shows the median over REPEATS repeats.
 */
import { Rng } from "../src/core/rng.js";
import { exportOnnx } from "../src/deploy/onnx-export.js";
import { OnnxPolicy } from "../src/deploy/onnx-runtime.js";
import { packRuntime, runtimeModule } from "../src/deploy/runtime-export.js";
import type { RuntimePolicy } from "../src/deploy/runtime-source.js";
import type { Activation, LayerSpec, PolicySpec } from "../src/nn/spec.js";

const REPEATS = Number(process.env.REPEATS ?? 5);
const CALLS = Number(process.env.CALLS ?? 2000);

function mlp(
  seed: number,
  obs: number,
  hidden: number[],
  actions: number,
  activation: Activation = "tanh",
): PolicySpec {
  const rng = new Rng(seed);
  const sizes = [obs, ...hidden, actions];
  const layers: LayerSpec[] = sizes.slice(1).map((out, i) => {
    const inSize = sizes[i]!;
    const limit = Math.sqrt(6 / (inSize + out));
    return {
      kind: "dense",
      inSize,
      outSize: out,
      weight: rng.fillUniform(new Float32Array(inSize * out), -limit, limit),
      bias: rng.fillUniform(new Float32Array(out), -0.1, 0.1),
      activation: i === hidden.length ? "linear" : activation,
    };
  });
  return { obsShape: [obs], output: "logits", actionSize: actions, layers };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** p50 of single-call times in microseconds, median over repeats. */
async function p50(call: (i: number) => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await call(i); // warm-up (JIT, onnxruntime allocations)
  const perRepeat: number[] = [];
  const times = new Array<number>(CALLS);
  for (let r = 0; r < REPEATS; r++) {
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      const r = call(i);
      if (r instanceof Promise) await r; // no microtask tick for synchronous calls
      times[i] = (performance.now() - t0) * 1000;
    }
    perRepeat.push(median(times));
  }
  return median(perRepeat);
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const us = (n: number) => `${n.toFixed(1)} us`;

async function main(): Promise<void> {
  const rt = await runtimeModule();
  const rows: string[][] = [];
  for (const [env, obsSize, actions] of [
    ["CartPole-sized (4 -> 2)", 4, 2],
    ["Acrobot-sized (6 -> 3)", 6, 3],
  ] as const) {
    const teacher = mlp(1, obsSize, [256, 256], actions);
    const student = mlp(2, obsSize, [32, 32], actions);
    const onnx = exportOnnx(teacher);
    const f32 = packRuntime(student);
    const i8 = packRuntime(student, { weights: "int8" });
    const bundleBytes = (b: typeof f32) =>
      Buffer.byteLength(b.module) + Buffer.byteLength(b.json) + b.bin.length;

    // Views made up front: creating a subarray costs about as much as the student's forward.
    const obs = new Rng(3).fillNormal(new Float32Array(1024 * obsSize));
    const views = Array.from({ length: 1024 }, (_, i) => obs.subarray(i * obsSize, (i + 1) * obsSize));
    const one = (i: number) => views[i % 1024]!;
    const ort = await OnnxPolicy.create(onnx);
    const tOrt = await p50(async (i) => argmax((await ort.run(one(i), 1)).logits!.data));
    await ort.release();
    const sF32: RuntimePolicy = rt.fromBytes(f32.json, f32.bin);
    const sI8: RuntimePolicy = rt.fromBytes(i8.json, i8.bin);
    const teacherBundle = packRuntime(teacher);
    const teacherRt = rt.fromBytes(teacherBundle.json, teacherBundle.bin);
    const tTeacherJs = await p50((i) => teacherRt.act(one(i)));
    const tF32 = await p50((i) => sF32.act(one(i)));
    const tI8 = await p50((i) => sI8.act(one(i)));
    rows.push([
      env,
      kb(onnx.length),
      `${kb(bundleBytes(f32))} (${kb(f32.bin.length)} weights)`,
      `${kb(bundleBytes(i8))} (${kb(i8.bin.length)} weights)`,
      us(tOrt),
      us(tTeacherJs),
      us(tF32),
      us(tI8),
      `${(tOrt / tF32).toFixed(1)}x / ${(tOrt / tI8).toFixed(1)}x`,
    ]);
  }
  const header = [
    "task",
    "teacher ONNX",
    "student bundle f32",
    "student bundle int8",
    "teacher p50 (onnxruntime)",
    "teacher p50 (runtime)",
    "student p50 f32",
    "student p50 int8",
    "teacher ORT / student (f32 / int8)",
  ];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  console.log(
    `\n${REPEATS} repeats x ${CALLS} single-observation calls; Node ${process.version}, onnxruntime-node 1 thread.`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
