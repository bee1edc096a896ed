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

export interface AttentionArrayArgs extends ArrayArgs<AttentionLayersArgs> {
  /**
   * Pixels per map (height x width) of each layer: flat [B, H, W, C] arrays carry no shape, and
   * the channel counts (which may differ between student and teacher) follow from it.
   */
  spatial?: Record<string, number>;
}

/** Positions (height * width) and channels of each sample's feature map, laid out [positions, channels]. */
export interface MapGeometry {
  positions: number;
  channels: number;
}

/** The normalised attention map [S] of one sample's [S, C] features at `at`, with its norm. */
function mapRow(
  f: ArrayLike<number>,
  at: number,
  s: number,
  c: number,
  p: number,
  out: Float64Array,
): number {
  let sq = 0;
  for (let j = 0; j < s; j++) {
    let q = 0;
    for (let k = 0; k < c; k++) q += Math.abs(f[at + j * c + k]!) ** p;
    out[j] = q / c;
    sq += out[j]! * out[j]!;
  }
  const norm = Math.sqrt(sq + 1e-12);
  for (let j = 0; j < s; j++) out[j] = out[j]! / norm;
  return norm;
}

function checkMaps(name: string, values: ArrayLike<number>, batch: number, g: MapGeometry): void {
  if (values.length !== batch * g.positions * g.channels) {
    throw new ConfigError(
      name,
      `has ${values.length} values; ${batch} maps of ${g.positions} positions x ${g.channels} channels need ${batch * g.positions * g.channels}`,
    );
  }
}

/**
 * Normalised attention maps [batch, positions] of feature maps [batch, positions, channels]
 * (row-major NHWC): the array form of `attentionMap`. A distiller computes the teacher's once, when
 * its labels arrive, and keeps these H*W numbers per state instead of the whole map.
 */
export function attentionMapArrays(
  featureMap: ArrayLike<number>,
  batch: number,
  g: MapGeometry,
  p = 2,
): Float32Array {
  checkNumber("p", p, { integer: true, min: 1 });
  checkMaps("featureMap", featureMap, batch, g);
  const out = new Float32Array(batch * g.positions);
  const row = new Float64Array(g.positions);
  for (let b = 0; b < batch; b++) {
    mapRow(featureMap, b * g.positions * g.channels, g.positions, g.channels, p, row);
    out.set(row, b * g.positions);
  }
  return out;
}

/**
 * One layer's attention transfer against the teacher's normalised maps: the weighted batch mean of
 * mean_s (A_s - A_t)^2, A = Q / |Q|, Q = mean_c |F|^p, and dLoss/dF for the student's map:
 * dA = 2 (A_s - A_t) / S, dQ = (dA - A (dA . A)) / |Q|, dF = dQ p |F|^(p-1) sign(F) / C.
 * `scale` multiplies the gradient (a layer weight), not the returned loss.
 */
export function attentionTransferToMaps(
  studentMap: ArrayLike<number>,
  teacherAttention: ArrayLike<number>,
  batch: number,
  g: MapGeometry,
  args: ArrayArgs<AttentionArgs> & { scale?: number } = {},
): { loss: number; grad: Float32Array } {
  const p = args.p ?? 2;
  checkNumber("p", p, { integer: true, min: 1 });
  checkMaps("studentFeatureMap", studentMap, batch, g);
  const { positions: s, channels: cs } = g;
  if (teacherAttention.length !== batch * s) {
    throw new ConfigError(
      "teacherAttention",
      `has ${teacherAttention.length} values; ${batch} maps of ${s} positions need ${batch * s} (spatial sizes must match; channels may differ)`,
    );
  }
  const c = sampleScales(batch, args);
  const scale = args.scale ?? 1;
  const as = new Float64Array(s);
  const dq = new Float64Array(s);
  const grad = new Float32Array(studentMap.length);
  let loss = 0;
  for (let b = 0; b < batch; b++) {
    const norm = mapRow(studentMap, b * s * cs, s, cs, p, as);
    let row = 0;
    let dot = 0;
    for (let j = 0; j < s; j++) {
      const d = as[j]! - teacherAttention[b * s + j]!;
      row += d * d;
      dq[j] = (2 * d * c[b]! * scale) / s;
      dot += dq[j]! * as[j]!;
    }
    loss += (c[b]! * row) / s;
    for (let j = 0; j < s; j++) {
      const dQ = (dq[j]! - as[j]! * dot) / norm;
      for (let k = 0; k < cs; k++) {
        const i = b * s * cs + j * cs + k;
        const x = studentMap[i]!;
        grad[i] = x === 0 ? 0 : (dQ * p * Math.abs(x) ** (p - 1) * Math.sign(x)) / cs;
      }
    }
  }
  return { loss, grad };
}

/**
 * `attentionTransferLayers` on arrays (the registry's array form): for each teacher layer, the
 * teacher's maps from its features, then `attentionTransferToMaps` with the layer's weight.
 */
export function attentionTransferArrays(
  studentFeatures: Record<string, Float32Array>,
  teacherFeatures: Record<string, Float32Array>,
  batch: number,
  args: AttentionArrayArgs = {},
): ArrayLossResult {
  const names = Object.keys(teacherFeatures);
  if (names.length === 0) throw new ConfigError("teacherFeatures", "expected at least one feature map");
  const { layerWeights = {}, spatial = {}, p = 2, ...weighting } = args;
  checkNumber("p", p, { integer: true, min: 1 });
  for (const key of Object.keys(layerWeights)) {
    if (!names.includes(key)) {
      throw new ConfigError(
        `layerWeights.${key}`,
        `not a layer of teacherFeatures; layers: ${names.join(", ")}`,
      );
    }
  }
  const metrics: Record<string, number> = {};
  const grads: Record<string, Float32Array> = {};
  let total = 0;
  for (const name of names) {
    const fs = studentFeatures[name];
    const ft = teacherFeatures[name]!;
    if (!fs) throw new ConfigError(`studentFeatures.${name}`, "missing: teacherFeatures has this layer");
    const s = spatial[name];
    if (s === undefined || !Number.isInteger(s) || s < 1) {
      throw new ConfigError(`spatial.${name}`, "needed: the pixels per map (height x width) of this layer");
    }
    const cs = fs.length / (batch * s);
    const ct = ft.length / (batch * s);
    if (!Number.isInteger(cs) || !Number.isInteger(ct) || cs < 1 || ct < 1) {
      throw new ConfigError(
        `teacherFeatures.${name}`,
        `${ft.length} and ${fs.length} values are not ${batch} maps of ${s} pixels (student and teacher)`,
      );
    }
    const weight = checkNumber(`layerWeights.${name}`, layerWeights[name] ?? 1, { min: 0 });
    const teacher = attentionMapArrays(ft, batch, { positions: s, channels: ct }, p);
    const res = attentionTransferToMaps(
      fs,
      teacher,
      batch,
      { positions: s, channels: cs },
      {
        ...weighting,
        p,
        scale: weight,
      },
    );
    metrics[`attention/${name}`] = res.loss;
    total += weight * res.loss;
    grads[name] = res.grad;
  }
  return { loss: total, metrics, grads: { studentFeatures: grads } };
}
