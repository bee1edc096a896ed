/**
 * ONNX -> PolicySpec for sequential policy networks as PyTorch (torch.onnx.export), Stable-
 * Baselines3's export recipes, CleanRL and our own exporter write them: Gemm (any transB, alpha,
 * beta) or MatMul + Add, Relu, Tanh, Conv, Flatten/Reshape, Transpose, Identity/Dropout/Cast,
 * an observation normalisation prefix (Sub, Div, Clip; SB3's `obs.float() / 255` for images), and
 * a distribution tail that does not change the policy (Softmax, LogSoftmax, SB3's
 * `logits - logsumexp(logits)`), which is dropped: the spec outputs the logits.
 * Which output is the policy and which the value is decided by `chooseOutputs` (onnx-outputs.ts).
 * PyTorch's NCHW image input becomes the spec's channels-last [H, W, C] (weights are permuted).
 * Each output is traced back to the input through the one non-constant input of every node; a
 * node outside that vocabulary is reported by op type and name. Elu and LeakyRelu are not
 * PolicySpec activations: such models run as teachers through onnxruntime but do not import.
 */
import { ArtifactError, ConfigError, checkKnownKeys } from "../core/errors.js";
import type { ObsNormSpec, PolicySpec } from "../nn/spec.js";
import { META } from "./onnx-export.js";
import { broadcastTo, Constants } from "./onnx-graph.js";
import { chooseOutputs, type PolicyOutputKind } from "./onnx-outputs.js";
import { decodeModel, type OnnxNode } from "./onnx-proto.js";
import { describeInput } from "./onnx-runtime.js";
import { type Context, isNchwInput, parseStack, traceChain } from "./onnx-trace.js";

export interface ImportOnnxOptions {
  /**
   * What the policy tensor holds when the graph does not say: logits, probs (read as logits:
   * a final Softmax is dropped), q or mean. Default: see `chooseOutputs`.
   */
  output?: PolicySpec["output"] | "probs";
  /** The policy tensor by name (a graph output or an intermediate tensor). */
  outputName?: string;
  /** The value tensor by name, or "none". */
  valueName?: string;
  /** Gaussian policies: log std as an initializer name or a constant. */
  logStd?: string | number;
  /** Number of actions (or action dimensions), to pick the policy among several outputs. */
  actionSize?: number;
  /**
   * Accept image models whose input is NCHW (PyTorch's layout); the spec then takes
   * channels-last observations [H, W, C], as the project's envs give them. Default true.
   */
  allowNchwInput?: boolean;
}

const OPTION_KEYS = ["output", "outputName", "valueName", "logStd", "actionSize", "allowNchwInput"] as const;

function floatsFromMeta(meta: Record<string, string>, key: string): Float32Array | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  try {
    return Float32Array.from(JSON.parse(v) as number[]);
  } catch {
    throw new ArtifactError(`ONNX metadata ${key}: not a JSON list of numbers`);
  }
}

/** Our exporter keeps epsilon and clip as float64 in metadata; use them when they match the graph. */
function withExactScalars(norm: ObsNormSpec, meta: Record<string, string>): ObsNormSpec {
  const out = { ...norm };
  const eps = Number(meta[META.normEpsilon]);
  const clip = Number(meta[META.normClip]);
  if (meta[META.normEpsilon] !== undefined && Math.fround(eps) === norm.epsilon) out.epsilon = eps;
  if (meta[META.normClip] !== undefined && Math.fround(clip) === norm.clip) out.clip = clip;
  return out;
}

function sameNorm(a?: ObsNormSpec, b?: ObsNormSpec): boolean {
  if (!a || !b) return a === b;
  const eq = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.mean, b.mean) && eq(a.var, b.var) && a.epsilon === b.epsilon && a.clip === b.clip;
}

/** A Gaussian policy's log std from an initializer (SB3's `log_std`) or a constant. */
function logStdOf(ctx: Context, source: string | number | undefined, k: number): Float32Array | undefined {
  if (source === undefined) return undefined;
  if (typeof source === "number") return new Float32Array(k).fill(source);
  const c = ctx.consts.get(source);
  if (!c)
    throw new ArtifactError(
      `log std "${source}": not a constant tensor; a PolicySpec has a state-independent log std (give logstd=VALUE)`,
    );
  return broadcastTo(`log std "${source}"`, c, [k]);
}

/** Reads an ONNX policy network into a PolicySpec (float32; int8 weights are dequantized). */
export function importOnnx(bytes: Uint8Array, options: ImportOnnxOptions = {}): PolicySpec {
  checkKnownKeys("importOnnx options", options, OPTION_KEYS);
  if (options.output !== undefined && !["logits", "probs", "q", "mean"].includes(options.output)) {
    throw new ConfigError("output", `"${options.output}" is not allowed; allowed: logits, probs, q, mean`);
  }
  const model = decodeModel(bytes);
  const g = model.graph;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const producer = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const { inputName, obsShape: inputDims } = describeInput(model);
  const ctx: Context = {
    consts: new Constants(inits, producer),
    producer,
    inputName,
    inputDims,
    allowNchwInput: options.allowNchwInput ?? true,
  };

  const choice = chooseOutputs(model, {
    output: options.outputName,
    kind: options.output as PolicyOutputKind | undefined,
    value: options.valueName,
    logStd: options.logStd,
    actionSize: options.actionSize,
  });
  const meta = model.metadata ?? {};
  const kind: PolicySpec["output"] = choice.kind === "probs" ? "logits" : choice.kind;

  const where = `output "${choice.policy}"`;
  const chain = traceChain(ctx, choice.policy);
  const pi = parseStack(ctx, chain, where);
  const last = pi.layers[pi.layers.length - 1];
  if (last?.kind !== "dense")
    throw new ArtifactError(`${where}: the stack must end in a Gemm or MatMul layer`);
  if (choice.kind === "probs" && !chain.some((n) => n.opType === "Softmax"))
    throw new ArtifactError(
      `${where}: holds probabilities but no Softmax was found to drop; a PolicySpec outputs logits`,
    );
  const spec: PolicySpec = {
    obsShape: isNchwInput(ctx, chain) ? [inputDims[1]!, inputDims[2]!, inputDims[0]!] : inputDims,
    output: kind,
    actionSize: last.outSize,
    layers: pi.layers,
  };
  if (pi.norm) spec.obsNorm = withExactScalars(pi.norm, meta);
  if (choice.value) {
    const v = parseStack(ctx, traceChain(ctx, choice.value), `value "${choice.value}"`);
    if (!sameNorm(pi.norm, v.norm))
      throw new ArtifactError(
        'output "value": its observation normalisation differs from the policy output\'s',
      );
    spec.valueLayers = v.layers;
  }
  const logStd = floatsFromMeta(meta, META.logStd) ?? logStdOf(ctx, choice.logStd, spec.actionSize);
  const low = floatsFromMeta(meta, META.actionLow);
  const high = floatsFromMeta(meta, META.actionHigh);
  if (logStd) spec.logStd = logStd;
  if (low) spec.actionLow = low;
  if (high) spec.actionHigh = high;
  return spec;
}
