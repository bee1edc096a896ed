/**
 * Attention transfer (Zagoruyko and Komodakis 2017, "Paying More Attention to Attention") for
 * convolutional feature maps [B, H, W, C] (NHWC, as tfjs).
 *
 * The spatial attention map of F is Q = mean_c |F_c|^p over channels, flattened to H*W and
 * L2-normalised per sample; the loss is the mean squared difference of the student's and the
 * teacher's normalised maps (as the authors' reference code, `(at(x) - at(y)).pow(2).mean()`).
 * Channel counts may differ (that is the point: no projection is needed), spatial sizes may not:
 * resizing would invent attention, so a mismatch is an error.
 */

import { ConfigError, checkNumber } from "../../core/errors.js";
import { tf } from "../../nn/backend.js";
import {
  checkBatch,
  checkRank,
  type LossResult,
  type SampleWeightArgs,
  shapeText,
  weightedMean,
} from "./common.js";

export interface AttentionArgs extends SampleWeightArgs {
  /** Exponent p of |F|^p, a positive integer. Default 2 (the paper's choice). */
  p?: number;
}

/**
 * |F|^p by repeated products: `tf.pow`'s gradient also builds the exponent's gradient with a
 * `where(greater(x, 0))`, which fails inside tfjs gradients.
 */
function absPow(f: tf.Tensor, p: number): tf.Tensor {
  if (p === 2) return tf.square(f);
  const a = tf.abs(f);
  let out = a;
  for (let i = 1; i < p; i++) out = tf.mul(out, a);
  return out;
}

/** Normalised attention map [B, H*W] of a feature map [B, H, W, C]. */
export function attentionMap(featureMap: tf.Tensor, p = 2, name = "featureMap"): tf.Tensor {
  checkRank(name, featureMap, 4, "[batch, height, width, channels]");
  checkNumber("p", p, { integer: true, min: 1 });
  const [b, h, w] = featureMap.shape as number[];
  const q = tf.reshape(tf.mean(absPow(featureMap, p), -1), [b!, h! * w!]);
  // The epsilon keeps an all-zero map (dead ReLUs) at zero with a finite gradient.
  const norm = tf.sqrt(tf.add(tf.sum(tf.square(q), -1, true), 1e-12));
  return tf.div(q, norm);
}

export function attentionTransferLoss(
  studentMap: tf.Tensor,
  teacherMap: tf.Tensor,
  args: AttentionArgs = {},
  names: [string, string] = ["studentFeatureMap", "teacherFeatureMap"],
): LossResult {
  checkRank(names[0], studentMap, 4, "[batch, height, width, channels]");
  checkRank(names[1], teacherMap, 4, "[batch, height, width, channels]");
  checkBatch(names[0], studentMap);
  const [bs, hs, ws] = studentMap.shape;
  const [bt, ht, wt] = teacherMap.shape;
  if (bs !== bt || hs !== ht || ws !== wt) {
    throw new ConfigError(
      names[1],
      `batch and spatial size ${shapeText(teacherMap)} must match ${names[0]} ${shapeText(studentMap)} ` +
        "(channels may differ; attention maps are not resized)",
    );
  }
  const p = args.p ?? 2;
  const diff = tf.sub(attentionMap(studentMap, p, names[0]), attentionMap(teacherMap, p, names[1]));
  const attention = weightedMean(tf.mean(tf.square(diff), -1), args, names[0]);
  return { loss: attention, metrics: { attention } };
}

export interface AttentionLayersArgs extends AttentionArgs {
  /** Weight per layer name (default 1 each); the layers used are the teacher record's keys. */
  layerWeights?: Record<string, number>;
}

/**
 * Sum over named layers of weight_l * attentionTransferLoss(student_l, teacher_l): the paper
 * transfers attention at the end of each group of residual blocks.
 */
export function attentionTransferLayers(
  studentFeatures: Record<string, tf.Tensor>,
  teacherFeatures: Record<string, tf.Tensor>,
  args: AttentionLayersArgs = {},
): LossResult {
  const names = Object.keys(teacherFeatures);
  if (names.length === 0) throw new ConfigError("teacherFeatures", "expected at least one feature map");
  const { layerWeights = {}, ...rest } = args;
  for (const key of Object.keys(layerWeights)) {
    if (!names.includes(key)) {
      throw new ConfigError(
        `layerWeights.${key}`,
        `not a layer of teacherFeatures; layers: ${names.join(", ")}`,
      );
    }
  }
  const metrics: Record<string, tf.Scalar> = {};
  let total: tf.Tensor = tf.scalar(0);
  for (const name of names) {
    const s = studentFeatures[name];
    if (!s) throw new ConfigError(`studentFeatures.${name}`, "missing: teacherFeatures has this layer");
    const weight = checkNumber(`layerWeights.${name}`, layerWeights[name] ?? 1, { min: 0 });
    const layer = attentionTransferLoss(s, teacherFeatures[name]!, rest, [
      `studentFeatures.${name}`,
      `teacherFeatures.${name}`,
    ]).loss;
    metrics[`attention/${name}`] = layer;
    total = tf.add(total, tf.mul(layer, weight));
  }
  return { loss: total as tf.Scalar, metrics };
}
