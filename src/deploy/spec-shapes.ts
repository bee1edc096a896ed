/**
 * Shape bookkeeping for a PolicySpec's sequential stack, shared by the ONNX exporter, the
 * standalone runtime writer and the tests, so a malformed spec fails at export with the field
 * named instead of producing a file that breaks at inference.
 */
import { ConfigError } from "../core/errors.js";
import type { Conv2dLayerSpec, LayerSpec, PolicySpec } from "../nn/spec.js";

/** Convolution geometry with TensorFlow's "same" rule (extra padding goes after: bottom/right). */
export interface ConvGeometry {
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

export function convGeometry(
  layer: Pick<Conv2dLayerSpec, "inShape" | "kernelSize" | "stride" | "padding">,
): ConvGeometry {
  const [h, w] = layer.inShape;
  const k = layer.kernelSize;
  const s = layer.stride;
  if (layer.padding === "valid") {
    return {
      outH: Math.floor((h - k) / s) + 1,
      outW: Math.floor((w - k) / s) + 1,
      padTop: 0,
      padLeft: 0,
      padBottom: 0,
      padRight: 0,
    };
  }
  const outH = Math.ceil(h / s);
  const outW = Math.ceil(w / s);
  const padH = Math.max((outH - 1) * s + k - h, 0);
  const padW = Math.max((outW - 1) * s + k - w, 0);
  const padTop = Math.floor(padH / 2);
  const padLeft = Math.floor(padW / 2);
  return { outH, outW, padTop, padLeft, padBottom: padH - padTop, padRight: padW - padLeft };
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Walks a layer stack from `obsShape` and returns the shape after each layer; throws a
 * ConfigError naming the first layer whose sizes do not chain.
 */
export function layerShapes(field: string, obsShape: number[], layers: LayerSpec[]): number[][] {
  let shape = obsShape.slice();
  const out: number[][] = [];
  layers.forEach((layer, i) => {
    const at = `${field}[${i}]`;
    if (layer.kind === "flatten") {
      shape = [size(shape)];
    } else if (layer.kind === "dense") {
      if (shape.length !== 1 || shape[0] !== layer.inSize) {
        throw new ConfigError(
          `${at}.inSize`,
          `is ${layer.inSize} but the incoming shape is [${shape.join(", ")}] (add a flatten layer before a dense layer after a conv)`,
        );
      }
      if (layer.weight.length !== layer.inSize * layer.outSize) {
        throw new ConfigError(
          `${at}.weight`,
          `has ${layer.weight.length} entries; expected inSize*outSize = ${layer.inSize * layer.outSize}`,
        );
      }
      if (layer.bias.length !== layer.outSize)
        throw new ConfigError(
          `${at}.bias`,
          `has ${layer.bias.length} entries; expected outSize = ${layer.outSize}`,
        );
      shape = [layer.outSize];
    } else if (layer.kind === "conv2d") {
      if (!sameShape(shape, layer.inShape)) {
        throw new ConfigError(
          `${at}.inShape`,
          `is [${layer.inShape.join(", ")}] but the incoming shape is [${shape.join(", ")}]`,
        );
      }
      if (layer.padding !== "valid" && layer.padding !== "same") {
        throw new ConfigError(`${at}.padding`, `"${layer.padding}" is not allowed; allowed: valid, same`);
      }
      const expected = layer.kernelSize * layer.kernelSize * layer.inShape[2] * layer.outChannels;
      if (layer.weight.length !== expected)
        throw new ConfigError(
          `${at}.weight`,
          `has ${layer.weight.length} entries; expected k*k*inC*outC = ${expected}`,
        );
      if (layer.bias.length !== layer.outChannels)
        throw new ConfigError(
          `${at}.bias`,
          `has ${layer.bias.length} entries; expected outChannels = ${layer.outChannels}`,
        );
      const g = convGeometry(layer);
      if (g.outH < 1 || g.outW < 1)
        throw new ConfigError(
          `${at}.kernelSize`,
          `${layer.kernelSize} is larger than the input [${shape.join(", ")}]`,
        );
      shape = [g.outH, g.outW, layer.outChannels];
    } else {
      throw new ConfigError(
        `${at}.kind`,
        `"${(layer as { kind: string }).kind}" is not allowed; allowed: dense, conv2d, flatten`,
      );
    }
    if ("activation" in layer && !["linear", "relu", "tanh"].includes(layer.activation)) {
      throw new ConfigError(
        `${at}.activation`,
        `"${layer.activation}" is not allowed; allowed: linear, relu, tanh`,
      );
    }
    out.push(shape);
  });
  return out;
}

/** Checks the whole spec (both stacks, output sizes, normalisation sizes). */
export function checkSpec(spec: PolicySpec): void {
  const obsSize = size(spec.obsShape);
  if (spec.obsNorm && (spec.obsNorm.mean.length !== obsSize || spec.obsNorm.var.length !== obsSize)) {
    throw new ConfigError(
      "obsNorm.mean",
      `mean/var need ${obsSize} entries (obsShape [${spec.obsShape.join(", ")}])`,
    );
  }
  // Infinity means "no clipping"; 0 or less would map every observation to 0 (or be ill-defined).
  if (spec.obsNorm && !(spec.obsNorm.clip > 0)) {
    throw new ConfigError("obsNorm.clip", `must be > 0 (Infinity for no clipping), got ${spec.obsNorm.clip}`);
  }
  if (!["logits", "q", "mean"].includes(spec.output)) {
    throw new ConfigError("output", `"${spec.output}" is not allowed; allowed: logits, q, mean`);
  }
  const piShapes = layerShapes("layers", spec.obsShape, spec.layers);
  const last = piShapes[piShapes.length - 1];
  if (last?.length !== 1 || last[0] !== spec.actionSize) {
    throw new ConfigError(
      "layers",
      `the stack must end in a vector of actionSize = ${spec.actionSize}, got [${last?.join(", ") ?? ""}]`,
    );
  }
  if (spec.valueLayers) {
    const v = layerShapes("valueLayers", spec.obsShape, spec.valueLayers);
    const vLast = v[v.length - 1];
    if (vLast?.length !== 1 || vLast[0] !== 1)
      throw new ConfigError("valueLayers", "the value stack must end in a vector of size 1");
  }
}

/** Output name in ONNX files and runtime results, by the spec's output kind. */
export function outputName(output: PolicySpec["output"]): "logits" | "q_values" | "action_mean" {
  return output === "logits" ? "logits" : output === "q" ? "q_values" : "action_mean";
}
