/**
 * What models put in an artifact (the container is artifact-format.ts, re-exported here): a
 * PolicySpec as a tensor table plus its structure in the config, Adam state as tensors, and the
 * env id a file records.
 */
import { ArtifactError } from "../core/errors.js";
import { type LoadedArtifact, loadArtifact, type StoredTensor, saveArtifact } from "./artifact-format.js";
import type { AdamState } from "./optim.js";
import type { Conv2dLayerSpec, DenseLayerSpec, LayerSpec, PolicySpec } from "./spec.js";

export * from "./artifact-format.js";

// ---- PolicySpec <-> artifact ------------------------------------------------------------------

/** A layer without its arrays (they go to the tensor table). */
type LayerStructure =
  | Omit<DenseLayerSpec, "weight" | "bias">
  | Omit<Conv2dLayerSpec, "weight" | "bias">
  | { kind: "flatten" };

/** The JSON part of a PolicySpec; its arrays are tensors named under a prefix. */
export interface PolicyStructure {
  obsShape: number[];
  output: PolicySpec["output"];
  actionSize: number;
  layers: LayerStructure[];
  valueLayers?: LayerStructure[];
  obsNorm?: { epsilon: number; clip: number };
}

function splitLayers(
  layers: readonly LayerSpec[],
  key: string,
  tensors: Record<string, StoredTensor>,
): LayerStructure[] {
  return layers.map((l, i) => {
    if (l.kind === "flatten") return { kind: "flatten" };
    const { weight, bias, ...rest } = l;
    const wShape =
      l.kind === "dense" ? [l.inSize, l.outSize] : [l.kernelSize, l.kernelSize, l.inShape[2], l.outChannels];
    tensors[`${key}.${i}.weight`] = { data: weight, shape: wShape };
    tensors[`${key}.${i}.bias`] = { data: bias, shape: [bias.length] };
    return rest;
  });
}

/** Splits a spec into JSON structure and tensors named `<prefix>layers.0.weight`, ... */
export function encodePolicySpec(
  spec: PolicySpec,
  prefix = "",
): { structure: PolicyStructure; tensors: Record<string, StoredTensor> } {
  const tensors: Record<string, StoredTensor> = {};
  const structure: PolicyStructure = {
    obsShape: spec.obsShape.slice(),
    output: spec.output,
    actionSize: spec.actionSize,
    layers: splitLayers(spec.layers, `${prefix}layers`, tensors),
  };
  if (spec.valueLayers)
    structure.valueLayers = splitLayers(spec.valueLayers, `${prefix}valueLayers`, tensors);
  if (spec.obsNorm) {
    structure.obsNorm = { epsilon: spec.obsNorm.epsilon, clip: spec.obsNorm.clip };
    tensors[`${prefix}obsNorm.mean`] = { data: spec.obsNorm.mean, shape: [spec.obsNorm.mean.length] };
    tensors[`${prefix}obsNorm.var`] = { data: spec.obsNorm.var, shape: [spec.obsNorm.var.length] };
  }
  for (const key of ["logStd", "actionLow", "actionHigh"] as const) {
    const a = spec[key];
    if (a) tensors[`${prefix}${key}`] = { data: a, shape: [a.length] };
  }
  return { structure, tensors };
}

function float32(tensors: Record<string, StoredTensor>, name: string): Float32Array {
  const t = tensors[name];
  if (!t) throw new ArtifactError(`missing tensor ${name}`);
  if (!(t.data instanceof Float32Array)) throw new ArtifactError(`tensor ${name} must be float32`);
  return t.data;
}

function joinLayers(
  layers: LayerStructure[],
  key: string,
  tensors: Record<string, StoredTensor>,
): LayerSpec[] {
  return layers.map((l, i) => {
    if (l.kind === "flatten") return { kind: "flatten" };
    return {
      ...l,
      weight: float32(tensors, `${key}.${i}.weight`),
      bias: float32(tensors, `${key}.${i}.bias`),
    } as DenseLayerSpec | Conv2dLayerSpec;
  });
}

/** Inverse of `encodePolicySpec`. */
export function decodePolicySpec(
  structure: PolicyStructure,
  tensors: Record<string, StoredTensor>,
  prefix = "",
): PolicySpec {
  if (!structure || !Array.isArray(structure.layers) || !Array.isArray(structure.obsShape)) {
    throw new ArtifactError("policy structure lacks obsShape or layers");
  }
  const spec: PolicySpec = {
    obsShape: structure.obsShape.slice(),
    output: structure.output,
    actionSize: structure.actionSize,
    layers: joinLayers(structure.layers, `${prefix}layers`, tensors),
  };
  if (structure.valueLayers)
    spec.valueLayers = joinLayers(structure.valueLayers, `${prefix}valueLayers`, tensors);
  if (structure.obsNorm) {
    spec.obsNorm = {
      mean: float32(tensors, `${prefix}obsNorm.mean`),
      var: float32(tensors, `${prefix}obsNorm.var`),
      epsilon: structure.obsNorm.epsilon,
      clip: structure.obsNorm.clip,
    };
  }
  for (const key of ["logStd", "actionLow", "actionHigh"] as const) {
    if (tensors[`${prefix}${key}`]) spec[key] = float32(tensors, `${prefix}${key}`);
  }
  return spec;
}

export const POLICY_KIND = "policy";

/** Saves a policy alone (kind "policy"); `meta` is free JSON (env id, source checkpoint, scores). */
export function savePolicy(file: string, spec: PolicySpec, meta: Record<string, unknown> = {}): void {
  const { structure, tensors } = encodePolicySpec(spec);
  saveArtifact(file, { kind: POLICY_KIND, config: structure, meta, tensors });
}

/**
 * Loads a policy from a "policy" file, or from any artifact whose config has a `policy`
 * structure stored with tensor prefix "policy/" (how agents and students embed theirs).
 */
export function loadPolicy(file: string): {
  spec: PolicySpec;
  meta: Record<string, unknown>;
  artifact: LoadedArtifact;
} {
  const artifact = loadArtifact(file);
  const meta = artifact.meta ?? {};
  try {
    if (artifact.kind === POLICY_KIND) {
      return { spec: decodePolicySpec(artifact.config as PolicyStructure, artifact.tensors), meta, artifact };
    }
    const embedded = (artifact.config as { policy?: PolicyStructure } | undefined)?.policy;
    if (embedded) return { spec: decodePolicySpec(embedded, artifact.tensors, "policy/"), meta, artifact };
  } catch (e) {
    if (e instanceof ArtifactError) throw new ArtifactError(`${file}: ${e.message}`);
    throw e;
  }
  throw new ArtifactError(`${file}: a ${artifact.kind} artifact without a policy (config.policy)`);
}

// ---- optimizer state ----------------------------------------------------------------------------

/** Adam state as tensors `<prefix>step`, `<prefix>m.0`, `<prefix>v.0`, ... */
export function adamStateToTensors(state: AdamState, prefix = "optimizer/"): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {
    [`${prefix}step`]: { data: Float64Array.of(state.step), shape: [1] },
  };
  state.m.forEach((m, i) => {
    out[`${prefix}m.${i}`] = { data: m, shape: [m.length] };
  });
  state.v.forEach((v, i) => {
    out[`${prefix}v.${i}`] = { data: v, shape: [v.length] };
  });
  return out;
}

export function adamStateFromTensors(
  tensors: Record<string, StoredTensor>,
  prefix = "optimizer/",
): AdamState {
  const step = tensors[`${prefix}step`];
  if (!step || !(step.data instanceof Float64Array)) throw new ArtifactError(`missing tensor ${prefix}step`);
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (let i = 0; tensors[`${prefix}m.${i}`]; i++) {
    m.push(float32(tensors, `${prefix}m.${i}`));
    v.push(float32(tensors, `${prefix}v.${i}`));
  }
  return { step: step.data[0]!, m, v };
}

/**
 * The env id a saved model records: students keep it in `meta.env`, agents in `config.env`,
 * older policy files in `meta.envId`. Undefined when the file does not say.
 */
export function recordedEnvId(artifact: LoadedArtifact): string | undefined {
  const meta = artifact.meta ?? {};
  const config = (artifact.config ?? {}) as Record<string, unknown>;
  for (const v of [meta.env, meta.envId, config.env]) if (typeof v === "string" && v) return v;
  return undefined;
}
