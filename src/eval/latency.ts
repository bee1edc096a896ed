/**
 * Inference cost of a policy: measured latency, and the size and arithmetic that do not depend on
 * the machine (parameters, FLOPs per action, bytes).
 *
 *   const lat = measureLatency(() => policy.act(obs), { warmup: 200, iterations: 2000 });
 *   const eff = efficiencyOf(spec, { int8: true });
 */
import { ConfigError } from "../core/errors.js";
import type { Policy } from "../core/policy.js";
import type { LayerSpec, PolicySpec } from "../nn/spec.js";
import { mean, percentiles } from "./stats.js";

export interface LatencyOptions {
  /** Untimed calls first (JIT warm-up, caches). Default 100. */
  warmup?: number;
  /** Timed calls. Default 1000. */
  iterations?: number;
  /** Observations handled by one call, to report a per-sample figure. Default 1. */
  batch?: number;
}

export interface Latency {
  /** Per call, microseconds. */
  p50Us: number;
  p99Us: number;
  meanUs: number;
  /** Mean per observation (meanUs / batch). */
  perSampleUs: number;
  iterations: number;
  batch: number;
}

function resolve(opts: LatencyOptions): Required<LatencyOptions> {
  const r = { warmup: opts.warmup ?? 100, iterations: opts.iterations ?? 1000, batch: opts.batch ?? 1 };
  if (!(Number.isInteger(r.warmup) && r.warmup >= 0))
    throw new ConfigError("warmup", `must be an integer >= 0, got ${r.warmup}`);
  if (!(Number.isInteger(r.iterations) && r.iterations >= 1)) {
    throw new ConfigError("iterations", `must be an integer >= 1, got ${r.iterations}`);
  }
  if (!(Number.isInteger(r.batch) && r.batch >= 1))
    throw new ConfigError("batch", `must be an integer >= 1, got ${r.batch}`);
  return r;
}

function summarise(timesNs: Float64Array, o: Required<LatencyOptions>): Latency {
  const us = timesNs.map((t) => t / 1000);
  const [p50, p99] = percentiles(us, [50, 99]) as [number, number];
  const m = mean(us);
  return {
    p50Us: p50,
    p99Us: p99,
    meanUs: m,
    perSampleUs: m / o.batch,
    iterations: o.iterations,
    batch: o.batch,
  };
}

/** Times a synchronous call; `fn` gets the iteration index (to vary inputs if wanted). */
export function measureLatency(fn: (i: number) => unknown, opts: LatencyOptions = {}): Latency {
  const o = resolve(opts);
  for (let i = 0; i < o.warmup; i++) fn(i);
  const times = new Float64Array(o.iterations);
  for (let i = 0; i < o.iterations; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    times[i] = Number(process.hrtime.bigint() - t0);
  }
  return summarise(times, o);
}

/** Times an async call (e.g. an onnxruntime session); each call is awaited before the next. */
export async function measureLatencyAsync(
  fn: (i: number) => Promise<unknown>,
  opts: LatencyOptions = {},
): Promise<Latency> {
  const o = resolve(opts);
  for (let i = 0; i < o.warmup; i++) await fn(i);
  const times = new Float64Array(o.iterations);
  for (let i = 0; i < o.iterations; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    times[i] = Number(process.hrtime.bigint() - t0);
  }
  return summarise(times, o);
}

export interface ActLatencyOptions {
  /** Untimed calls per policy first. Default 100. */
  warmup?: number;
  /** Timed calls per policy, split evenly over the rounds. Default 1000. */
  iterations?: number;
  /** Rounds the policies take turns in. Default 10 (or `iterations`, if fewer). */
  rounds?: number;
}

/**
 * Latency of one action (batch 1) of each policy, every one timed through the same call,
 * `policy.act(obs)`, on the same observations (`states`, `obsSize` numbers each, cycled). The
 * policies take turns in `rounds` rounds, so a change of load on a shared machine falls on all of
 * them alike and their ratio holds. To compare networks rather than wrappers, give each the same
 * kind of policy: `compileSpec(spec)` (the synchronous Float32Array forward of the acting network,
 * no critic) is what `runEval` and the quickstart time. Each timed call includes one
 * `process.hrtime.bigint()` pair (tens of ns), the same for every policy.
 */
export function measureActLatencies(
  policies: Record<string, Pick<Policy, "act">>,
  states: Float32Array,
  obsSize: number,
  opts: ActLatencyOptions = {},
): Record<string, Latency> {
  const o = resolve({ warmup: opts.warmup, iterations: opts.iterations });
  const rounds = opts.rounds ?? Math.min(10, o.iterations);
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= o.iterations))
    throw new ConfigError("rounds", `must be an integer in [1, iterations = ${o.iterations}], got ${rounds}`);
  const count = states.length / obsSize;
  if (!(Number.isInteger(count) && count >= 1))
    throw new ConfigError("states", `length ${states.length} is not a positive multiple of ${obsSize}`);
  const rows = Array.from({ length: count }, (_, i) => states.slice(i * obsSize, (i + 1) * obsSize));
  const names = Object.keys(policies);
  const times = new Map(names.map((n) => [n, new Float64Array(o.iterations)]));
  for (const name of names) {
    const p = policies[name]!;
    for (let i = 0; i < o.warmup; i++) p.act(rows[i % count]!);
  }
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    const end = Math.round(((r + 1) * o.iterations) / rounds);
    for (const name of names) {
      const p = policies[name]!;
      const t = times.get(name)!;
      for (let i = done; i < end; i++) {
        const row = rows[i % count]!;
        const t0 = process.hrtime.bigint();
        p.act(row);
        t[i] = Number(process.hrtime.bigint() - t0);
      }
    }
    done = end;
  }
  return Object.fromEntries(names.map((n) => [n, summarise(times.get(n)!, o)]));
}

export interface Efficiency {
  /** Parameters of the acting network (layers + state-independent log std); no value head. */
  params: number;
  /** Parameters of the value head, when the spec has one (not needed to act). */
  valueParams: number;
  /** 2 x multiply-accumulates of dense and conv layers for one observation (bias and activations not counted, as is usual). */
  flopsPerAction: number;
  /** Size of the acting parameters stored as float32. */
  bytesFloat32: number;
  /**
   * Size of the acting parameters quantized to int8 (weights 1 byte each, one float32 scale per
   * output channel, biases and log std in float32: the payload of deploy's `quantizeSpec`), when
   * asked for (see `EfficiencyOptions.int8`); otherwise null.
   */
  bytesInt8: number | null;
}

export interface EfficiencyOptions {
  /**
   * `true` computes the int8 size of the acting parameters: weights 1 byte each, one float32 scale
   * per output channel (per-channel symmetric quantization, as deploy exports), biases and log std
   * kept in float32. This is the parameter payload only: an int8 ONNX file also holds one int8 zero
   * point per channel, the observation normalisation and the graph. A number is taken as the
   * measured size of a quantized artifact. Default: no int8 figure.
   */
  int8?: boolean | number;
}

interface LayerCost {
  weights: number;
  biases: number;
  macs: number;
  outShape: number[];
}

function layerCost(layer: LayerSpec, inShape: number[], where: string): LayerCost {
  switch (layer.kind) {
    case "dense": {
      const inSize = inShape.reduce((a, b) => a * b, 1);
      if (inSize !== layer.inSize)
        throw new ConfigError(`${where}.inSize`, `is ${layer.inSize}, the input has ${inSize} values`);
      const w = layer.inSize * layer.outSize;
      return { weights: w, biases: layer.outSize, macs: w, outShape: [layer.outSize] };
    }
    case "conv2d": {
      const [h, w, c] = layer.inShape;
      const k = layer.kernelSize;
      const out = (n: number): number =>
        layer.padding === "same" ? Math.ceil(n / layer.stride) : Math.floor((n - k) / layer.stride) + 1;
      const oh = out(h);
      const ow = out(w);
      const weights = k * k * c * layer.outChannels;
      return {
        weights,
        biases: layer.outChannels,
        macs: oh * ow * weights,
        outShape: [oh, ow, layer.outChannels],
      };
    }
    case "flatten":
      return { weights: 0, biases: 0, macs: 0, outShape: [inShape.reduce((a, b) => a * b, 1)] };
    default:
      throw new ConfigError(
        `${where}.kind`,
        `allowed: dense, conv2d, flatten; got ${(layer as { kind: string }).kind}`,
      );
  }
}

function stackCost(
  layers: LayerSpec[],
  obsShape: number[],
  what: string,
): { weights: number; biases: number; macs: number } {
  let shape = obsShape;
  let weights = 0;
  let biases = 0;
  let macs = 0;
  layers.forEach((layer, i) => {
    const c = layerCost(layer, shape, `${what}[${i}]`);
    weights += c.weights;
    biases += c.biases;
    macs += c.macs;
    shape = c.outShape;
  });
  return { weights, biases, macs };
}

/** Parameters, FLOPs per action and bytes of a policy network. */
export function efficiencyOf(spec: PolicySpec, opts: EfficiencyOptions = {}): Efficiency {
  const actor = stackCost(spec.layers, spec.obsShape, "layers");
  const logStd = spec.logStd?.length ?? 0;
  const params = actor.weights + actor.biases + logStd;
  const value = spec.valueLayers ? stackCost(spec.valueLayers, spec.obsShape, "valueLayers") : undefined;
  let bytesInt8: number | null = null;
  if (typeof opts.int8 === "number") bytesInt8 = opts.int8;
  // One output channel per bias entry (dense outSize, conv outChannels): one float32 scale each.
  else if (opts.int8) bytesInt8 = actor.weights + 4 * actor.biases + 4 * (actor.biases + logStd);
  return {
    params,
    valueParams: value ? value.weights + value.biases : 0,
    flopsPerAction: 2 * actor.macs,
    bytesFloat32: 4 * params,
    bytesInt8,
  };
}
