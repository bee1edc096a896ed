/**
 * PolicySpec -> ONNX. The graph takes observations as the spec does ([batch, ...obsShape],
 * channels-last for images) and returns `logits` / `q_values` / `action_mean`, plus `value`
 * when asked. Convolutions run in ONNX's NCHW layout between a Transpose in and a Transpose out
 * before Flatten, so flattening keeps our NHWC row-major order. Hidden tensors get stable names
 * (`pi.0`, `pi.0.pre`, `vf.1`, `obs_norm`) that OnnxPolicy can expose for feature distillation.
 */
import { ConfigError, checkKnownKeys } from "../core/errors.js";
import type { LayerSpec, PolicySpec } from "../nn/spec.js";
import {
  DataType,
  encodeModel,
  floatTensor,
  int8Tensor,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from "./onnx-proto.js";
import {
  dequantizeSpec,
  isQuantizedSpec,
  type QuantizedLayerSpec,
  type QuantizedPolicySpec,
  type QuantizedTensor,
} from "./quantize.js";
import { checkSpec, convGeometry, outputName } from "./spec-shapes.js";

export interface ExportOnnxOptions {
  /** Add the value head as a second output named "value" (default false; needs spec.valueLayers). */
  includeValue?: boolean;
  /** ONNX opset, 13 to 17 (default 13: per-axis DequantizeLinear needs 13; onnx 1.12's checker knows up to 17). */
  opset?: number;
  /** Graph input name (default "obs"). */
  inputName?: string;
  /**
   * Element type of the observation input (default "float32"). "uint8" takes image frames as they
   * come (MinAtar's 0/1 planes, Atari pixels): 4x fewer bytes per call, cast to float inside.
   */
  inputType?: "float32" | "uint8";
}

const OPTION_KEYS = ["includeValue", "opset", "inputName", "inputType"] as const;
/** IR version that goes with each opset (onnx/helper.py VERSION_TABLE). */
const IR_FOR_OPSET: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8 };

/** Metadata keys our importer reads back for an exact round trip of what ONNX has no op for. */
export const META = {
  output: "rldistill.output",
  logStd: "rldistill.logStd",
  actionLow: "rldistill.actionLow",
  actionHigh: "rldistill.actionHigh",
  /** The float64 epsilon and clip of obsNorm (the graph holds them as float32). */
  normEpsilon: "rldistill.obsNorm.epsilon",
  normClip: "rldistill.obsNorm.clip",
} as const;

type Layout = "vec" | "nhwc" | "nchw";

class GraphBuilder {
  nodes: OnnxNode[] = [];
  initializers: OnnxTensor[] = [];

  node(opType: string, inputs: string[], output: string, attributes: OnnxNode["attributes"] = []): string {
    this.nodes.push({ opType, inputs, outputs: [output], name: `${output}/${opType}`, attributes });
    return output;
  }

  init(t: OnnxTensor): string {
    this.initializers.push(t);
    return t.name;
  }

  /** A float weight, or int8 + scale + zero-point feeding DequantizeLinear along `axis`. */
  weight(name: string, dims: number[], w: Float32Array | QuantizedTensor, axis: number): string {
    if (w instanceof Float32Array) return this.init(floatTensor(name, dims, w));
    const q = this.init(int8Tensor(`${name}_quantized`, dims, w.data));
    const scale = this.init(floatTensor(`${name}_scale`, [w.scale.length], w.scale));
    const zero = this.init(int8Tensor(`${name}_zero_point`, [w.scale.length], new Int8Array(w.scale.length)));
    return this.node("DequantizeLinear", [q, scale, zero], name, [{ name: "axis", type: "int", i: axis }]);
  }
}

/** HWIO [k][k][in][out] -> OIHW [out][in][k][k]; works on any element type. */
function hwioToOihw<T extends Float32Array | Int8Array>(w: T, k: number, inC: number, outC: number): T {
  const out = new (w.constructor as { new (n: number): T })(w.length);
  for (let kh = 0; kh < k; kh++)
    for (let kw = 0; kw < k; kw++)
      for (let i = 0; i < inC; i++)
        for (let o = 0; o < outC; o++)
          out[((o * inC + i) * k + kh) * k + kw] = w[((kh * k + kw) * inC + i) * outC + o]!;
  return out;
}

function addStack(
  g: GraphBuilder,
  prefix: string,
  input: string,
  inputLayout: Layout,
  layers: Array<LayerSpec | QuantizedLayerSpec>,
  finalName: string,
): void {
  let x = input;
  let layout = inputLayout;
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    const name = last ? finalName : `${prefix}.${i}`;
    const p = `${prefix}.${i}`;
    if (layer.kind === "flatten") {
      if (layout === "nchw")
        x = g.node("Transpose", [x], `${p}.nhwc`, [{ name: "perm", type: "ints", ints: [0, 2, 3, 1] }]);
      x = g.node("Flatten", [x], name, [{ name: "axis", type: "int", i: 1 }]);
      layout = "vec";
      return;
    }
    const act = layer.activation;
    const pre = act === "linear" ? name : `${p}.pre`;
    const bias = g.init(floatTensor(`${p}.bias`, [layer.bias.length], layer.bias));
    if (layer.kind === "dense") {
      const w = g.weight(`${p}.weight`, [layer.inSize, layer.outSize], layer.weight, 1);
      x = g.node("Gemm", [x, w, bias], pre);
    } else {
      if (layout === "nhwc")
        x = g.node("Transpose", [x], `${p}.nchw`, [{ name: "perm", type: "ints", ints: [0, 3, 1, 2] }]);
      const [, , inC] = layer.inShape;
      const k = layer.kernelSize;
      const oihw =
        layer.weight instanceof Float32Array
          ? hwioToOihw(layer.weight, k, inC, layer.outChannels)
          : { ...layer.weight, data: hwioToOihw(layer.weight.data, k, inC, layer.outChannels) };
      const w = g.weight(`${p}.weight`, [layer.outChannels, inC, k, k], oihw, 0);
      const geo = convGeometry(layer);
      x = g.node("Conv", [x, w, bias], pre, [
        { name: "kernel_shape", type: "ints", ints: [k, k] },
        { name: "strides", type: "ints", ints: [layer.stride, layer.stride] },
        { name: "pads", type: "ints", ints: [geo.padTop, geo.padLeft, geo.padBottom, geo.padRight] },
      ]);
      layout = "nchw";
    }
    if (act === "relu") x = g.node("Relu", [x], name);
    else if (act === "tanh") x = g.node("Tanh", [x], name);
  });
}

function addObsNorm(g: GraphBuilder, spec: Pick<PolicySpec, "obsNorm" | "obsShape">, input: string): string {
  const norm = spec.obsNorm;
  if (!norm) return input;
  const shape = spec.obsShape;
  // Kept as Sub, Div(Sqrt(var + eps)), Clip so the importer recovers mean, var, epsilon and clip
  // exactly; onnxruntime folds the constant part when it loads the model.
  const mean = g.init(floatTensor("obs_norm.mean", shape, norm.mean));
  const variance = g.init(floatTensor("obs_norm.var", shape, norm.var));
  const eps = g.init(floatTensor("obs_norm.epsilon", [], Float32Array.of(norm.epsilon)));
  const std = g.node("Sqrt", [g.node("Add", [variance, eps], "obs_norm.var_eps")], "obs_norm.std");
  const centered = g.node("Sub", [input, mean], "obs_norm.centered");
  const scaled = g.node("Div", [centered, std], "obs_norm.scaled");
  const lo = g.init(floatTensor("obs_norm.clip_min", [], Float32Array.of(-norm.clip)));
  const hi = g.init(floatTensor("obs_norm.clip_max", [], Float32Array.of(norm.clip)));
  return g.node("Clip", [scaled, lo, hi], "obs_norm");
}

function floatList(a: Float32Array): string {
  return JSON.stringify(Array.from(a));
}

/** Serialises a float or int8 spec as an ONNX model (bytes of a .onnx file). */
export function exportOnnx(
  spec: PolicySpec | QuantizedPolicySpec,
  options: ExportOnnxOptions = {},
): Uint8Array {
  checkKnownKeys("exportOnnx options", options, OPTION_KEYS);
  const opset = options.opset ?? 13;
  const irVersion = IR_FOR_OPSET[opset];
  if (irVersion === undefined)
    throw new ConfigError("opset", `${opset} is not allowed; allowed: 13, 14, 15, 16, 17`);
  const inputName = options.inputName ?? "obs";
  checkSpec(isQuantizedSpec(spec) ? dequantizeSpec(spec) : spec);
  if (options.includeValue && !spec.valueLayers) {
    throw new ConfigError("includeValue", "the spec has no valueLayers to export as a value output");
  }

  const inputType = options.inputType ?? "float32";
  if (inputType !== "float32" && inputType !== "uint8")
    throw new ConfigError(
      "inputType",
      `${JSON.stringify(inputType)} is not allowed; allowed: float32, uint8`,
    );
  const g = new GraphBuilder();
  const input =
    inputType === "uint8"
      ? g.node("Cast", [inputName], "obs_float", [{ name: "to", type: "int", i: DataType.FLOAT }])
      : inputName;
  const normed = addObsNorm(g, spec, input);
  const inLayout: Layout = spec.obsShape.length === 3 ? "nhwc" : "vec";
  const mainName = outputName(spec.output);
  addStack(g, "pi", normed, inLayout, spec.layers, mainName);
  const outputs: OnnxValueInfo[] = [
    { name: mainName, elemType: DataType.FLOAT, shape: ["batch", spec.actionSize] },
  ];
  if (options.includeValue && spec.valueLayers) {
    addStack(g, "vf", normed, inLayout, spec.valueLayers, "value");
    outputs.push({ name: "value", elemType: DataType.FLOAT, shape: ["batch", 1] });
  }

  const metadata: Record<string, string> = { [META.output]: spec.output };
  if (spec.obsNorm) {
    metadata[META.normEpsilon] = String(spec.obsNorm.epsilon);
    metadata[META.normClip] = String(spec.obsNorm.clip);
  }
  if (spec.logStd) metadata[META.logStd] = floatList(spec.logStd);
  if (spec.actionLow) metadata[META.actionLow] = floatList(spec.actionLow);
  if (spec.actionHigh) metadata[META.actionHigh] = floatList(spec.actionHigh);

  return encodeModel({
    irVersion,
    opsetImports: [{ domain: "", version: opset }],
    producerName: "rldistill",
    producerVersion: "0.1.0",
    graph: {
      name: "rldistill_policy",
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [
        {
          name: inputName,
          elemType: inputType === "uint8" ? DataType.UINT8 : DataType.FLOAT,
          shape: ["batch", ...spec.obsShape],
        },
      ],
      outputs,
    },
    metadata,
  });
}
