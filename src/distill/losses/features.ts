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
import { KernelNet } from "../../nn/kernels/net.js";
import {
  type ArrayArgs,
  type ArrayLossResult,
  checkBatch,
  checkSameShape,
  type LossResult,
  rowWidth,
  type SampleWeightArgs,
  sampleScales,
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

/** Initial kernels [studentWidth, teacherWidth] of the pairs whose widths differ (Glorot uniform), in order. */
function initialKernels(
  pairs: readonly Required<FeaturePair>[],
  rng: Rng,
): Array<[Required<FeaturePair>, Float32Array]> {
  return pairs
    .filter((p) => p.studentWidth !== p.teacherWidth)
    .map((p) => {
      const limit = Math.sqrt(6 / (p.studentWidth + p.teacherWidth));
      return [p, rng.fillUniform(new Float32Array(p.studentWidth * p.teacherWidth), -limit, limit)];
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
  for (const [p, values] of initialKernels(checked, rng)) {
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

// ---- array forms (tape-free training; see common.ts) ----------------------------------------

/** The projections as plain arrays, trained by the tape-free path (same initial values as `createFeatureProjector` for the same generator). */
export interface ArrayFeatureProjector {
  readonly pairs: readonly Required<FeaturePair>[];
  /** Kernels and biases of the projected pairs, [K_0, b_0, K_1, b_1, ...] (one parameter group). */
  readonly values: Float32Array;
  /** Their gradient, written by `backward`. */
  readonly grad: Float32Array;
  /** Tensor sizes of `values`, for the optimizer state. */
  readonly sizes: readonly number[];
  /** P = F K + b on a [rows, studentWidth] feature (the feature itself where the widths match). */
  project(name: string, feature: Float32Array): Float32Array;
  /** dLoss/dF from dLoss/dP of the last `project(name)`; writes the pair's kernel and bias gradients. */
  backward(name: string, dProjected: Float32Array): Float32Array;
}

export function createArrayFeatureProjector(pairs: readonly FeaturePair[], rng: Rng): ArrayFeatureProjector {
  const checked = checkPairs(pairs);
  const byName = new Map(checked.map((p) => [p.name, p]));
  const kernels = initialKernels(checked, rng);
  const sizes = kernels.flatMap(([p]) => [p.studentWidth * p.teacherWidth, p.teacherWidth]);
  const values = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  const grad = new Float32Array(values.length);
  const nets = new Map<string, { net: KernelNet; offset: number }>();
  let offset = 0;
  for (const [p, kernel] of kernels) {
    values.set(kernel, offset);
    const net = new KernelNet([
      {
        kind: "dense",
        inSize: p.studentWidth,
        outSize: p.teacherWidth,
        weight: kernel,
        bias: new Float32Array(p.teacherWidth),
        activation: "linear",
      },
    ]);
    nets.set(p.name, { net, offset });
    offset += net.paramCount;
  }
  const pairOf = (name: string) => {
    const pair = byName.get(name);
    if (!pair)
      throw new ConfigError(
        "name",
        `unknown feature layer ${JSON.stringify(name)}; known: ${[...byName.keys()].join(", ")}`,
      );
    return pair;
  };
  return {
    pairs: checked,
    values,
    grad,
    sizes,
    project(name, feature) {
      const pair = pairOf(name);
      const rows = rowWidth(`studentFeatures.${name}`, feature, 1) / pair.studentWidth;
      if (!Number.isInteger(rows)) {
        throw new ConfigError(
          `studentFeatures.${name}`,
          `has ${feature.length} values, not rows of ${pair.studentWidth} (studentWidth of the pair)`,
        );
      }
      const p = nets.get(name);
      if (!p) return feature;
      p.net.setParams(values, p.offset);
      return p.net.forward(feature, rows).slice();
    },
    backward(name, dProjected) {
      pairOf(name);
      const p = nets.get(name);
      if (!p) return dProjected;
      p.net.backward(dProjected, grad, p.offset, { inputGrad: true });
      return p.net.inputGrad().slice();
    },
  };
}

/**
 * `featureL2Loss` on arrays: features by name, each [batch, ...] row-major with the channels
 * last; dLoss/dStudentFeatures by name, and the projector's gradient in `projector.grad`.
 */
export function featureL2LossArrays(
  studentFeatures: Record<string, Float32Array>,
  teacherFeatures: Record<string, Float32Array>,
  projector: ArrayFeatureProjector,
  batch: number,
  args: ArrayArgs<SampleWeightArgs> = {},
): ArrayLossResult {
  const c = sampleScales(batch, args);
  const metrics: Record<string, number> = {};
  const grads: Record<string, Float32Array> = {};
  projector.grad.fill(0);
  let total = 0;
  for (const pair of projector.pairs) {
    const s = studentFeatures[pair.name];
    const t = teacherFeatures[pair.name];
    if (!s) throw new ConfigError(`studentFeatures.${pair.name}`, "missing: the projector needs this layer");
    if (!t) throw new ConfigError(`teacherFeatures.${pair.name}`, "missing: the projector needs this layer");
    const projected = projector.project(pair.name, s);
    if (projected.length !== t.length) {
      throw new ConfigError(
        `teacherFeatures.${pair.name}`,
        `has ${t.length} values, the projected student feature ${projected.length}; both must have the same shape`,
      );
    }
    const per = rowWidth(`teacherFeatures.${pair.name}`, t, batch);
    const dP = new Float32Array(projected.length);
    let layer = 0;
    for (let r = 0; r < batch; r++) {
      let sum = 0;
      for (let j = r * per; j < (r + 1) * per; j++) {
        const d = projected[j]! - t[j]!;
        sum += d * d;
        dP[j] = (2 * d * c[r]! * pair.weight) / per;
      }
      layer += (c[r]! * sum) / per;
    }
    metrics[`feature/${pair.name}`] = layer;
    total += layer * pair.weight;
    grads[pair.name] = projector.backward(pair.name, dP);
  }
  return { loss: total, metrics, grads: { studentFeatures: grads } };
}
