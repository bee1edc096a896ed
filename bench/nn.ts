/**
 * Neural-core benchmarks (on demand, never in the test suite): `npx tsx bench/nn.ts`.
 *
 * 1. Train step (forward + backward + Adam, batch 256) on wasm, with three dense gradients:
 *    ours (`dense`: explicit transpose, then plain matMul), tf.matMul under the project's
 *    registered BatchMatMul gradient (same idea), and tfjs's stock gradient (transpose flags);
 *    plus the tape-free step PPO and DQN train with (src/rl/mlp-grad.ts, Adam on plain arrays).
 * 2. CNN 10x10x4 -> conv16 3x3 -> 128 -> 6 train step (conv as im2col).
 * 3. Forward latency, batch 1 and 64: compileSpec's Float32Array forward vs the tfjs forward
 *    (tensor in, forward, dataSync out).
 * Times are medians of CPU time (process.cpuUsage) per call in microseconds: on a shared machine
 * wall time mostly measures the neighbours. Re-run before quoting.
 */
import { loadavg } from "node:os";
import { Rng } from "../src/core/rng.js";
import { initBackend, type Scalar, type Tensor, tf } from "../src/nn/backend.js";
import { compileSpec } from "../src/nn/fast.js";
import { activate, dense, mse } from "../src/nn/ops.js";
import { Adam, clipInPlace, trainStep } from "../src/nn/optim.js";
import { Cnn, Mlp, type Sequential } from "../src/nn/sequential.js";
import type { Activation, PolicySpec } from "../src/nn/spec.js";
import { denseBackward, denseForward, denseStack, readInto } from "../src/rl/mlp-grad.js";

type Saved = (tensors: Tensor[]) => void;

/** Dense with tfjs's stock matMul gradient: matMul with transposeA/transposeB flags. */
const stockDense = tf.customGrad(((x: Tensor, w: Tensor, b: Tensor, save: Saved) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    gradFunc: (dy: Tensor, [sx, sw]: Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, sw as tf.Tensor2D, false, true),
      tf.matMul(sx as tf.Tensor2D, dy as tf.Tensor2D, true, false),
      tf.sum(dy, 0),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: Tensor, w: Tensor, b: Tensor) => Tensor;

type DenseImpl = (x: Tensor, w: Tensor, b: Tensor, act: Activation) => Tensor;
const IMPLS: Record<string, DenseImpl> = {
  ours: (x, w, b, act) => dense(x, w, b, act),
  registered: (x, w, b, act) => activate(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b), act),
  stock: (x, w, b, act) => activate(stockDense(x, w, b), act),
  // What plain tfjs code gets: stock matMul gradient and the Tanh kernel.
  naive: (x, w, b, act) => {
    const y = stockDense(x, w, b);
    return act === "tanh" ? tf.tanh(y) : activate(y, act);
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median CPU microseconds per call over `reps` timed blocks of `inner` calls, after `warmup` calls. */
function time(fn: () => void, reps: number, inner = 1, warmup = 5): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < inner; i++) fn();
    const c = process.cpuUsage(c0);
    samples.push((c.user + c.system) / inner);
  }
  return median(samples);
}

function mlpTrainStep(widths: number[], impl: DenseImpl, rng: Rng, reps: number): number {
  const net = new Mlp({ inSize: widths[0]!, hidden: widths.slice(1, -1), outSize: widths.at(-1)! }, rng);
  const spec = net.toSpec();
  const ws = net.params.list();
  const x = tf.tensor2d(rng.fillNormal(new Float32Array(256 * widths[0]!)), [256, widths[0]!]);
  const y = tf.tensor2d(rng.fillNormal(new Float32Array(256 * widths.at(-1)!)), [256, widths.at(-1)!]);
  const opt = new Adam(ws, { lr: 1e-4 });
  const us = time(
    () =>
      trainStep(opt, () => {
        let h: Tensor = x;
        spec.forEach((l, i) => {
          if (l.kind === "dense") h = impl(h, ws[2 * i]!, ws[2 * i + 1]!, l.activation);
        });
        return mse(h, y) as Scalar;
      }),
    reps,
    4,
    20,
  );
  tf.dispose([x, y]);
  opt.dispose();
  net.dispose();
  return us;
}

/**
 * The same step without the gradient tape, as PPO and DQN train (src/rl/mlp-grad.ts): forward
 * keeping activations, the MSE gradient in JS, the manual backward, clipping and Adam in JS.
 */
function mlpTapeFreeStep(widths: number[], rng: Rng, reps: number): number {
  const net = new Mlp({ inSize: widths[0]!, hidden: widths.slice(1, -1), outSize: widths.at(-1)! }, rng);
  const stack = denseStack(net.params.list(), net.toSpec())!;
  const B = 256;
  const outSize = widths.at(-1)!;
  const x = tf.tensor2d(rng.fillNormal(new Float32Array(B * widths[0]!)), [B, widths[0]!]);
  const y = rng.fillNormal(new Float32Array(B * outSize));
  const opt = new Adam(net.params.list(), { lr: 1e-4 });
  const grad = new Float32Array(opt.size);
  const dOut = new Float32Array(B * outSize);
  const us = time(
    () => {
      tf.tidy(() => {
        const trace = denseForward(stack, x);
        const out = trace.out.dataSync();
        for (let i = 0; i < dOut.length; i++) dOut[i] = (2 * (out[i]! - y[i]!)) / dOut.length;
        readInto(grad, 0, denseBackward(stack, trace, tf.tensor2d(dOut, [B, outSize])));
      });
      clipInPlace(grad, Number.POSITIVE_INFINITY);
      opt.applyArray(grad);
    },
    reps,
    4,
    20,
  );
  x.dispose();
  net.dispose();
  return us;
}

function cnnTrainStep(rng: Rng, reps: number): number {
  const net = new Cnn(
    { inShape: [10, 10, 4], convs: [{ channels: 16, kernelSize: 3 }], hidden: [128], outSize: 6 },
    rng,
  );
  const x = tf.tensor2d(rng.fillUniform(new Float32Array(256 * 400)), [256, 400]);
  const y = tf.tensor2d(rng.fillNormal(new Float32Array(256 * 6)), [256, 6]);
  const opt = new Adam(net.variables, { lr: 1e-4 });
  const us = time(() => trainStep(opt, () => mse(net.forward(x).out, y) as Scalar), reps, 2, 3);
  tf.dispose([x, y]);
  opt.dispose();
  net.dispose();
  return us;
}

function forwardLatency(
  net: Sequential,
  obsShape: number[],
  batch: number,
  rng: Rng,
): { fast: number; tfjs: number; diff: number; scale: number } {
  const spec: PolicySpec = { obsShape, output: "logits", actionSize: net.outSize, layers: net.toSpec() };
  const policy = compileSpec(spec);
  const obsSize = obsShape.reduce((a, b) => a * b, 1);
  const obs = rng.fillNormal(new Float32Array(batch * obsSize));
  const out = new Float32Array(batch * net.outSize);
  const tfjsForward = () => tf.tidy(() => net.forward(tf.tensor2d(obs, [batch, obsSize])).out.dataSync());
  let diff = 0;
  const ref = tfjsForward();
  policy.forward(obs, batch, out);
  let scale = 0;
  for (let i = 0; i < out.length; i++) {
    diff = Math.max(diff, Math.abs(out[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  const inner = batch === 1 ? 200 : 20;
  return {
    fast: time(() => policy.forward(obs, batch, out), 25, inner, 50),
    tfjs: time(tfjsForward, 25, Math.max(1, inner / 10), 20),
    diff,
    scale,
  };
}

const fmt = (us: number) => (us >= 100 ? Math.round(us).toLocaleString("en-US") : us.toFixed(1));

async function main(): Promise<void> {
  await initBackend("wasm");
  const rng = new Rng(0);
  const load = loadavg()[0]!.toFixed(1);
  console.log(
    `# rldistill bench/nn.ts (backend ${tf.getBackend()}, node ${process.version}, load average ${load})\n`,
  );
  console.log("## Train step (fwd + bwd + Adam), batch 256, wasm, median CPU us, tanh hidden layers");
  console.log(
    "| model | ours (`dense`) | tape-free (rl/mlp-grad) | tf.matMul + registered grad | stock matMul grad | stock grad + tf.tanh kernel | stock / ours | stock + tf.tanh / ours |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  // Warm the JIT and tfjs's kernel caches, so the first measured column is not penalised.
  for (const impl of Object.values(IMPLS)) mlpTrainStep([4, 64, 64, 2], impl, rng, 3);
  for (const [widths, reps] of [
    [[4, 64, 64, 2], 60],
    [[8, 256, 256, 4], 25],
  ] as [number[], number][]) {
    const t = Object.fromEntries(
      Object.entries(IMPLS).map(([k, impl]) => [k, mlpTrainStep(widths, impl, rng, reps)]),
    );
    const free = mlpTapeFreeStep(widths, rng, reps);
    console.log(
      `| MLP ${widths.join("-")} | ${fmt(t.ours!)} | ${fmt(free)} | ${fmt(t.registered!)} | ${fmt(t.stock!)} | ${fmt(t.naive!)} | ${(t.stock! / t.ours!).toFixed(1)}x | ${(t.naive! / t.ours!).toFixed(1)}x |`,
    );
  }
  console.log(
    `| CNN 10x10x4 conv16 3x3 -> 128 -> 6 relu (im2col) | ${fmt(cnnTrainStep(rng, 8))} | | | | | | |`,
  );

  console.log(
    "\n## Forward latency, median CPU us per call (fast = compileSpec, tfjs = tensor in, forward, dataSync)",
  );
  console.log("| model | batch | fast | tfjs wasm | tfjs / fast | max abs diff / max abs output |");
  console.log("|---|---|---|---|---|---|");
  const nets: [string, Sequential, number[]][] = [
    ["MLP 4-64-64-2 tanh", new Mlp({ inSize: 4, hidden: [64, 64], outSize: 2 }, rng), [4]],
    ["MLP 8-256-256-4 tanh", new Mlp({ inSize: 8, hidden: [256, 256], outSize: 4 }, rng), [8]],
    [
      "CNN 10x10x4 conv16 -> 128 -> 6 relu",
      new Cnn(
        { inShape: [10, 10, 4], convs: [{ channels: 16, kernelSize: 3 }], hidden: [128], outSize: 6 },
        rng,
      ),
      [10, 10, 4],
    ],
  ];
  for (const [name, net, shape] of nets) {
    for (const batch of [1, 64]) {
      const r = forwardLatency(net, shape, batch, rng);
      console.log(
        `| ${name} | ${batch} | ${fmt(r.fast)} | ${fmt(r.tfjs)} | ${(r.tfjs / r.fast).toFixed(1)}x | ${r.diff.toExponential(1)} / ${r.scale.toFixed(1)} |`,
      );
    }
    net.dispose();
  }
}

await main();
