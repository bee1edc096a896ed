/**
 * The agent artifact's plumbing: the file extension, save options, and the normaliser's running
 * statistics as tensors (float64, so a resumed run continues them exactly).
 */
import type { StoredTensor } from "../nn/checkpoint.js";
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
