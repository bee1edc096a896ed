/**
 * Which student layer learns from which teacher feature (feature, residual and attention
 * distillation). Layers pair up from the output end: the student's last hidden layer with the
 * teacher's last chosen feature, and so on, for as many pairs as the shorter list has.
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

/** A feature's shape per observation ([size] when unknown). */
function shapeOf(f: FeatureInfo): readonly number[] {
  return f.shape ?? [f.size];
}

/** A conv map's positions (height * width), or undefined for a vector. */
function positionsOf(f: FeatureInfo): number | undefined {
  const s = shapeOf(f);
  return s.length === 3 ? s[0]! * s[1]! : undefined;
}

function shapeText(f: FeatureInfo): string {
  return `${f.name} [${shapeOf(f).join(", ")}]`;
}

/** Non-negative numbers separated by commas ("" = none), naming `field` otherwise. */
export function parseWeights(text: string, field: string): number[] {
  if (text.trim() === "") return [];
  return text.split(",").map((w) => {
    const v = Number(w);
    if (w.trim() === "" || !(v >= 0))
      throw new ConfigError(field, `expected non-negative numbers separated by commas, got "${text}"`);
    return v;
  });
}

/** The teacher features named in `list` ("auto"/"" = all `candidates`), in order, naming unknown ones. */
function chooseTeacher(
  list: string,
  field: string,
  teacherFeatures: readonly FeatureInfo[],
  candidates: readonly FeatureInfo[],
): { chosen: FeatureInfo[]; explicit: boolean } {
  const names = list === "auto" || list.trim() === "" ? undefined : list.split(",").map((s) => s.trim());
  if (!names) return { chosen: [...candidates], explicit: false };
  const chosen = names.map((n) => {
    const f = teacherFeatures.find((t) => t.name === n);
    if (!f) {
      throw new ConfigError(
        field,
        `the teacher has no feature "${n}"; available: ${teacherFeatures.map((t) => t.name).join(", ") || "(none)"}`,
      );
    }
    return f;
  });
  return { chosen, explicit: true };
}

/**
 * Feature pairs for FitNets-style hints and the residual adapter: the teacher features chosen
 * (`featureLayers`, or all of the teacher's when "auto") against the student's hidden layers, from
 * the output end. Weights come from `featureWeights` (in the order of the pairs' teacher features),
 * default 1.
 *
 * Widths: two conv maps with the same spatial size pair per position (widths = channel counts, so
 * the learned projection is a 1x1 convolution from the student's channels to the teacher's);
 * anything else pairs as flat vectors (widths = numbers per observation, a dense projection).
 * `perPosition: false` forces flat vectors (the residual adapter reads the whole feature).
 */
export function pairFeatures(
  teacherFeatures: readonly FeatureInfo[],
  studentHidden: readonly FeatureInfo[],
  cfg: FeatureConfigLike,
  opts: { perPosition?: boolean } = {},
): FeaturePairing {
  const { chosen, explicit } = chooseTeacher(
    cfg.featureLayers,
    "featureLayers",
    teacherFeatures,
    teacherFeatures,
  );
  if (explicit && chosen.length > studentHidden.length) {
    throw new ConfigError(
      "featureLayers",
      `${chosen.length} teacher features for a student with ${studentHidden.length} hidden layers; list at most ${studentHidden.length}`,
    );
  }
  const n = Math.min(chosen.length, studentHidden.length);
  const teacherSide = chosen.slice(chosen.length - n);
  const studentSide = studentHidden.slice(studentHidden.length - n);
  const weights = parseWeights(cfg.featureWeights, "featureWeights");
  if (weights.length > 0 && weights.length !== n) {
    throw new ConfigError(
      "featureWeights",
      `has ${weights.length} weights for ${n} feature pairs (${teacherSide.map((f) => f.name).join(", ")})`,
    );
  }
  const studentOf = new Map<string, string>();
  const pairs = teacherSide.map((t, i) => {
    const s = studentSide[i]!;
    studentOf.set(t.name, s.name);
    const positions = positionsOf(t);
    const perPosition = (opts.perPosition ?? true) && positions !== undefined && positions === positionsOf(s);
    return {
      name: t.name,
      studentWidth: perPosition ? shapeOf(s)[2]! : s.size,
      teacherWidth: perPosition ? shapeOf(t)[2]! : t.size,
      weight: weights[i] ?? 1,
    };
  });
  return { pairs, studentOf };
}

/** A teacher conv layer and the student conv layer whose attention map learns from it. */
export interface AttentionPair {
  teacher: string;
  student: string;
  /** Height * width, equal on both sides. */
  positions: number;
  studentChannels: number;
  teacherChannels: number;
  /** beta_l, the layer's weight in the loss. */
  weight: number;
}

export interface AttentionConfigLike {
  attentionLayers: string;
  attentionWeights: string;
}

/** Default beta: Zagoruyko and Komodakis's 1000 for their loss, which also averages over positions. */
export const DEFAULT_ATTENTION_WEIGHT = 1000;

/**
 * Attention-transfer pairs: the teacher's conv layers (`attentionLayers`, or all of them when
 * "auto") against the student's conv layers, from the output end. Spatial sizes must match
 * (attention maps are not resized); channel counts may differ. Weights from `attentionWeights`
 * (default 1000 each).
 */
export function pairAttentionMaps(
  teacherFeatures: readonly FeatureInfo[],
  studentHidden: readonly FeatureInfo[],
  cfg: AttentionConfigLike,
): AttentionPair[] {
  const isMap = (f: FeatureInfo) => positionsOf(f) !== undefined;
  const teacherMaps = teacherFeatures.filter(isMap);
  const studentMaps = studentHidden.filter(isMap);
  const { chosen, explicit } = chooseTeacher(
    cfg.attentionLayers,
    "attentionLayers",
    teacherFeatures,
    teacherMaps,
  );
  for (const f of chosen) {
    if (!isMap(f))
      throw new ConfigError(
        "attentionLayers",
        `${shapeText(f)} is not a conv feature map [height, width, channels]`,
      );
  }
  if (chosen.length === 0) {
    throw new ConfigError(
      "method",
      `attention transfer needs a convolutional teacher; its features are ${teacherFeatures.map(shapeText).join(", ") || "(none)"}`,
    );
  }
  if (studentMaps.length === 0) {
    throw new ConfigError(
      "student",
      "attention transfer needs a convolutional student, e.g. --student conv8x3,fc32",
    );
  }
  if (explicit && chosen.length > studentMaps.length) {
    throw new ConfigError(
      "attentionLayers",
      `${chosen.length} teacher maps for a student with ${studentMaps.length} conv layers; list at most ${studentMaps.length}`,
    );
  }
  const n = Math.min(chosen.length, studentMaps.length);
  const teacherSide = chosen.slice(chosen.length - n);
  const studentSide = studentMaps.slice(studentMaps.length - n);
  const weights = parseWeights(cfg.attentionWeights, "attentionWeights");
  if (weights.length > 0 && weights.length !== n) {
    throw new ConfigError(
      "attentionWeights",
      `has ${weights.length} weights for ${n} attention pairs (${teacherSide.map((f) => f.name).join(", ")})`,
    );
  }
  return teacherSide.map((t, i) => {
    const s = studentSide[i]!;
    if (positionsOf(t) !== positionsOf(s)) {
      throw new ConfigError(
        "attentionLayers",
        `teacher ${shapeText(t)} and student ${shapeText(s)} differ in spatial size; attention maps are not resized (give the student the teacher's conv geometry, e.g. the same kernel, stride and padding)`,
      );
    }
    return {
      teacher: t.name,
      student: s.name,
      positions: positionsOf(t)!,
      studentChannels: shapeOf(s)[2]!,
      teacherChannels: shapeOf(t)[2]!,
      weight: weights[i] ?? DEFAULT_ATTENTION_WEIGHT,
    };
  });
}
