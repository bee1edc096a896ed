/**
 * Feature (hidden-activation) distillation: L2 between student and teacher activations of named
 * layers, with a learned linear projection of the student's features where widths differ.
 *
 * The projection is the "regressor" of FitNets (Romero et al. 2015): it maps the narrower student
 * layer into the teacher's width, is trained with the student, and is thrown away at deployment.
 * It acts on the last axis, so it is a dense layer for [B, W] activations and a 1x1 convolution
 * for [B, H, W, C] feature maps. When widths match the projection is the identity and has no
 * parameters (forcing a projection there would let the student ignore the hint).
 */

import { ConfigError, checkNumber, describeValue } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import { tf } from "../../nn/backend.js";
import {
  checkBatch,
  checkSameShape,
  type LossResult,
  type SampleWeightArgs,
  shapeText,
  weightedMean,
} from "./common.js";

export interface FeaturePair {
  /** Layer name, a key of the student's and the teacher's feature records. */
  name: string;
  /** Size of the student activation's last axis. */
  studentWidth: number;
  /** Size of the teacher activation's last axis. */
  teacherWidth: number;
  /** Weight of this layer in the summed loss, >= 0. Default 1. */
  weight?: number;
}

interface Projection {
  kernel: tf.Variable;
  bias: tf.Variable;
}

export interface FeatureProjector {
  readonly pairs: readonly Required<FeaturePair>[];
  /** Trainable projection parameters (empty when every width matches): train them with the student. */
  readonly variables: tf.Variable[];
  /** The student's activation for `name`, projected to the teacher's width (identity if equal). */
  project(name: string, studentFeature: tf.Tensor): tf.Tensor;
  /** Frees the projection variables. */
  dispose(): void;
}

function checkPairs(pairs: readonly FeaturePair[]): Required<FeaturePair>[] {
  if (!Array.isArray(pairs) || pairs.length === 0) {
    throw new ConfigError(
      "featurePairs",
      "expected a non-empty list of {name, studentWidth, teacherWidth, weight}",
    );
  }
  const seen = new Set<string>();
  return pairs.map((p, i) => {
    const field = `featurePairs[${i}]`;
    if (typeof p.name !== "string" || p.name === "") {
      throw new ConfigError(`${field}.name`, `expected a non-empty layer name, got ${describeValue(p.name)}`);
    }
    if (seen.has(p.name))
      throw new ConfigError(`${field}.name`, `duplicate layer name ${JSON.stringify(p.name)}`);
    seen.add(p.name);
    return {
      name: p.name,
      studentWidth: checkNumber(`${field}.studentWidth`, p.studentWidth, { integer: true, min: 1 }),
      teacherWidth: checkNumber(`${field}.teacherWidth`, p.teacherWidth, { integer: true, min: 1 }),
      weight: checkNumber(`${field}.weight`, p.weight ?? 1, { min: 0 }),
    };
  });
}

/**
 * Creates the projections for `pairs`. Kernels [studentWidth, teacherWidth] are drawn from `rng`
 * with Glorot-uniform limits sqrt(6 / (in + out)) (Glorot and Bengio 2010) on the JS side, so the
 * same seed gives the same projector on every backend; biases start at zero.
 */
export function createFeatureProjector(pairs: readonly FeaturePair[], rng: Rng): FeatureProjector {
  const checked = checkPairs(pairs);
  const projections = new Map<string, Projection>();
  for (const p of checked) {
    if (p.studentWidth === p.teacherWidth) continue;
    const limit = Math.sqrt(6 / (p.studentWidth + p.teacherWidth));
    const values = rng.fillUniform(new Float32Array(p.studentWidth * p.teacherWidth), -limit, limit);
    // tidy frees the initial tensors; variables survive it.
    projections.set(
      p.name,
      tf.tidy(() => ({
        kernel: tf.variable(tf.tensor2d(values, [p.studentWidth, p.teacherWidth]), true),
        bias: tf.variable(tf.zeros([p.teacherWidth]), true),
      })),
    );
  }
  const byName = new Map(checked.map((p) => [p.name, p]));
  return {
    pairs: checked,
    variables: [...projections.values()].flatMap((p) => [p.kernel, p.bias]),
    project(name, feature) {
      const pair = byName.get(name);
      if (!pair)
        throw new ConfigError(
          "name",
          `unknown feature layer ${JSON.stringify(name)}; known: ${[...byName.keys()].join(", ")}`,
        );
      const width = feature.shape[feature.rank - 1];
      if (feature.rank < 2 || width !== pair.studentWidth) {
        throw new ConfigError(
          `studentFeatures.${name}`,
          `expected [batch, ..., ${pair.studentWidth}] (studentWidth of the pair), got ${shapeText(feature)}`,
        );
      }
      const proj = projections.get(name);
      if (!proj) return feature;
      const flat = tf.reshape(feature, [-1, pair.studentWidth]);
      const out = tf.add(tf.matMul(flat, proj.kernel), proj.bias);
      return tf.reshape(out, [...feature.shape.slice(0, -1), pair.teacherWidth]);
    },
    dispose() {
      for (const p of projections.values()) {
        p.kernel.dispose();
        p.bias.dispose();
      }
      projections.clear();
    },
  };
}

/**
 * L = sum_l w_l * mean_i [ mean over elements of (P_l(s_il) - t_il)^2 ] over the projector's
 * layers l, with the per-sample mean (weighted by `weights`) over the batch i. Averaging over
 * elements keeps layers of different widths on one scale. Features not in the projector are
 * ignored; every projector layer must be present in both records.
 */
export function featureL2Loss(
  studentFeatures: Record<string, tf.Tensor>,
  teacherFeatures: Record<string, tf.Tensor>,
  projector: FeatureProjector,
  args: SampleWeightArgs = {},
): LossResult {
  const metrics: Record<string, tf.Scalar> = {};
  let total: tf.Tensor = tf.scalar(0);
  for (const pair of projector.pairs) {
    const s = studentFeatures[pair.name];
    const t = teacherFeatures[pair.name];
    if (!s) throw new ConfigError(`studentFeatures.${pair.name}`, "missing: the projector needs this layer");
    if (!t) throw new ConfigError(`teacherFeatures.${pair.name}`, "missing: the projector needs this layer");
    checkBatch(`studentFeatures.${pair.name}`, s);
    const projected = projector.project(pair.name, s);
    checkSameShape(`studentFeatures.${pair.name} (projected)`, projected, `teacherFeatures.${pair.name}`, t);
    const b = t.shape[0]!;
    const perSample = tf.mean(tf.reshape(tf.square(tf.sub(projected, t)), [b, -1]), -1);
    const layer = weightedMean(perSample, args, `studentFeatures.${pair.name}`);
    metrics[`feature/${pair.name}`] = layer;
    total = tf.add(total, tf.mul(layer, pair.weight));
  }
  return { loss: total as tf.Scalar, metrics };
}
