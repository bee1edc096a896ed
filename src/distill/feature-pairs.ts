/**
 * Which student layer learns from which teacher feature (feature and residual distillation).
 */
import { ConfigError } from "../core/errors.js";
import type { FeaturePair } from "./losses/features.js";
import type { FeatureInfo } from "./teacher.js";

export interface FeatureConfigLike {
  featureLayers: string;
  featureWeights: string;
}

export interface FeaturePairing {
  /** Named by the teacher feature. */
  pairs: FeaturePair[];
  /** teacher feature name -> student hidden layer name. */
  studentOf: Map<string, string>;
}

/**
 * Pairs layers from the output end: the student's last hidden layer with the last of the teacher
 * features chosen (`featureLayers`, or all of the teacher's when "auto"), and so on, for as many
 * pairs as the shorter list has. Weights come from `featureWeights` (in the order of the pairs'
 * teacher features, input to output), default 1.
 */
export function pairFeatures(
  teacherFeatures: readonly FeatureInfo[],
  studentHidden: readonly FeatureInfo[],
  cfg: FeatureConfigLike,
): FeaturePairing {
  const names =
    cfg.featureLayers === "auto" || cfg.featureLayers.trim() === ""
      ? undefined
      : cfg.featureLayers.split(",").map((s) => s.trim());
  const chosen = names
    ? names.map((n) => {
        const f = teacherFeatures.find((t) => t.name === n);
        if (!f) {
          throw new ConfigError(
            "featureLayers",
            `the teacher has no feature "${n}"; available: ${teacherFeatures.map((t) => t.name).join(", ") || "(none)"}`,
          );
        }
        return f;
      })
    : [...teacherFeatures];
  if (names && chosen.length > studentHidden.length) {
    throw new ConfigError(
      "featureLayers",
      `${chosen.length} teacher features for a student with ${studentHidden.length} hidden layers; list at most ${studentHidden.length}`,
    );
  }
  const n = Math.min(chosen.length, studentHidden.length);
  const teacherSide = chosen.slice(chosen.length - n);
  const studentSide = studentHidden.slice(studentHidden.length - n);
  const weights = cfg.featureWeights.trim() === "" ? [] : cfg.featureWeights.split(",").map(Number);
  if (weights.length > 0 && weights.length !== n) {
    throw new ConfigError(
      "featureWeights",
      `has ${weights.length} weights for ${n} feature pairs (${teacherSide.map((f) => f.name).join(", ")})`,
    );
  }
  const studentOf = new Map<string, string>();
  const pairs = teacherSide.map((t, i) => {
    studentOf.set(t.name, studentSide[i]!.name);
    return {
      name: t.name,
      studentWidth: studentSide[i]!.size,
      teacherWidth: t.size,
      weight: weights[i] ?? 1,
    };
  });
  return { pairs, studentOf };
}
