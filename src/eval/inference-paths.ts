/**
 * Latency of one policy through each way the library can run it, at several batch sizes, on the
 * same realistic observations (issue "Evaluation and reports", item 3):
 *
 *   "float32-forward"  compileSpec(spec).forward: synchronous Float32Array loops (src/nn/fast.ts)
 *   "tfjs"             Sequential.fromSpec on the active tfjs backend (wasm by default), read
 *                      back with dataSync
 *   "onnxruntime"      exportOnnx + OnnxPolicy (onnxruntime-node, an optional dependency; the path
 *                      is skipped with the reason recorded when it does not load)
 *
 *   const r = await measureInferencePaths(spec, { env: "CartPole-v1", batches: [1, 64] });
 *   r.paths.find((p) => p.path === "tfjs")?.latency[1]?.p99Us;
 *
 * Every timed call copies its input in and its output out, as a caller would. Before timing, the
 * paths run once on the same batch and the largest output difference is recorded (`maxAbsDiff`),
 * so a fast path that computes something else shows up in the result. Tensors, variables and the
 * onnxruntime session are released before returning.
 */
import { ConfigError } from "../core/errors.js";
import { exportOnnx } from "../deploy/onnx-export.js";
import { loadOnnxRuntime, OnnxPolicy } from "../deploy/onnx-runtime.js";
import { activeBackend, type BackendName, initBackend, type Tensor, tf } from "../nn/backend.js";
import { compileSpec } from "../nn/fast.js";
import { Sequential } from "../nn/sequential.js";
import type { PolicySpec } from "../nn/spec.js";
import { type Latency, measureLatency, measureLatencyAsync } from "./latency.js";
import { collectStates } from "./similarity.js";

export type InferencePathName = "float32-forward" | "tfjs" | "onnxruntime";
export const INFERENCE_PATHS: readonly InferencePathName[] = ["float32-forward", "tfjs", "onnxruntime"];

export interface InferencePathsOptions {
  /** Batch sizes to time. Default [1, 64]. */
  batches?: number[];
  /** Untimed calls per path and batch. Default 100. */
  warmup?: number;
  /** Timed calls per path and batch (fewer when `budgetMs` runs out). Default 1000. */
  iterations?: number;
  /**
   * Time allowed per path and batch: after warm-up, the timed calls are cut to what fits (never
   * below min(iterations, 30)), so a wide teacher at batch 64 does not take minutes. Default 2000.
   */
  budgetMs?: number;
  /** Paths to measure, in this order. Default all of INFERENCE_PATHS. */
  paths?: InferencePathName[];
  /** Observations to feed, laid end to end (at least one); reused cyclically to fill a batch. */
  states?: Float32Array;
  /** Without `states`: an env whose states the policy itself visits (greedy) are collected. */
  env?: string;
  /** Seed of that rollout. Default 0. */
  seed?: number;
  /** make() kwargs for `env`. */
  kwargs?: Record<string, unknown>;
  /** States to collect from `env`. Default 256. */
  steps?: number;
  /** tfjs backend; default the active one, else initBackend()'s default (wasm). */
  backend?: BackendName;
}

export interface InferencePathResult {
  path: InferencePathName;
  /** Why the path was not measured (then `latency` is empty); absent when it was. */
  skipped?: string;
  /** The tfjs backend used ("tfjs" only). */
  backend?: string;
  /** One per batch size, in the order of `batches`; `perSampleUs` = meanUs / batch. */
  latency: Latency[];
  /** Largest |output - float32-forward output| on the check batch; null when not run. */
  maxAbsDiff: number | null;
}

export interface InferencePathsResult {
  batches: number[];
  warmup: number;
  /** Iterations asked for; each Latency records how many ran. */
  iterations: number;
  /** Distinct observations the batches were drawn from. */
  states: number;
  /** Batch size of the output check (the largest of `batches`). */
  checkBatch: number;
  /** Largest output difference between any two measured paths on the check batch. */
  maxAbsDiff: number | null;
  paths: InferencePathResult[];
}

/** A path prepared for timing: one call on a prepared input, returning the raw outputs. */
interface Runner {
  run(input: Float32Array, batch: number): Float32Array | Promise<Float32Array>;
  async: boolean;
  backend?: string;
  release(): Promise<void> | void;
}

const MIN_ITERATIONS = 30;
/** Distinct input batches rotated through while timing (defeats caching of one input). */
const DISTINCT_INPUTS = 4;

function positiveInts(field: string, v: number[]): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((b) => Number.isInteger(b) && b >= 1))
    throw new ConfigError(field, `must be a non-empty list of integers >= 1, got ${JSON.stringify(v)}`);
  return v;
}

function resolvePaths(paths: InferencePathName[] | undefined): InferencePathName[] {
  const list = paths ?? [...INFERENCE_PATHS];
  for (const p of list) {
    if (!INFERENCE_PATHS.includes(p))
      throw new ConfigError("paths", `unknown path "${String(p)}"; allowed: ${INFERENCE_PATHS.join(", ")}`);
  }
  return [...new Set(list)];
}

function resolveStates(spec: PolicySpec, obsSize: number, opts: InferencePathsOptions): Float32Array {
  if (opts.states) {
    const n = opts.states.length / obsSize;
    if (!(Number.isInteger(n) && n >= 1))
      throw new ConfigError(
        "states",
        `length ${opts.states.length} is not a positive multiple of ${obsSize}`,
      );
    return opts.states;
  }
  if (opts.env === undefined) throw new ConfigError("states", "give states, or an env to collect them from");
  return collectStates(compileSpec(spec), opts.env, {
    steps: opts.steps ?? 256,
    seed: opts.seed ?? 0,
    kwargs: opts.kwargs,
  }).obs;
}

/** `batch` rows starting at row `first`, wrapping around the states. */
function rows(states: Float32Array, obsSize: number, first: number, batch: number): Float32Array {
  const count = states.length / obsSize;
  const out = new Float32Array(batch * obsSize);
  for (let r = 0; r < batch; r++) {
    const src = ((first + r) % count) * obsSize;
    out.set(states.subarray(src, src + obsSize), r * obsSize);
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function floatRunner(spec: PolicySpec): Runner {
  const policy = compileSpec(spec);
  return { run: (x, b) => policy.forward(x, b), async: false, release: () => {} };
}

async function tfjsRunner(spec: PolicySpec, backend: BackendName | undefined): Promise<Runner> {
  const name =
    backend !== undefined ? await initBackend(backend) : (activeBackend() ?? (await initBackend()));
  const net = Sequential.fromSpec(spec.layers, "inference-paths");
  const norm = spec.obsNorm;
  // The normalisation constants are built once; per call the ops are those of normalizeObs (ops.ts).
  const mean = norm ? tf.tensor1d(norm.mean) : undefined;
  const std = norm ? tf.tidy(() => tf.sqrt(tf.add(tf.tensor1d(norm.var), norm.epsilon))) : undefined;
  const shape = [...spec.obsShape];
  const obsSize = shape.reduce((a, b) => a * b, 1);
  return {
    run: (x, b) =>
      tf.tidy(() => {
        let t: Tensor = tf.tensor2d(x, [b, obsSize]);
        if (norm && mean && std) t = tf.clipByValue(tf.div(tf.sub(t, mean), std), -norm.clip, norm.clip);
        return net.forward(t).out.dataSync() as Float32Array;
      }),
    async: false,
    backend: name,
    release: () => {
      net.dispose();
      mean?.dispose();
      std?.dispose();
    },
  };
}

async function onnxRunner(spec: PolicySpec): Promise<Runner | string> {
  try {
    await loadOnnxRuntime();
  } catch (err) {
    return (err as Error).message;
  }
  const policy = await OnnxPolicy.create(exportOnnx(spec), { threads: 1 });
  const output = policy.outputNames[0]!;
  return {
    run: async (x, b) => (await policy.run(x, b))[output]!.data,
    async: true,
    release: () => policy.release(),
  };
}

/** Times one runner at one batch size: warm-up first, then as many calls as fit the budget. */
async function timeRunner(
  runner: Runner,
  inputs: Float32Array[],
  batch: number,
  o: { warmup: number; iterations: number; budgetMs: number },
): Promise<Latency> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < o.warmup; i++) await runner.run(inputs[i % inputs.length]!, batch);
  let iterations = o.iterations;
  if (o.warmup > 0) {
    const perCallNs = Number(process.hrtime.bigint() - t0) / o.warmup;
    const fit = Math.floor((o.budgetMs * 1e6) / Math.max(perCallNs, 1));
    iterations = Math.min(o.iterations, Math.max(Math.min(o.iterations, MIN_ITERATIONS), fit));
  }
  const opts = { warmup: 0, iterations, batch };
  if (runner.async)
    return measureLatencyAsync(async (i) => runner.run(inputs[i % inputs.length]!, batch), opts);
  return measureLatency((i) => runner.run(inputs[i % inputs.length]!, batch), opts);
}

/** Measures each inference path of `spec` at each batch size; see the module comment. */
export async function measureInferencePaths(
  spec: PolicySpec,
  opts: InferencePathsOptions = {},
): Promise<InferencePathsResult> {
  const batches = positiveInts("batches", opts.batches ?? [1, 64]);
  const warmup = opts.warmup ?? 100;
  const iterations = opts.iterations ?? 1000;
  const budgetMs = opts.budgetMs ?? 2000;
  if (!(Number.isInteger(warmup) && warmup >= 0))
    throw new ConfigError("warmup", `must be an integer >= 0, got ${warmup}`);
  if (!(Number.isInteger(iterations) && iterations >= 1))
    throw new ConfigError("iterations", `must be an integer >= 1, got ${iterations}`);
  if (!(budgetMs > 0)) throw new ConfigError("budgetMs", `must be > 0, got ${budgetMs}`);
  const paths = resolvePaths(opts.paths);
  const reference = compileSpec(spec);
  const obsSize = reference.obsSize;
  const states = resolveStates(spec, obsSize, opts);
  const count = states.length / obsSize;
  const inputs = new Map(
    batches.map((b) => [
      b,
      Array.from({ length: DISTINCT_INPUTS }, (_, k) => rows(states, obsSize, k * b, b)),
    ]),
  );
  const checkBatch = Math.max(...batches);
  const checkInput = inputs.get(checkBatch)![0]!;
  const expected = Float32Array.from(reference.forward(checkInput, checkBatch));

  const results: InferencePathResult[] = [];
  const outputs: Float32Array[] = [expected];
  for (const path of paths) {
    let runner: Runner | string;
    if (path === "float32-forward") runner = floatRunner(spec);
    else if (path === "tfjs") runner = await tfjsRunner(spec, opts.backend);
    else runner = await onnxRunner(spec);
    if (typeof runner === "string") {
      results.push({ path, skipped: runner, latency: [], maxAbsDiff: null });
      continue;
    }
    try {
      const out = Float32Array.from(await runner.run(checkInput, checkBatch));
      outputs.push(out);
      const latency: Latency[] = [];
      for (const b of batches)
        latency.push(await timeRunner(runner, inputs.get(b)!, b, { warmup, iterations, budgetMs }));
      results.push({
        path,
        ...(runner.backend ? { backend: runner.backend } : {}),
        latency,
        maxAbsDiff: maxAbsDiff(out, expected),
      });
    } finally {
      await runner.release();
    }
  }
  let worst: number | null = null;
  for (let i = 0; i < outputs.length; i++) {
    for (let j = i + 1; j < outputs.length; j++)
      worst = Math.max(worst ?? 0, maxAbsDiff(outputs[i]!, outputs[j]!));
  }
  return { batches, warmup, iterations, states: count, checkBatch, maxAbsDiff: worst, paths: results };
}
