/**
 * The agent artifact's plumbing: writing and reading the file, its extension, save options, and the
 * normaliser's running statistics as tensors (float64, so a resumed run continues them exactly).
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import {
  encodeArtifact,
  encodePolicySpec,
  type LoadedArtifact,
  loadArtifact,
  type StoredTensor,
} from "../nn/checkpoint.js";
import type { PolicySpec } from "../nn/spec.js";
import type { VecNormalize } from "./normalize.js";

/** File extension of the artifacts `save` writes (src/nn/checkpoint.ts's format). */
export const MODEL_EXTENSION = ".rldistill";

export interface SaveOptions {
  /**
   * Store the training state (Adam moments; DQN: target network) for an exact resume.
   * Default: the model's `saveTrainingState` (true unless changed). Without it a 256-256 PPO
   * file is a third of the size; resuming then restarts Adam's moments.
   */
  includeTrainingState?: boolean;
  /** DQN: also store the replay buffer, so a resumed run continues with it (checkpoints). Default false. */
  includeReplayBuffer?: boolean;
}

/** `path` with the artifact extension appended unless it already ends with it (as SB3 appends .zip). */
export function withModelExtension(path: string): string {
  return path.endsWith(MODEL_EXTENSION) ? path : `${path}${MODEL_EXTENSION}`;
}

/** The normaliser's statistics as `normalizer/{obs,ret}.{mean,var,count}` tensors. */
export function normalizerTensors(normalizer: VecNormalize | null): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  if (!normalizer) return out;
  for (const [key, rms] of [
    ["obs", normalizer.obsRms],
    ["ret", normalizer.retRms],
  ] as const) {
    out[`normalizer/${key}.mean`] = { data: Float64Array.from(rms.mean), shape: [rms.size] };
    out[`normalizer/${key}.var`] = { data: Float64Array.from(rms.var), shape: [rms.size] };
    out[`normalizer/${key}.count`] = { data: Float64Array.of(rms.count), shape: [1] };
  }
  return out;
}

/** Loads `normalizerTensors`' output into `normalizer`. */
export function loadNormalizer(normalizer: VecNormalize, t: Record<string, StoredTensor>): void {
  for (const [key, rms] of [
    ["obs", normalizer.obsRms],
    ["ret", normalizer.retRms],
  ] as const) {
    rms.load({
      mean: t[`normalizer/${key}.mean`]!.data,
      var: t[`normalizer/${key}.var`]!.data,
      count: t[`normalizer/${key}.count`]!.data[0]!,
    });
  }
}

/**
 * Writes a model as one artifact (src/nn/checkpoint.ts's format, kind "<algo>-agent"): the policy
 * (with critic and obs-norm statistics) under "policy/", so `loadPolicy` reads it for
 * distillation; the constructor options in the config; the counters and the algorithm's state in
 * `meta` and `tensors`. Resolves to the path written.
 */
export function writeAgentFile(
  path: string,
  agent: {
    algo: string;
    policy: PolicySpec;
    options: Record<string, unknown>;
    meta: Record<string, unknown>;
    tensors: Record<string, StoredTensor>;
  },
): string {
  const file = withModelExtension(path);
  const { structure, tensors } = encodePolicySpec(agent.policy, "policy/");
  const bytes = encodeArtifact({
    kind: `${agent.algo}-agent`,
    config: { algo: agent.algo, ...agent.options, policy: structure },
    meta: agent.meta,
    tensors: { ...tensors, ...agent.tensors },
  });
  mkdirSync(dirname(resolve(file)), { recursive: true });
  // Temporary file, then rename: a save cut short (Ctrl-C twice, SIGKILL, full disk) keeps the previous file.
  writeFileAtomic(file, bytes);
  return file;
}

/** The file an agent path names: as given when it exists, else with the model extension added. */
export function agentFilePath(path: string): string {
  return existsSync(path) ? path : withModelExtension(path);
}

/**
 * Reads an agent artifact of `algo`: the artifact and the constructor options it was made with,
 * with `overrides` (config fields, as SB3's `custom_objects`) laid over them; `changed` names the
 * overrides whose value differs from the saved one.
 */
export function readAgentFile(
  path: string,
  algo: string,
  overrides: object = {},
): { artifact: LoadedArtifact; options: Record<string, unknown>; changed: string[] } {
  const artifact = loadArtifact(agentFilePath(path), `${algo}-agent`);
  const { algo: _algo, policy: _policy, ...saved } = (artifact.config ?? {}) as Record<string, unknown>;
  const changed = Object.entries(overrides)
    .filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(saved[k]))
    .map(([k]) => k);
  return { artifact, options: { ...saved, ...overrides }, changed };
}
