/**
 * Names for the distillation losses, so configs and the CLI can choose one by string. Every entry
 * takes one bag of tensors (`LossInputs`) and a plain options object, checks that the tensors it
 * needs are there and that every option is one it knows, then calls the typed loss function.
 */

import { ConfigError, checkKnownKeys } from "../../core/errors.js";
import type { tf } from "../../nn/backend.js";
import { attentionTransferArrays, attentionTransferLayers } from "./attention.js";
import {
  jsLoss,
  jsLossArrays,
  klLoss,
  klLossArrays,
  nllLoss,
  nllLossArrays,
  reverseKlLoss,
  reverseKlLossArrays,
} from "./categorical.js";
import type { ArrayLossResult, LossResult } from "./common.js";
import {
  type ArrayFeatureProjector,
  type FeatureProjector,
  featureL2Loss,
  featureL2LossArrays,
} from "./features.js";
import { gaussianKlLoss, gaussianKlLossArrays } from "./gaussian.js";
import {
  huberLoss,
  huberLossArrays,
  mseLoss,
  mseLossArrays,
  valueMseLoss,
  valueMseLossArrays,
} from "./regression.js";
import { gaussianW2Loss, gaussianW2LossArrays, meanMseLoss, meanMseLossArrays } from "./wasserstein.js";

/** Every tensor a loss may read; each loss names the ones it requires in `LossSpec.inputs`. */
export interface LossInputs {
  /** Student logits [B, A]. */
  studentLogits?: tf.Tensor;
  /** Teacher logits or Q-values [B, A]. */
  teacherLogits?: tf.Tensor;
  /** Gaussian policy means and log-stds [B, D]. */
  studentMean?: tf.Tensor;
  studentLogStd?: tf.Tensor;
  teacherMean?: tf.Tensor;
  teacherLogStd?: tf.Tensor;
  /** State values [B] / [B, 1] or Q-values [B, A]. */
  studentValues?: tf.Tensor;
  teacherValues?: tf.Tensor;
  /** Named hidden activations ([B, W] or [B, H, W, C]). */
  studentFeatures?: Record<string, tf.Tensor>;
  teacherFeatures?: Record<string, tf.Tensor>;
  /** Per-sample weights [B] (optional for every loss). */
  weights?: tf.Tensor;
  /** Taken actions [B] (int32), for value losses on Q restricted to them (optional). */
  actions?: tf.Tensor;
  /** Mask [B, A] for value losses on Q (optional). */
  mask?: tf.Tensor;
}

export type LossInputName = Exclude<keyof LossInputs, "weights" | "actions" | "mask">;

/**
 * `LossInputs` as plain row-major arrays of `batch` rows (the tape-free path). Student-side
 * inputs get gradients in `ArrayLossResult.grads` under the same names.
 */
export interface LossArrays {
  batch: number;
  studentLogits?: Float32Array;
  teacherLogits?: Float32Array;
  studentMean?: Float32Array;
  studentLogStd?: Float32Array;
  teacherMean?: Float32Array;
  teacherLogStd?: Float32Array;
  studentValues?: Float32Array;
  teacherValues?: Float32Array;
  studentFeatures?: Record<string, Float32Array>;
  teacherFeatures?: Record<string, Float32Array>;
  weights?: ArrayLike<number>;
  actions?: ArrayLike<number>;
  mask?: Float32Array;
}

export type LossName =
  | "kl"
  | "reverse-kl"
  | "js"
  | "nll"
  | "mse"
  | "gaussian-kl"
  | "gaussian-w2"
  | "mean-mse"
  | "value-mse"
  | "huber"
  | "feature-l2"
  | "attention";

export interface LossSpec {
  name: LossName;
  description: string;
  /** Tensors of `LossInputs` this loss requires. */
  inputs: readonly LossInputName[];
  /** Option keys it accepts (besides none). */
  options: readonly string[];
  /** Only meaningful for discrete action spaces (categorical policies). */
  discreteOnly: boolean;
  /** Only meaningful for continuous action spaces (Gaussian policies). */
  continuousOnly: boolean;
  fn(inputs: LossInputs, options?: Record<string, unknown>): LossResult;
  /**
   * The same loss on plain arrays with its gradients, for training without the tape (same
   * options; `feature-l2` takes an `ArrayFeatureProjector`, `attention` the pixels per map of each
   * layer as `spatial`).
   */
  arrays?(inputs: LossArrays, options?: Record<string, unknown>): ArrayLossResult;
}

const TEMPERED_OPTIONS = ["tau", "scaleByTauSquared", "weightNormalization"] as const;
const VALUE_OPTIONS = ["weightNormalization"] as const;

type Impl = (inputs: Required<LossInputs>, options: Record<string, unknown>) => LossResult;
type ArrayImpl = (inputs: Required<LossArrays>, options: Record<string, unknown>) => ArrayLossResult;
// Options arrive untyped from configs; each loss function validates the values it reads.
type Opts = Record<string, never>;

function entry(
  name: LossName,
  description: string,
  inputs: readonly LossInputName[],
  options: readonly string[],
  kind: "discrete" | "continuous" | "any",
  impl: Impl,
  arrayImpl?: ArrayImpl,
): LossSpec {
  const spec: LossSpec = {
    name,
    description,
    inputs,
    options,
    discreteOnly: kind === "discrete",
    continuousOnly: kind === "continuous",
    fn(given, opts = {}) {
      checkKnownKeys(`loss.${name}`, opts, options);
      for (const input of inputs) {
        if (given[input] === undefined) {
          throw new ConfigError(`inputs.${input}`, `required by loss "${name}" (needs ${inputs.join(", ")})`);
        }
      }
      return impl(given as Required<LossInputs>, opts);
    },
  };
  if (arrayImpl) {
    spec.arrays = (given, opts = {}) => {
      checkKnownKeys(`loss.${name}`, opts, options);
      for (const input of inputs) {
        if (given[input] === undefined) {
          throw new ConfigError(`inputs.${input}`, `required by loss "${name}" (needs ${inputs.join(", ")})`);
        }
      }
      return arrayImpl(given as Required<LossArrays>, opts);
    };
  }
  return spec;
}

const entries: LossSpec[] = [
  entry(
    "kl",
    "KL(teacher || student) of softmax(logits / tau), tau on both; the teacher may give Q-values (Rusu et al. 2016: tau = 0.01 best)",
    ["studentLogits", "teacherLogits"],
    TEMPERED_OPTIONS,
    "discrete",
    (i, o) => klLoss(i.studentLogits, i.teacherLogits, { ...(o as Opts), weights: i.weights }),
    (i, o) => klLossArrays(i.studentLogits, i.teacherLogits, i.batch, { ...(o as Opts), weights: i.weights }),
  ),
  entry(
    "reverse-kl",
    "KL(student || teacher) of softmax(logits / tau): mode-seeking",
    ["studentLogits", "teacherLogits"],
    TEMPERED_OPTIONS,
    "discrete",
    (i, o) => reverseKlLoss(i.studentLogits, i.teacherLogits, { ...(o as Opts), weights: i.weights }),
    (i, o) =>
      reverseKlLossArrays(i.studentLogits, i.teacherLogits, i.batch, { ...(o as Opts), weights: i.weights }),
  ),
  entry(
    "js",
    "Jensen-Shannon divergence of softmax(logits / tau): symmetric, bounded by log 2",
    ["studentLogits", "teacherLogits"],
    TEMPERED_OPTIONS,
    "discrete",
    (i, o) => jsLoss(i.studentLogits, i.teacherLogits, { ...(o as Opts), weights: i.weights }),
    (i, o) => jsLossArrays(i.studentLogits, i.teacherLogits, i.batch, { ...(o as Opts), weights: i.weights }),
  ),
  entry(
    "nll",
    "cross-entropy of the teacher's argmax action (behaviour cloning of greedy actions)",
    ["studentLogits", "teacherLogits"],
    VALUE_OPTIONS,
    "discrete",
    (i, o) => nllLoss(i.studentLogits, i.teacherLogits, { ...(o as Opts), weights: i.weights }),
    (i, o) =>
      nllLossArrays(i.studentLogits, i.teacherLogits, i.batch, { ...(o as Opts), weights: i.weights }),
  ),
  entry(
    "mse",
    "mean squared error on logits or Q-values (Rusu et al. 2016: worst on Q-values)",
    ["studentLogits", "teacherLogits"],
    VALUE_OPTIONS,
    "discrete",
    (i, o) => mseLoss(i.studentLogits, i.teacherLogits, { ...(o as Opts), weights: i.weights }),
    (i, o) =>
      mseLossArrays(i.studentLogits, i.teacherLogits, i.batch, { ...(o as Opts), weights: i.weights }),
  ),
  entry(
    "gaussian-kl",
    "KL between diagonal Gaussian policies (mean, logStd); direction forward (teacher || student) or reverse",
    ["studentMean", "studentLogStd", "teacherMean", "teacherLogStd"],
    ["direction", "weightNormalization"],
    "continuous",
    (i, o) =>
      gaussianKlLoss(
        { mean: i.studentMean, logStd: i.studentLogStd },
        { mean: i.teacherMean, logStd: i.teacherLogStd },
        { ...(o as Opts), weights: i.weights },
      ),
    (i, o) =>
      gaussianKlLossArrays(
        { mean: i.studentMean, logStd: i.studentLogStd },
        { mean: i.teacherMean, logStd: i.teacherLogStd },
        i.batch,
        { ...(o as Opts), weights: i.weights },
      ),
  ),
  entry(
    "gaussian-w2",
    "squared 2-Wasserstein distance between diagonal Gaussians: sum (mu_s - mu_t)^2 + (std_s - std_t)^2 (bounded for near-deterministic teachers)",
    ["studentMean", "studentLogStd", "teacherMean", "teacherLogStd"],
    VALUE_OPTIONS,
    "continuous",
    (i, o) =>
      gaussianW2Loss(
        { mean: i.studentMean, logStd: i.studentLogStd },
        { mean: i.teacherMean, logStd: i.teacherLogStd },
        { ...(o as Opts), weights: i.weights },
      ),
    (i, o) =>
      gaussianW2LossArrays(
        { mean: i.studentMean, logStd: i.studentLogStd },
        { mean: i.teacherMean, logStd: i.teacherLogStd },
        i.batch,
        { ...(o as Opts), weights: i.weights },
      ),
  ),
  entry(
    "mean-mse",
    "mean squared error between the Gaussian means (behaviour cloning of the mean action; std ignored)",
    ["studentMean", "teacherMean"],
    VALUE_OPTIONS,
    "continuous",
    (i, o) => meanMseLoss(i.studentMean, i.teacherMean, { ...(o as Opts), weights: i.weights }),
    (i, o) =>
      meanMseLossArrays(i.studentMean, i.teacherMean, i.batch, { ...(o as Opts), weights: i.weights }),
  ),
  entry(
    "value-mse",
    "mean squared error on V [B] or Q [B, A] (all actions, or the taken ones via inputs.actions / inputs.mask)",
    ["studentValues", "teacherValues"],
    VALUE_OPTIONS,
    "any",
    (i, o) =>
      valueMseLoss(i.studentValues, i.teacherValues, {
        ...(o as Opts),
        weights: i.weights,
        actions: i.actions,
        mask: i.mask,
      }),
    (i, o) =>
      valueMseLossArrays(i.studentValues, i.teacherValues, i.batch, {
        ...(o as Opts),
        weights: i.weights,
        actions: i.actions,
        mask: i.mask,
      }),
  ),
  entry(
    "huber",
    "Huber loss on V or Q (quadratic within delta, linear beyond; bounded gradients)",
    ["studentValues", "teacherValues"],
    ["delta", "weightNormalization"],
    "any",
    (i, o) =>
      huberLoss(i.studentValues, i.teacherValues, {
        ...(o as Opts),
        weights: i.weights,
        actions: i.actions,
        mask: i.mask,
      }),
    (i, o) =>
      huberLossArrays(i.studentValues, i.teacherValues, i.batch, {
        ...(o as Opts),
        weights: i.weights,
        actions: i.actions,
        mask: i.mask,
      }),
  ),
  entry(
    "feature-l2",
    "L2 between named hidden activations, with a learned projection where widths differ (FitNets); needs options.projector",
    ["studentFeatures", "teacherFeatures"],
    ["projector", "weightNormalization"],
    "any",
    (i, o) => {
      const { projector, ...rest } = o as { projector?: FeatureProjector };
      if (!projector || typeof projector.project !== "function") {
        throw new ConfigError(
          "loss.feature-l2.projector",
          "required: create one with createFeatureProjector(pairs, rng)",
        );
      }
      return featureL2Loss(i.studentFeatures, i.teacherFeatures, projector, {
        ...(rest as Opts),
        weights: i.weights,
      });
    },
    (i, o) => {
      const { projector, ...rest } = o as { projector?: ArrayFeatureProjector };
      if (!projector || typeof projector.backward !== "function") {
        throw new ConfigError(
          "loss.feature-l2.projector",
          "required: create one with createArrayFeatureProjector(pairs, rng)",
        );
      }
      return featureL2LossArrays(i.studentFeatures, i.teacherFeatures, projector, i.batch, {
        ...(rest as Opts),
        weights: i.weights,
      });
    },
  ),
  entry(
    "attention",
    "attention transfer on conv feature maps [B, H, W, C] (Zagoruyko and Komodakis 2017)",
    ["studentFeatures", "teacherFeatures"],
    ["p", "layerWeights", "weightNormalization", "spatial"],
    "any",
    (i, o) =>
      attentionTransferLayers(i.studentFeatures, i.teacherFeatures, { ...(o as Opts), weights: i.weights }),
    (i, o) =>
      attentionTransferArrays(i.studentFeatures, i.teacherFeatures, i.batch, {
        ...(o as Opts),
        weights: i.weights,
      }),
  ),
];

export const lossRegistry: Readonly<Record<LossName, LossSpec>> = Object.freeze(
  Object.fromEntries(entries.map((e) => [e.name, e])) as Record<LossName, LossSpec>,
);

export const lossNames: readonly LossName[] = entries.map((e) => e.name);

/** The loss called `name`; throws a ConfigError listing the allowed names otherwise. */
export function getLoss(name: string, field = "loss"): LossSpec {
  if (!Object.hasOwn(lossRegistry, name)) {
    throw new ConfigError(field, `unknown loss ${JSON.stringify(name)}; allowed: ${lossNames.join(", ")}`);
  }
  return lossRegistry[name as LossName];
}
