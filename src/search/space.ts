/**
 * The search space of students: which architectures `search()` may try, how each is sampled,
 * and how big each one is before any training (parameters, bytes, or p50 latency).
 *
 *   const space = resolveSpace(cfg, io);              // refuses kinds the env cannot use, naming why
 *   const c = sampleCandidate(space, rng);             // { kind: "mlp", hidden: [8, 4], activation, precision }
 *   candidateId(c);                                    // "mlp-8x4-tanh-int8", "conv8x3-fc16-relu-float32"
 *   distillFields(c);                                  // { student: [8, 4], studentActivation, quantizeAware }
 *   sizeOf(c, io, "bytes");                            // deployed bytes (int8: 1 per weight + scales)
 *
 * Student kinds are a small registry (`STUDENT_KINDS`): each says whether it applies to the env's
 * observations, how to sample it and which distill() fields build it. `mlp` reads the flattened
 * observation; `conv` (image observations [height, width, channels] only) puts `convDepths`
 * convolutions of `convChannels` filters of `convKernels` size (stride 1, valid) before the dense
 * layers, the architecture string distill() reads (`conv8x3,fc16`). `kinds: "auto"` searches both
 * on images and MLPs alone on vectors, so a pixel env weighs MLP against conv students by default.
 */
import { ConfigError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { quantizeSpec, specSizes } from "../deploy/quantize.js";
import { efficiencyOf, measureLatency } from "../eval/latency.js";
import { formatConv } from "../nn/arch.js";
import { compileSpec } from "../nn/fast.js";
import { cnnLayers } from "../nn/sequential.js";
import type { Activation, LayerSpec, PolicySpec } from "../nn/spec.js";

export const PRECISIONS = ["float32", "int8"] as const;
export type Precision = (typeof PRECISIONS)[number];
export const ACTIVATIONS = ["tanh", "relu"] as const;
export const OBJECTIVES = ["params", "bytes", "latency"] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** One convolution of a conv candidate (stride 1, valid padding). */
export interface CandidateConv {
  channels: number;
  kernelSize: number;
}

/** One student architecture (what a trial trains; the seed and budget are the trial's). */
export interface Candidate {
  kind: string;
  /** Convolutions before the dense layers (conv candidates only), input side first. */
  convs?: CandidateConv[];
  /** Hidden widths of the dense layers, input side first. */
  hidden: number[];
  activation: Activation;
  precision: Precision;
}

/** What the student must read and produce, from the teacher and env. */
export interface StudentIO {
  obsShape: number[];
  actionSize: number;
  output: PolicySpec["output"];
  /** The student copies the teacher's observation normalisation (it counts in bytes, not params). */
  obsNorm?: PolicySpec["obsNorm"];
}

/** The ranges a search samples from. */
export interface SearchSpace {
  kinds: string[];
  depths: number[];
  widths: number[];
  /** Conv candidates: numbers of convolutions, filter counts and kernel sizes to draw from. */
  convDepths?: number[];
  convChannels?: number[];
  convKernels?: number[];
  activations: Activation[];
  precisions: Precision[];
}

export interface StudentKind {
  name: string;
  /** Why this kind cannot be searched on these observations (or at all yet); null when it can. */
  unavailable(io: StudentIO): string | null;
  /** distill() config fields that build this candidate. */
  distillFields(c: Candidate): Record<string, unknown>;
  /** The candidate's deployable network with zero weights (for sizes and latency). */
  layers(c: Candidate, io: StudentIO): LayerSpec[];
}

function denseStack(
  inSize: number,
  hidden: readonly number[],
  outSize: number,
  act: Activation,
): LayerSpec[] {
  const sizes = [inSize, ...hidden, outSize];
  return sizes.slice(1).map((out, i) => ({
    kind: "dense" as const,
    inSize: sizes[i]!,
    outSize: out,
    weight: new Float32Array(sizes[i]! * out),
    bias: new Float32Array(out),
    activation: i < hidden.length ? act : "linear",
  }));
}

export const STUDENT_KINDS: Record<string, StudentKind> = {
  mlp: {
    name: "mlp",
    unavailable: () => null,
    distillFields: (c) => ({
      student: [...c.hidden],
      studentActivation: c.activation,
      quantizeAware: c.precision === "int8",
    }),
    layers: (c, io) =>
      denseStack(
        io.obsShape.reduce((a, b) => a * b, 1),
        c.hidden,
        io.actionSize,
        c.activation,
      ),
  },
  conv: {
    name: "conv",
    unavailable: (io) =>
      io.obsShape.length !== 3
        ? `observations of shape [${io.obsShape.join(", ")}] are not images [height, width, channels]`
        : null,
    distillFields: (c) => ({
      student: [...c.hidden],
      studentConvs: convsOf(c).map(formatConv).join(","),
      studentActivation: c.activation,
      quantizeAware: c.precision === "int8",
    }),
    layers: (c, io) =>
      cnnLayers(
        {
          inShape: io.obsShape as [number, number, number],
          convs: convsOf(c),
          hidden: c.hidden,
          outSize: io.actionSize,
          activation: c.activation,
        },
        // Sizes and latency only: the drawn weights are never read as such.
        new Rng(0),
      ),
  },
};

function convsOf(c: Candidate): CandidateConv[] {
  if (!c.convs?.length) throw new ConfigError("candidate.convs", `${c.kind} candidate without convolutions`);
  return c.convs;
}

/** `kinds: "auto"`: conv and MLP students on images, MLPs on vectors. */
export function autoKinds(io: StudentIO): string[] {
  return io.obsShape.length === 3 ? ["mlp", "conv"] : ["mlp"];
}

/** Checks the space against the registry and the env: every kind usable, lists non-empty. */
export function checkSpace(space: SearchSpace, io: StudentIO): SearchSpace {
  if (space.kinds.length === 0) throw new ConfigError("kinds", "give at least one student kind, e.g. mlp");
  for (const k of space.kinds) {
    const kind = STUDENT_KINDS[k];
    if (!kind)
      throw new ConfigError(
        "kinds",
        `unknown student kind "${k}"; allowed: ${Object.keys(STUDENT_KINDS).join(", ")}`,
      );
    const why = kind.unavailable(io);
    if (why) throw new ConfigError("kinds", `${k} students cannot be searched here: ${why}`);
  }
  const positive = (field: string, list: number[]) => {
    if (list.length === 0 || list.some((v) => !(Number.isInteger(v) && v >= 1)))
      throw new ConfigError(field, `expected integers >= 1, e.g. 1,2; got [${list.join(", ")}]`);
  };
  positive("depths", space.depths);
  positive("widths", space.widths);
  if (space.kinds.includes("conv")) {
    positive("convDepths", space.convDepths ?? []);
    positive("convChannels", space.convChannels ?? []);
    positive("convKernels", space.convKernels ?? []);
    const smallest = Math.min(io.obsShape[0]!, io.obsShape[1]!);
    const depth = Math.max(...space.convDepths!);
    const kernel = Math.max(...space.convKernels!);
    if (depth * (kernel - 1) >= smallest)
      throw new ConfigError(
        "convKernels",
        `${depth} convolution(s) of kernel ${kernel} (valid padding) leave nothing of a ${io.obsShape[0]}x${io.obsShape[1]} image; use smaller kernels or fewer convolutions`,
      );
  }
  for (const a of space.activations)
    if (!(ACTIVATIONS as readonly string[]).includes(a))
      throw new ConfigError("activations", `"${a}" is not allowed; allowed: ${ACTIVATIONS.join(", ")}`);
  for (const p of space.precisions)
    if (!(PRECISIONS as readonly string[]).includes(p))
      throw new ConfigError("precisions", `"${p}" is not allowed; allowed: ${PRECISIONS.join(", ")}`);
  if (space.activations.length === 0) throw new ConfigError("activations", "give at least one");
  if (space.precisions.length === 0) throw new ConfigError("precisions", "give at least one");
  return space;
}

/** "mlp-8x4-tanh-int8"; conv candidates by their architecture string: "conv8x3-fc16-relu-float32". */
export function candidateId(c: Candidate): string {
  if (c.kind === "conv") {
    const convs = convsOf(c).map((v) => `conv${v.channels}x${v.kernelSize}`);
    return [...convs, ...c.hidden.map((h) => `fc${h}`), c.activation, c.precision].join("-");
  }
  return `${c.kind}-${c.hidden.join("x")}-${c.activation}-${c.precision}`;
}

/** Number of distinct candidates in the space (to cap sampling without replacement). */
export function spaceSize(space: SearchSpace): number {
  const dense = space.depths.reduce((n, d) => n + space.widths.length ** d, 0);
  const perConv = (space.convChannels?.length ?? 0) * (space.convKernels?.length ?? 0);
  const convs = (space.convDepths ?? []).reduce((n, d) => n + perConv ** d, 0);
  const archs = space.kinds.reduce((n, k) => n + (k === "conv" ? dense * convs : dense), 0);
  return archs * space.activations.length * space.precisions.length;
}

/**
 * One candidate: kind, depth, activation and precision uniformly, then each width uniformly. Depth
 * first (not uniform over all architectures), so shallow students, where the smallest ones live,
 * are not drowned by the many deep ones.
 */
export function sampleCandidate(space: SearchSpace, rng: Rng): Candidate {
  const pick = <T>(list: readonly T[]): T => list[rng.integer(list.length)]!;
  const kind = pick(space.kinds);
  const depth = pick(space.depths);
  const hidden = Array.from({ length: depth }, () => pick(space.widths));
  const c: Candidate = {
    kind,
    hidden,
    activation: pick(space.activations),
    precision: pick(space.precisions),
  };
  // Drawn last, and only for conv: an MLP-only space draws exactly what it drew before conv existed.
  if (kind === "conv")
    c.convs = Array.from({ length: pick(space.convDepths!) }, () => ({
      channels: pick(space.convChannels!),
      kernelSize: pick(space.convKernels!),
    }));
  return c;
}

/** `n` distinct candidates (fewer if the space is smaller), in draw order. */
export function sampleCandidates(space: SearchSpace, n: number, rng: Rng): Candidate[] {
  const want = Math.min(n, spaceSize(space));
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (let tries = 0; out.length < want && tries < 1000 * want; tries++) {
    const c = sampleCandidate(space, rng);
    const id = candidateId(c);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(c);
  }
  return out;
}

/** The candidate's deployable network with zero weights. */
export function candidateSpec(c: Candidate, io: StudentIO): PolicySpec {
  const kind = STUDENT_KINDS[c.kind];
  if (!kind) throw new ConfigError("kind", `unknown student kind "${c.kind}"`);
  const spec: PolicySpec = {
    obsShape: [...io.obsShape],
    output: io.output,
    actionSize: io.actionSize,
    layers: kind.layers(c, io),
  };
  if (io.obsNorm) spec.obsNorm = io.obsNorm;
  if (io.output === "mean") {
    spec.logStd = new Float32Array(io.actionSize);
    spec.actionLow = new Float32Array(io.actionSize).fill(-1);
    spec.actionHigh = new Float32Array(io.actionSize).fill(1);
  }
  return spec;
}

export function distillFields(c: Candidate): Record<string, unknown> {
  const kind = STUDENT_KINDS[c.kind];
  if (!kind) throw new ConfigError("kind", `unknown student kind "${c.kind}"`);
  return kind.distillFields(c);
}

export interface CandidateSizes {
  /** Parameters used to act (as distill's summary counts them). */
  params: number;
  /** Bytes of the deployed weights: float32, or int8 weights + float32 scales and biases. */
  bytes: number;
  /** Multiply-adds x 2 per action. */
  flops: number;
}

export function sizesOf(c: Candidate, io: StudentIO): CandidateSizes {
  const spec = candidateSpec(c, io);
  const eff = efficiencyOf(spec);
  const bytes = specSizes(c.precision === "int8" ? quantizeSpec(spec) : spec).totalBytes;
  return { params: eff.params, bytes, flops: eff.flopsPerAction };
}

/**
 * p50 latency of one action on this machine, in microseconds (the synchronous Float32Array
 * forward, batch 1). Measured, so it varies between machines and runs: the search measures each
 * candidate once and keeps the figure in its state, so a resumed search ranks with the same numbers.
 */
export function measureCandidateLatency(c: Candidate, io: StudentIO): number {
  const spec = candidateSpec(c, io);
  for (const l of spec.layers) if (l.kind !== "flatten") l.weight.fill(0.01);
  const policy = compileSpec(spec);
  const obs = new Float32Array(io.obsShape.reduce((a, b) => a * b, 1)).fill(0.1);
  return measureLatency(() => policy.act(obs), { warmup: 500, iterations: 3000 }).p50Us;
}
