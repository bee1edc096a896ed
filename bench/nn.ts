/**
 * Neural-core benchmarks (on demand, never in the test suite): `npx tsx bench/nn.ts [--quick]`.
 *
 * 1. Matrix product GFLOP/s: the SIMD kernel (src/nn/kernels, WebAssembly f32x4) and the float64
 *    JS loops of compileSpec (tfjs-wasm's matMul is in sections 2 and 3, inside whole steps).
 * 2. Train step (forward + backward + Adam, batch 256, MSE on the outputs): the tape-free step on
 *    the SIMD kernels (KernelNet + ArrayAdam, what PPO, DQN and distillation train with) against
 *    tfjs's gradient tape with the project's `dense` / im2col `conv2d` (trainStep).
 * 3. Teacher forward by batch (1 to 256): compileSpec's float64 loops, the SIMD kernels, tfjs-wasm,
 *    and onnxruntime-node when installed: the measurements behind `teacherBackend`'s rule
 *    (src/distill/teachers/spec-teacher.ts).
 * 4. Sparse first layer: the forward X W and the weight gradient X^T dZ of a first layer whose input
 *    is 0/1 with a given share of ones (MinAtar frames: 1-8%), dense kernel against compressed rows:
 *    the measurements behind SPARSE_MAX_DENSITY / SPARSE_FORWARD_WIDTH (src/nn/kernels/net.ts).
 * Times are medians of CPU time (process.cpuUsage) per call in microseconds: on a shared machine
 * wall time mostly measures the neighbours. Re-run before quoting.
 */
import { loadavg } from "node:os";
import { Rng } from "../src/core/rng.js";
import { exportOnnx } from "../src/deploy/onnx-export.js";
import { loadOnnxRuntime, OnnxPolicy } from "../src/deploy/onnx-runtime.js";
import { initBackend, type Scalar, tf } from "../src/nn/backend.js";
import { compileSpec } from "../src/nn/fast.js";
import { gemm as exactGemm } from "../src/nn/kernels/exact.js";
import { KernelNet } from "../src/nn/kernels/net.js";
import { planFlops } from "../src/nn/kernels/plan.js";
import { SimdWorkspace } from "../src/nn/kernels/simd.js";
import { mse } from "../src/nn/ops.js";
import { Adam, ArrayAdam, trainStep } from "../src/nn/optim.js";
import { Cnn, Mlp, type Sequential } from "../src/nn/sequential.js";
import type { PolicySpec } from "../src/nn/spec.js";

const QUICK = process.argv.includes("--quick");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median CPU microseconds per call over `reps` timed blocks of `inner` calls, after `warmup` calls. */
async function time(fn: () => unknown, reps: number, inner = 1, warmup = 5): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let r = 0; r < (QUICK ? Math.max(3, reps >> 2) : reps); r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < inner; i++) await fn();
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / inner);
  }
  return median(samples);
}

const fmt = (us: number) => (us >= 100 ? Math.round(us).toLocaleString("en-US") : us.toFixed(1));

async function gemmRates(rng: Rng): Promise<void> {
  console.log("## Matrix product C = A B, GFLOP/s (CPU time)\n");
  console.log("| m x k x n | SIMD kernel | float64 JS (compileSpec) |");
  console.log("|---|---|---|");
  for (const [m, k, n] of [
    [256, 256, 256],
    [256, 400, 64],
    [256, 1024, 128],
    [16384, 36, 16],
    [256, 64, 64],
  ] as const) {
    const flops = 2 * m * k * n;
    const inner = Math.max(1, Math.round(2e7 / flops));
    const ws = new SimdWorkspace();
    const a = ws.alloc(m * k);
    const b = ws.alloc(k * n);
    const c = ws.alloc(m * n);
    rng.fillNormal(ws.f32.subarray(a, a + m * k));
    rng.fillNormal(ws.f32.subarray(b, b + k * n));
    const simd = await time(() => ws.gemm({ a, b, c, m, k, n }), 15, inner);
    const x64 = rng.fillNormal(new Float64Array(m * k));
    const wt64 = rng.fillNormal(new Float64Array(k * n));
    const y64 = new Float64Array(m * n);
    const bias = new Float64Array(n);
    const exact = await time(() => exactGemm(x64, wt64, bias, y64, m, k, n), 7, Math.max(1, inner >> 3), 2);
    const rate = (us: number) => (flops / us / 1000).toFixed(1);
    console.log(`| ${m} x ${k} x ${n} | ${rate(simd)} | ${rate(exact)} |`);
  }
}

async function trainSteps(rng: Rng): Promise<void> {
  console.log("\n## Train step (forward + backward + Adam), batch 256, median CPU us\n");
  console.log("| model | tape-free (SIMD kernels) | tfjs tape (wasm) | tape / tape-free |");
  console.log("|---|---|---|---|");
  const B = 256;
  const nets: [string, Sequential, number][] = [
    ["MLP 4-64-64-2 tanh", new Mlp({ inSize: 4, hidden: [64, 64], outSize: 2 }, rng), 60],
    ["MLP 8-256-256-4 tanh", new Mlp({ inSize: 8, hidden: [256, 256], outSize: 4 }, rng), 25],
    [
      "CNN 10x10x4 conv16 3x3 -> 128 -> 6 relu",
      new Cnn(
        { inShape: [10, 10, 4], convs: [{ channels: 16, kernelSize: 3 }], hidden: [128], outSize: 6 },
        rng,
      ),
      8,
    ],
  ];
  for (const [name, net, reps] of nets) {
    const inSize = net.inShape.reduce((a, b) => a * b, 1);
    const out = net.outSize;
    const x = rng.fillNormal(new Float32Array(B * inSize));
    const y = rng.fillNormal(new Float32Array(B * out));
    // Tape-free: forward, the MSE gradient in JS, backward, Adam on plain arrays.
    const k = new KernelNet(net.toSpec());
    const values = new Float32Array(k.paramCount);
    k.getParams(values, 0);
    const grad = new Float32Array(values.length);
    const opt = new ArrayAdam([{ values, grad }], { lr: 1e-4 });
    const dOut = new Float32Array(B * out);
    const free = await time(
      () => {
        k.setParams(values, 0);
        const o = k.forward(x, B);
        for (let i = 0; i < dOut.length; i++) dOut[i] = (2 * (o[i]! - y[i]!)) / dOut.length;
        k.backward(dOut, grad, 0);
        opt.apply();
      },
      reps,
      4,
      20,
    );
    const xt = tf.tensor2d(x, [B, inSize]);
    const yt = tf.tensor2d(y, [B, out]);
    const adam = new Adam(net.variables, { lr: 1e-4 });
    const tape = await time(() => trainStep(adam, () => mse(net.forward(xt).out, yt) as Scalar), reps, 2, 5);
    tf.dispose([xt, yt]);
    net.dispose();
    console.log(`| ${name} | ${fmt(free)} | ${fmt(tape)} | ${(tape / free).toFixed(1)}x |`);
  }
}

async function teacherForward(rng: Rng): Promise<void> {
  let onnx = true;
  try {
    await loadOnnxRuntime();
  } catch {
    onnx = false;
  }
  console.log("\n## Teacher forward by batch, median CPU us per call (outputs copied out)\n");
  console.log(
    "| model (flops/sample) | batch | float64 JS (compileSpec) | SIMD kernels | tfjs-wasm | onnxruntime |",
  );
  console.log("|---|---|---|---|---|---|");
  const nets: [string, Sequential, number[]][] = [
    ["MLP 4-64-64-2 tanh", new Mlp({ inSize: 4, hidden: [64, 64], outSize: 2 }, rng), [4]],
    ["MLP 4-256-256-2 tanh", new Mlp({ inSize: 4, hidden: [256, 256], outSize: 2 }, rng), [4]],
    ["MLP 8-256-256-4 tanh", new Mlp({ inSize: 8, hidden: [256, 256], outSize: 4 }, rng), [8]],
    [
      "CNN 10x10x4 conv16 3x3 -> 128 -> 6 relu",
      new Cnn(
        { inShape: [10, 10, 4], convs: [{ channels: 16, kernelSize: 3 }], hidden: [128], outSize: 6 },
        rng,
      ),
      [10, 10, 4],
    ],
  ];
  for (const [name, net, shape] of nets) {
    const spec: PolicySpec = {
      obsShape: shape,
      output: "logits",
      actionSize: net.outSize,
      layers: net.toSpec(),
    };
    const exact = compileSpec(spec);
    const simd = new KernelNet(spec.layers);
    const session = onnx ? await OnnxPolicy.create(exportOnnx(spec)) : undefined;
    const d = shape.reduce((a, b) => a * b, 1);
    const flops = planFlops(simd.plan);
    for (const batch of QUICK ? [1, 64] : [1, 4, 16, 64, 256]) {
      const obs = rng.fillUniform(new Float32Array(batch * d));
      const out = new Float32Array(batch * net.outSize);
      const inner = Math.max(2, Math.round(2000 / batch));
      const e = await time(() => exact.forward(obs, batch, out), 9, Math.max(1, inner >> 3), 3);
      const s = await time(() => out.set(simd.forward(obs, batch)), 9, inner, 10);
      const t = await time(
        () => tf.tidy(() => net.forward(tf.tensor2d(obs, [batch, d])).out.dataSync()),
        9,
        Math.max(1, inner >> 3),
        5,
      );
      const o = session ? fmt(await time(() => session.run(obs, batch), 9, inner, 10)) : "not installed";
      console.log(
        `| ${name} (${Math.round(flops / 1000)}k) | ${batch} | ${fmt(e)} | ${fmt(s)} | ${fmt(t)} | ${o} |`,
      );
    }
    await session?.release();
    net.dispose();
  }
}

async function sparseFirstLayer(rng: Rng): Promise<void> {
  console.log("\n## Sparse first layer on 0/1 inputs, median CPU us (forward X W; weight gradient X^T dZ)\n");
  console.log(
    "| rows x width x outputs | share of ones | forward dense | forward sparse | dW dense | dW sparse |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [m, k, n, label] of [
    [256, 400, 64, "MLP 400-64 on 10x10x4 frames"],
    [16384, 36, 16, "conv16 3x3 patches of 256 frames"],
  ] as const) {
    const ws = new SimdWorkspace();
    const a = ws.alloc(m * k);
    const b = ws.alloc(k * n);
    const c = ws.alloc(m * n);
    const dy = ws.alloc(m * n);
    const dw = ws.alloc(k * n);
    const rows = { ptr: ws.alloc(m + 1), idx: ws.alloc(m * k), vals: ws.alloc(m * k) };
    const cols = { ptr: ws.alloc(k + 1), idx: ws.alloc(m * k), vals: ws.alloc(m * k) };
    const next = ws.alloc(k);
    rng.fillNormal(ws.f32.subarray(b, b + k * n));
    rng.fillNormal(ws.f32.subarray(dy, dy + m * n));
    for (const density of QUICK ? [0.08] : [0.02, 0.08, 0.15, 0.3]) {
      const f = ws.f32;
      for (let i = 0; i < m * k; i++) f[a + i] = rng.random() < density ? 1 : 0;
      const fd = await time(() => ws.gemm({ a, b, c, m, k, n }), 15, 4);
      const fs = await time(
        () => {
          ws.csr(a, m, k, rows, m * k);
          ws.spmm(rows, m, b, n, c);
        },
        15,
        4,
      );
      const gd = await time(() => ws.gemm({ a, transA: true, b: dy, c: dw, m: k, k: m, n }), 15, 4);
      const gs = await time(
        () => {
          ws.csr(a, m, k, rows, m * k);
          ws.csrTranspose(rows, m, k, cols, next);
          ws.spmm(cols, k, dy, n, dw);
        },
        15,
        4,
      );
      console.log(
        `| ${label}: ${m} x ${k} x ${n} | ${density} | ${fmt(fd)} | ${fmt(fs)} | ${fmt(gd)} | ${fmt(gs)} |`,
      );
    }
  }
}

await initBackend("wasm");
const rng = new Rng(0);
console.log(
  `# rldistill bench/nn.ts (backend ${tf.getBackend()}, node ${process.version}, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")})\n`,
);
await gemmRates(rng);
await trainSteps(rng);
await teacherForward(rng);
await sparseFirstLayer(rng);
