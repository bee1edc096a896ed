/**
 * The graph side of importOnnx (onnx-import.ts): traces an output back to the input through the
 * one non-constant input of every node, and reads that chain as PolicySpec layers (Gemm/MatMul +
 * Add, activations, Conv with NCHW -> channels-last weights, Flatten/Reshape/Transpose, the
 * normalisation prefix, the distribution tail that is dropped). Unsupported nodes are named.
 */
import { ArtifactError } from "../core/errors.js";
import type { Activation, Conv2dLayerSpec, DenseLayerSpec, LayerSpec, ObsNormSpec } from "../nn/spec.js";
import {
  attr,
  broadcastTo,
  type Const,
  type Constants,
  chwToHwc,
  floatAttr,
  intAttr,
  intsAttr,
  label,
} from "./onnx-graph.js";
import { DataType, type OnnxNode } from "./onnx-proto.js";
import { convGeometry } from "./spec-shapes.js";

const SUPPORTED =
  "Gemm, MatMul, Add (bias), Relu, Tanh, Conv, Flatten, Reshape, Transpose, Identity, Dropout, Cast, " +
  "Sub/Div/Clip (normalisation), Softmax/LogSoftmax (at the end)";
/** Ops at the end of a discrete policy that leave its action distribution unchanged. */
const DISTRIBUTION_TAIL = new Set(["Softmax", "LogSoftmax", "LogitsNormalise"]);

interface StackResult {
  layers: LayerSpec[];
  norm?: ObsNormSpec;
}

export interface Context {
  consts: Constants;
  producer: Map<string, OnnxNode>;
  inputName: string;
  /** Per-sample input dims as declared in the graph. */
  inputDims: number[];
  allowNchwInput: boolean;
}

/** The nodes from the input to `output`, in execution order. */
export function traceChain(ctx: Context, output: string): OnnxNode[] {
  const chain: OnnxNode[] = [];
  let t = output;
  while (t !== ctx.inputName) {
    const node = ctx.producer.get(t);
    if (!node)
      throw new ArtifactError(`tensor "${t}" is neither the input "${ctx.inputName}" nor computed by a node`);
    let data = node.inputs.filter((i) => i !== "" && !ctx.consts.get(i) && !ctx.consts.ints(i));
    const shifted = logitsNormalised(ctx, node);
    if (shifted !== undefined) data = [shifted];
    if (data.length !== 1) {
      throw new ArtifactError(
        `${label(node)} combines ${data.length} computed tensors; only sequential stacks are supported`,
      );
    }
    chain.unshift(node);
    t = data[0]!;
    if (chain.length > 100_000) throw new ArtifactError("graph has a cycle");
  }
  return chain;
}

/**
 * torch.distributions.Categorical(logits=x) writes `x - logsumexp(x)`: the input x when `node` is
 * that Sub, else undefined. It shifts each row by a constant, so the policy is unchanged.
 */
function logitsNormalised(ctx: Context, node: OnnxNode): string | undefined {
  if (node.opType !== "Sub") return undefined;
  const [x, lse] = node.inputs;
  const r = ctx.producer.get(lse ?? "");
  return r?.opType === "ReduceLogSumExp" && r.inputs[0] === x ? x : undefined;
}

/** Cast to float32 (SB3's `obs.float()`) is a no-op on float observations. */
function castsToFloat(node: OnnxNode): boolean {
  return intAttr(node, "to", DataType.FLOAT) === DataType.FLOAT;
}

export function isNchwInput(ctx: Context, chain: OnnxNode[]): boolean {
  if (ctx.inputDims.length !== 3) return false;
  const first = chain.find((n) =>
    ["Conv", "Transpose", "Flatten", "Reshape", "Gemm", "MatMul"].includes(n.opType),
  );
  return first?.opType === "Conv";
}

/** Recovers var and epsilon exactly from Div(x, Sqrt(Add(var, eps))), else var = std^2, eps = 0. */
function normScale(
  ctx: Context,
  divisor: string,
  shape: number[],
): { variance: Float32Array; epsilon: number } {
  const sqrt = ctx.producer.get(divisor);
  const add = sqrt?.opType === "Sqrt" ? ctx.producer.get(sqrt.inputs[0]!) : undefined;
  if (add?.opType === "Add") {
    const [a, b] = add.inputs.map((i) => ctx.consts.get(i));
    if (a && b && (a.data.length === 1 || b.data.length === 1)) {
      const [v, e] = b.data.length === 1 ? [a, b] : [b, a];
      return { variance: broadcastTo("normalisation variance", v, shape), epsilon: e.data[0]! };
    }
  }
  const std = broadcastTo("normalisation divisor", ctx.consts.get(divisor)!, shape);
  return { variance: std.map((s) => s * s), epsilon: 0 };
}

/** An ONNX Conv (NCHW, OIHW weight) as a channels-last conv2d layer; padding must be valid or TF same. */
function convLayer(
  node: OnnxNode,
  shape: [number, number, number],
  constIn: (node: OnnxNode, index: number, what: string) => Const,
): Conv2dLayerSpec {
  const w = constIn(node, 1, "weight");
  const [outC, inC, kh, kw] = w.dims as [number, number, number, number];
  const [h, wd, c] = shape;
  const strides = intsAttr(node, "strides") ?? [1, 1];
  const pads = intsAttr(node, "pads") ?? [0, 0, 0, 0];
  const autoPad = attr(node, "auto_pad");
  const dil = intsAttr(node, "dilations") ?? [1, 1];
  if (
    inC !== c ||
    kh !== kw ||
    strides[0] !== strides[1] ||
    intAttr(node, "group", 1) !== 1 ||
    dil.some((d) => d !== 1)
  ) {
    throw new ArtifactError(
      `${label(node)}: needs square kernels, equal strides, group 1 and dilation 1 over ${c} channels (weight [${w.dims.join(", ")}], strides [${strides.join(", ")}])`,
    );
  }
  const base = { inShape: [h, wd, c] as [number, number, number], kernelSize: kh, stride: strides[0]! };
  const same = convGeometry({ ...base, padding: "same" });
  const autoPadMode = autoPad?.type === "string" ? autoPad.s : "NOTSET";
  let padding: "valid" | "same";
  if (autoPadMode === "VALID" || (autoPadMode === "NOTSET" && pads.every((p) => p === 0))) padding = "valid";
  else if (
    autoPadMode === "SAME_UPPER" ||
    (autoPadMode === "NOTSET" &&
      pads.join() === [same.padTop, same.padLeft, same.padBottom, same.padRight].join())
  )
    padding = "same";
  else
    throw new ArtifactError(
      `${label(node)}: pads [${pads.join(", ")}] (auto_pad ${autoPadMode}) are neither "valid" nor TensorFlow "same" padding`,
    );
  // OIHW -> HWIO
  const hwio = new Float32Array(w.data.length);
  for (let o = 0; o < outC; o++)
    for (let i = 0; i < inC; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          hwio[((y * kw + x) * inC + i) * outC + o] = w.data[((o * inC + i) * kh + y) * kw + x]!;
  const bias = node.inputs[2]
    ? broadcastTo("Conv bias", constIn(node, 2, "bias"), [outC])
    : new Float32Array(outC);
  return {
    kind: "conv2d",
    ...base,
    outChannels: outC,
    padding,
    weight: hwio,
    bias,
    activation: "linear",
  };
}

export function parseStack(ctx: Context, chain: OnnxNode[], where: string): StackResult {
  const nchwInput = isNchwInput(ctx, chain);
  if (nchwInput && !ctx.allowNchwInput) {
    throw new ArtifactError(
      `input "${ctx.inputName}" [${ctx.inputDims.join(", ")}] feeds a Conv directly, so it is NCHW (PyTorch's layout); ` +
        "PolicySpec convolutions take channels-last observations. Pass { allowNchwInput: true } to import it as [H, W, C] (observations must then be transposed)",
    );
  }
  // Per-sample shape as our spec sees it, and whether the ONNX tensor is currently NCHW.
  const [d0, d1, d2] = ctx.inputDims;
  let shape = nchwInput ? [d1!, d2!, d0!] : ctx.inputDims.slice();
  let nchw = nchwInput;
  const layers: LayerSpec[] = [];
  const norm: { mean?: Float32Array; variance?: Float32Array; epsilon?: number; clip?: number } = {};
  let activatable: Exclude<LayerSpec, { kind: "flatten" }> | undefined;
  let biasPending: DenseLayerSpec | undefined;
  let rowPerm: [number, number, number] | undefined; // CHW flatten to undo in the next dense layer
  let tail: string | undefined; // set once a distribution op (Softmax, ...) was seen
  /** A per-sample constant in our layout (NCHW constants are permuted to HWC). */
  const perSample = (what: string, c: Const): Float32Array => {
    if (!nchw) return broadcastTo(what, c, shape);
    const [h, w, ch] = shape as [number, number, number];
    return chwToHwc(broadcastTo(what, c, [ch, h, w]), ch, h, w);
  };
  const constIn = (node: OnnxNode, index: number, what: string): Const => {
    const c = node.inputs[index] ? ctx.consts.get(node.inputs[index]) : undefined;
    if (!c) throw new ArtifactError(`${label(node)}: ${what} (input ${index}) must be a constant`);
    return c;
  };

  for (const node of chain) {
    const op = node.opType;
    const wasActivatable = activatable;
    const wasBiasPending = biasPending;
    activatable = undefined;
    biasPending = undefined;
    const normStage = layers.length === 0;
    const tailOp = logitsNormalised(ctx, node) !== undefined ? "LogitsNormalise" : op;
    if (tail && !DISTRIBUTION_TAIL.has(tailOp) && op !== "Identity") {
      throw new ArtifactError(
        `${where}: ${label(node)} follows ${tail}; only the distribution's own ops (Softmax, LogSoftmax) may come after it`,
      );
    }
    if (DISTRIBUTION_TAIL.has(tailOp)) {
      if (layers.length === 0) throw new ArtifactError(`${where}: ${label(node)} comes before any layer`);
      if (
        op !== "LogitsNormalise" &&
        op !== "Sub" &&
        intAttr(node, "axis", -1) !== -1 &&
        intAttr(node, "axis", -1) !== 1
      )
        throw new ArtifactError(`${label(node)}: only a softmax over the action axis is supported`);
      tail = tailOp === "LogitsNormalise" ? "logsumexp normalisation" : op;
      activatable = undefined;
    } else if (op === "Identity" || op === "Dropout" || (op === "Cast" && castsToFloat(node))) {
      activatable = wasActivatable;
      biasPending = wasBiasPending;
    } else if (
      op === "Sub" &&
      normStage &&
      norm.mean === undefined &&
      norm.variance === undefined &&
      norm.clip === undefined
    ) {
      if (ctx.consts.get(node.inputs[0]!))
        throw new ArtifactError(`${label(node)}: only x - constant is supported`);
      norm.mean = perSample("normalisation mean", constIn(node, 1, "mean"));
    } else if (op === "Div" && normStage && norm.variance === undefined && norm.clip === undefined) {
      constIn(node, 1, "divisor");
      const shapeHere = nchw ? [shape[2]!, shape[0]!, shape[1]!] : shape;
      const s = normScale(ctx, node.inputs[1]!, shapeHere);
      const [h, w, ch] = shape as [number, number, number];
      norm.variance = nchw ? chwToHwc(s.variance, ch, h, w) : s.variance;
      norm.epsilon = s.epsilon;
    } else if (op === "Clip" && normStage && norm.clip === undefined) {
      const lo = node.inputs[1] ? constIn(node, 1, "min").data[0]! : floatAttr(node, "min", -Infinity);
      const hi = node.inputs[2] ? constIn(node, 2, "max").data[0]! : floatAttr(node, "max", Infinity);
      if (lo !== -hi)
        throw new ArtifactError(
          `${label(node)}: clip range [${lo}, ${hi}] is not symmetric; PolicySpec clips to [-c, c]`,
        );
      norm.clip = hi;
    } else if (op === "Transpose") {
      const perm = intsAttr(node, "perm")?.join(",");
      if (shape.length === 3 && !nchw && perm === "0,3,1,2") nchw = true;
      else if (shape.length === 3 && nchw && perm === "0,2,3,1") nchw = false;
      else
        throw new ArtifactError(
          `${label(node)}: only NHWC<->NCHW transposes of images are supported, got perm [${perm}]`,
        );
    } else if (op === "Conv") {
      if (!nchw || shape.length !== 3)
        throw new ArtifactError(
          `${label(node)}: Conv needs an NCHW image here, but the tensor is [${shape.join(", ")}]${nchw ? "" : " channels-last"}`,
        );
      const layer = convLayer(node, shape as [number, number, number], constIn);
      layers.push(layer);
      const g = convGeometry(layer);
      shape = [g.outH, g.outW, layer.outChannels];
      activatable = layer;
    } else if ((op === "Flatten" || op === "Reshape") && shape.length === 1) {
      // SB3's FlattenExtractor on a vector observation: nothing to do.
      if (op === "Reshape") {
        const target = ctx.consts.ints(node.inputs[1] ?? "");
        if (target?.length !== 2 || !(target[1] === shape[0] || target[1] === -1))
          throw new ArtifactError(`${label(node)}: only a reshape to [batch, ${shape[0]}] is supported`);
      }
      activatable = wasActivatable;
      biasPending = wasBiasPending;
    } else if (op === "Flatten" || op === "Reshape") {
      if (op === "Flatten" && intAttr(node, "axis", 1) !== 1)
        throw new ArtifactError(`${label(node)}: only axis=1 is supported`);
      const size = shape.reduce((a, b) => a * b, 1);
      if (op === "Reshape") {
        const target = ctx.consts.ints(node.inputs[1] ?? "");
        if (target?.length !== 2 || !(target[1] === size || target[1] === -1)) {
          throw new ArtifactError(
            `${label(node)}: only a reshape to [batch, ${size}] is supported, got [${target?.join(", ") ?? "non-constant"}]`,
          );
        }
      }
      if (nchw) rowPerm = [shape[2]!, shape[0]!, shape[1]!];
      nchw = false;
      layers.push({ kind: "flatten" });
      shape = [size];
    } else if (op === "Gemm" || op === "MatMul") {
      if (shape.length !== 1)
        throw new ArtifactError(
          `${label(node)}: needs a vector input; flatten the [${shape.join(", ")}] tensor first`,
        );
      const b = constIn(node, 1, "weight");
      if (b.dims.length !== 2)
        throw new ArtifactError(`${label(node)}: weight must be 2-D, got [${b.dims.join(", ")}]`);
      const transB = op === "Gemm" && intAttr(node, "transB", 0) === 1;
      if (op === "Gemm" && intAttr(node, "transA", 0) !== 0)
        throw new ArtifactError(`${label(node)}: transA=1 is not supported`);
      const [inSize, outSize] = (transB ? [b.dims[1], b.dims[0]] : b.dims) as [number, number];
      if (inSize !== shape[0])
        throw new ArtifactError(
          `${label(node)}: weight expects ${inSize} inputs, the tensor has ${shape[0]}`,
        );
      const alpha = op === "Gemm" ? floatAttr(node, "alpha", 1) : 1;
      let weight: Float32Array = new Float32Array(inSize * outSize);
      for (let i = 0; i < inSize; i++)
        for (let o = 0; o < outSize; o++)
          weight[i * outSize + o] = alpha * b.data[transB ? o * inSize + i : i * outSize + o]!;
      if (rowPerm) {
        const [c, h, w] = rowPerm;
        weight = chwToHwc(weight, c, h, w, outSize);
        rowPerm = undefined;
      }
      const beta = op === "Gemm" ? floatAttr(node, "beta", 1) : 1;
      const bias = node.inputs[2]
        ? broadcastTo("Gemm bias", constIn(node, 2, "bias"), [outSize]).map((v) => beta * v)
        : new Float32Array(outSize);
      const layer: DenseLayerSpec = { kind: "dense", inSize, outSize, weight, bias, activation: "linear" };
      layers.push(layer);
      shape = [outSize];
      activatable = layer;
      if (op === "MatMul") biasPending = layer;
    } else if (op === "Add" && wasBiasPending) {
      const idx = ctx.consts.get(node.inputs[1]!) ? 1 : 0;
      wasBiasPending.bias = broadcastTo("MatMul bias", constIn(node, idx, "bias"), [wasBiasPending.outSize]);
      activatable = wasActivatable;
    } else if (op === "Elu" || op === "LeakyRelu" || op === "Sigmoid" || op === "Selu") {
      throw new ArtifactError(
        `${where}: ${label(node)}: ${op} is not a PolicySpec activation (linear, relu, tanh). ` +
          "Use the ONNX file itself as a teacher (it runs in onnxruntime) and distil it into a student",
      );
    } else if (op === "Relu" || op === "Tanh") {
      if (!wasActivatable)
        throw new ArtifactError(
          `${label(node)}: an activation must directly follow Gemm, MatMul(+Add) or Conv`,
        );
      wasActivatable.activation = op.toLowerCase() as Activation;
    } else {
      throw new ArtifactError(
        `${where}: unsupported ONNX op "${op}" (${label(node)}); supported: ${SUPPORTED}`,
      );
    }
  }
  if (shape.length !== 1)
    throw new ArtifactError(`${where}: the output is not a vector per sample (shape [${shape.join(", ")}])`);
  if (rowPerm)
    throw new ArtifactError(`${where}: a flatten of an NCHW tensor must be followed by a dense layer`);
  const result: StackResult = { layers };
  if (norm.mean || norm.variance || norm.clip !== undefined) {
    const n = ctx.inputDims.reduce((a, b) => a * b, 1);
    result.norm = {
      mean: norm.mean ?? new Float32Array(n),
      var: norm.variance ?? new Float32Array(n).fill(1),
      epsilon: norm.epsilon ?? 0,
      clip: norm.clip ?? Infinity,
    };
  }
  return result;
}
