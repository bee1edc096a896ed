/**
 * One line saying what a policy network is, for the "built:" line every run prints and for error
 * messages: layer widths from input to output, activations, output kind, value head.
 *
 *   describeNetwork(spec)  // "4-256-256-2 tanh, logits; value head 4-256-256-1"
 */
import type { LayerSpec, PolicySpec } from "../nn/spec.js";

function widths(layers: readonly LayerSpec[], obsShape: readonly number[]): string {
  const parts: string[] = [obsShape.join("x")];
  for (const l of layers) {
    if (l.kind === "dense") parts.push(String(l.outSize));
    else if (l.kind === "conv2d") parts.push(`conv${l.kernelSize}x${l.kernelSize}:${l.outChannels}`);
  }
  return parts.join("-");
}

function activations(layers: readonly LayerSpec[]): string {
  const hidden = layers.slice(0, -1).filter((l) => l.kind !== "flatten") as Array<{ activation: string }>;
  const set = [...new Set(hidden.map((l) => l.activation))];
  return set.length ? set.join("/") : "linear";
}

/** "4-256-256-2 tanh, logits; value head 4-256-256-1". */
export function describeNetwork(spec: PolicySpec): string {
  let text = `${widths(spec.layers, spec.obsShape)} ${activations(spec.layers)}, ${spec.output}`;
  if (spec.valueLayers?.length) text += `; value head ${widths(spec.valueLayers, spec.obsShape)}`;
  return text;
}
