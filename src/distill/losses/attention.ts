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
  type ArrayArgs,
  type ArrayLossResult,
  checkBatch,
  checkRank,
  type LossResult,
  type SampleWeightArgs,
  sampleScales,
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

// ---- array forms (tape-free training; see common.ts) ----------------------------------------

/** Geometry of a feature map per sample: `positions` = height * width, and its channel count. */
export interface MapGeometry {
  positions: number;
  channels: number;
}

/** sum over a row of Q^2 + 1e-12, the squared norm `attentionMap` divides by. */
const NORM_EPS = 1e-12;

/**
 * Normalised attention maps [batch, positions] of feature maps [batch, positions, channels]
 * (row-major NHWC): the array form of `attentionMap`, in float64 internally.
 */
export function attentionMapArrays(
  featureMap: ArrayLike<number>,
  batch: number,
  g: MapGeometry,
  p = 2,
): Float32Array {
  checkNumber("p", p, { integer: true, min: 1 });
  const { positions: P, channels: C } = g;
  if (featureMap.length !== batch * P * C) {
    throw new ConfigError(
      "featureMap",
      `has ${featureMap.length} values; ${batch} maps of ${P} positions x ${C} channels need ${batch * P * C}`,
    );
  }
  const out = new Float32Array(batch * P);
  const q = new Float64Array(P);
  for (let b = 0; b < batch; b++) {
    let sq = 0;
    for (let i = 0; i < P; i++) {
      let s = 0;
      const at = (b * P + i) * C;
      for (let c = 0; c < C; c++) s += Math.abs(featureMap[at + c]!) ** p;
      q[i] = s / C;
      sq += q[i]! * q[i]!;
    }
    const norm = Math.sqrt(sq + NORM_EPS);
    for (let i = 0; i < P; i++) out[b * P + i] = q[i]! / norm;
  }
  return out;
}

/**
 * `attentionTransferLoss` on arrays, against the teacher's precomputed normalised maps (a
 * distiller stores those rather than whole feature maps: H*W numbers per state instead of
 * H*W*C): loss = weighted mean over the batch of mean_i (a_s,i - a_t,i)^2, and dLoss/dF_student.
 *
 * With a = Q / n, n = sqrt(sum Q^2 + eps): dL/dQ_j = g_j / n - Q_j (g . Q) / n^3 for g = dL/da,
 * and dQ_i/dF_ic = p |F_ic|^(p-1) sign(F_ic) / C.
 */
export function attentionTransferArrays(
  studentMap: ArrayLike<number>,
  teacherAttention: ArrayLike<number>,
  batch: number,
  g: MapGeometry,
  args: ArrayArgs<AttentionArgs> = {},
): { loss: number; grad: Float32Array } {
  const p = args.p ?? 2;
  checkNumber("p", p, { integer: true, min: 1 });
  const { positions: P, channels: C } = g;
  if (studentMap.length !== batch * P * C) {
    throw new ConfigError(
      "studentFeatureMap",
      `has ${studentMap.length} values; ${batch} maps of ${P} positions x ${C} channels need ${batch * P * C}`,
    );
  }
  if (teacherAttention.length !== batch * P) {
    throw new ConfigError(
      "teacherAttention",
      `has ${teacherAttention.length} values; ${batch} maps of ${P} positions need ${batch * P} (spatial sizes must match; channels may differ)`,
    );
  }
  const scale = sampleScales(batch, args);
  const grad = new Float32Array(studentMap.length);
  const q = new Float64Array(P);
  const dq = new Float64Array(P);
  let loss = 0;
  for (let b = 0; b < batch; b++) {
    let sq = 0;
    for (let i = 0; i < P; i++) {
      let s = 0;
      const at = (b * P + i) * C;
      for (let c = 0; c < C; c++) s += Math.abs(studentMap[at + c]!) ** p;
      q[i] = s / C;
      sq += q[i]! * q[i]!;
    }
    const n = Math.sqrt(sq + NORM_EPS);
    let sample = 0;
    let gq = 0;
    for (let i = 0; i < P; i++) {
      const d = q[i]! / n - teacherAttention[b * P + i]!;
      sample += d * d;
      // dL/da_i for this sample's share of the batch loss.
      dq[i] = (2 * d * scale[b]!) / P;
      gq += dq[i]! * q[i]!;
    }
    loss += (scale[b]! * sample) / P;
    for (let i = 0; i < P; i++) {
      const dQ = dq[i]! / n - (q[i]! * gq) / (n * n * n);
      const at = (b * P + i) * C;
      for (let c = 0; c < C; c++) {
        const f = studentMap[at + c]!;
        const dF = p === 1 ? Math.sign(f) : p * Math.abs(f) ** (p - 1) * Math.sign(f);
        grad[at + c] = (dQ * dF) / C;
      }
    }
  }
  return { loss, grad };
}

/** Per layer name: positions (H*W) and the channel counts of the student's and the teacher's maps. */
export type AttentionGeometry = Record<
  string,
  { positions: number; studentChannels: number; teacherChannels: number }
>;

/**
 * `attentionTransferLayers` on arrays: the registry's array form. Feature maps by name, each
 * [batch, H*W*C] row-major NHWC with its geometry in `geometry` (student and teacher may have
 * different channel counts); dLoss/dStudentFeatures by name.
 */
export function attentionTransferLayersArrays(
  studentFeatures: Record<string, Float32Array>,
  teacherFeatures: Record<string, Float32Array>,
  batch: number,
  geometry: AttentionGeometry,
  args: ArrayArgs<AttentionLayersArgs> = {},
): ArrayLossResult {
  const names = Object.keys(teacherFeatures);
  if (names.length === 0) throw new ConfigError("teacherFeatures", "expected at least one feature map");
  const { layerWeights = {}, ...rest } = args;
  const metrics: Record<string, number> = {};
  const grads: Record<string, Float32Array> = {};
  let total = 0;
  for (const name of names) {
    const s = studentFeatures[name];
    if (!s) throw new ConfigError(`studentFeatures.${name}`, "missing: teacherFeatures has this layer");
    const geo = geometry[name];
    if (!geo) throw new ConfigError(`geometry.${name}`, "missing: the positions and channels of this layer");
    const weight = checkNumber(`layerWeights.${name}`, layerWeights[name] ?? 1, { min: 0 });
    const teacher = attentionMapArrays(
      teacherFeatures[name]!,
      batch,
      { positions: geo.positions, channels: geo.teacherChannels },
      rest.p ?? 2,
    );
    const res = attentionTransferArrays(
      s,
      teacher,
      batch,
      { positions: geo.positions, channels: geo.studentChannels },
      rest,
    );
    metrics[`attention/${name}`] = res.loss;
    total += weight * res.loss;
    for (let i = 0; i < res.grad.length; i++) res.grad[i] = res.grad[i]! * weight;
    grads[name] = res.grad;
  }
  return { loss: total, metrics, grads: { studentFeatures: grads } };
}
