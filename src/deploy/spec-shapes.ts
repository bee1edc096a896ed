/**
 * Shape bookkeeping for a PolicySpec's sequential stack, shared by the ONNX exporter, the
 * standalone runtime writer and the tests, so a malformed spec fails at export with the field
 * named instead of producing a file that breaks at inference.
 */
import { ConfigError } from "../core/errors.js";
import { layerShapes, type PolicySpec } from "../nn/spec.js";

export { type ConvGeometry, convGeometry } from "../nn/spec.js";

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
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
  const piShapes = layerShapes(spec.layers, "layers", spec.obsShape);
  const last = piShapes[piShapes.length - 1];
  if (last?.length !== 1 || last[0] !== spec.actionSize) {
    throw new ConfigError(
      "layers",
      `the stack must end in a vector of actionSize = ${spec.actionSize}, got [${last?.join(", ") ?? ""}]`,
    );
  }
  if (spec.valueLayers) {
    const v = layerShapes(spec.valueLayers, "valueLayers", spec.obsShape);
    const vLast = v[v.length - 1];
    if (vLast?.length !== 1 || vLast[0] !== 1)
      throw new ConfigError("valueLayers", "the value stack must end in a vector of size 1");
  }
}

/** Output name in ONNX files and runtime results, by the spec's output kind. */
export function outputName(output: PolicySpec["output"]): "logits" | "q_values" | "action_mean" {
  return output === "logits" ? "logits" : output === "q" ? "q_values" : "action_mean";
}
