/**
 * PolicySpec layers from a PyTorch `state_dict`: the `nn.Linear` layers of an `nn.Sequential`
 * under a key prefix (`<prefix>.<index>.weight` / `.bias`, indices in order), with the hidden
 * activation the state_dict cannot record given by the caller. This is how CleanRL actors
 * (`actor`, `actor_mean` + `actor_logstd`, `network` for DQN) and Stable-Baselines3's MLPs
 * (`mlp_extractor.policy_net` + `action_net`, `q_net.q_net`, `actor.latent_pi` + `actor.mu`)
 * become specs.
 *
 * The architecture description for a plain state_dict (`--teacher-arch`, `TorchArch`) is
 * `PREFIX:ACTIVATION`, e.g. `actor:tanh` (CleanRL ppo.py), `actor_mean:tanh` (ppo_continuous_action.py),
 * `network:relu` (dqn.py), or just `tanh` for a bare nn.Sequential's own state_dict.
 */
import { ArtifactError, ConfigError } from "../../../core/errors.js";
import type { Activation, DenseLayerSpec } from "../../../nn/spec.js";
import type { StateDict, Tensor } from "./state-dict.js";

export const TORCH_ACTIVATIONS: Record<string, Activation> = { tanh: "tanh", relu: "relu" };

export interface TorchArch {
  /** Key prefix of the nn.Sequential ("" for a bare one). */
  prefix: string;
  activation: Activation;
}

/** "actor:tanh" -> { prefix: "actor", activation: "tanh" }. */
export function parseTorchArch(text: string, field = "teacherArch"): TorchArch {
  const i = text.lastIndexOf(":");
  const prefix = i < 0 ? "" : text.slice(0, i).trim();
  const act = (i < 0 ? text : text.slice(i + 1)).trim().toLowerCase();
  if (act === "elu" || act === "leakyrelu" || act === "leaky_relu")
    throw new ConfigError(
      field,
      `${act} is not a PolicySpec activation; export the actor to ONNX (it then runs in onnxruntime, docs/byom.md)`,
    );
  const activation = TORCH_ACTIVATIONS[act];
  if (!activation)
    throw new ConfigError(
      field,
      `"${text}": expected [PREFIX:]ACTIVATION with ACTIVATION one of tanh, relu (e.g. actor:tanh)`,
    );
  return { prefix, activation };
}

/** torch Linear weight [out, in] -> our row-major [in][out]. */
export function denseFromTorch(
  weight: Tensor,
  bias: Tensor | undefined,
  activation: Activation,
  name: string,
): DenseLayerSpec {
  if (weight.shape.length !== 2)
    throw new ArtifactError(`${name}.weight: expected 2 dimensions, got [${weight.shape.join(", ")}]`);
  const [outSize, inSize] = weight.shape as [number, number];
  const w = new Float32Array(inSize * outSize);
  for (let o = 0; o < outSize; o++)
    for (let i = 0; i < inSize; i++) w[i * outSize + o] = weight.data[o * inSize + i]!;
  if (bias && bias.data.length !== outSize)
    throw new ArtifactError(`${name}.bias: ${bias.data.length} values for ${outSize} outputs`);
  return {
    kind: "dense",
    inSize,
    outSize,
    weight: w,
    bias: bias ? Float32Array.from(bias.data) : new Float32Array(outSize),
    activation,
  };
}

/** The Linear layers of the nn.Sequential at `prefix`, each followed by `activation` (set the last one yourself). */
export function linearStack(
  sd: StateDict,
  prefix: string,
  activation: Activation,
  label: string,
): DenseLayerSpec[] {
  const dot = prefix === "" ? "" : `${prefix}.`;
  const indices = [...sd.keys()]
    .map((k) => new RegExp(`^${dot.replace(/\./g, "\\.")}(\\d+)\\.weight$`).exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (indices.length === 0) {
    const prefixes = [
      ...new Set([...sd.keys()].map((k) => k.replace(/\.?\d+\.(weight|bias)$/, "")).filter((k) => k !== "")),
    ];
    throw new ArtifactError(
      `${label}: no nn.Sequential Linear layers under "${prefix}" (keys like ${dot}0.weight); ` +
        `module prefixes in the file: ${prefixes.slice(0, 12).join(", ") || "(none)"}`,
    );
  }
  const layers = indices.map((i) => {
    const name = `${dot}${i}`;
    return denseFromTorch(sd.get(`${name}.weight`)!, sd.get(`${name}.bias`), activation, name);
  });
  for (let i = 1; i < layers.length; i++) {
    if (layers[i]!.inSize !== layers[i - 1]!.outSize)
      throw new ArtifactError(
        `${label}: layer ${dot}${indices[i]} takes ${layers[i]!.inSize} inputs, the layer before gives ${layers[i - 1]!.outSize}`,
      );
  }
  return layers;
}
