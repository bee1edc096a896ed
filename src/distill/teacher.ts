/**
 * The Teacher role: what a distiller asks of a trained model.
 *
 *   const teacher = await loadTeacher("models/cartpole-ppo.json");
 *   checkCompatible(teacher, env);
 *   const out = await teacher.predict(obsBatch, n, { features: "all" });
 *   // out.outputs: [n, actionSize] logits | Q-values | Gaussian means; out.values: V(s);
 *   // out.features["fc0"]: [n, width] activations of the first hidden layer.
 *
 * Teachers answer for a batch of observations at once (a collector labels all its environments in
 * one call). `predict` is asynchronous because an ONNX teacher runs in onnxruntime, whose `run` is
 * asynchronous; teachers that can answer synchronously (the project's own checkpoints, ensembles
 * of them) also offer `predictSync`, which lets them act as a `Policy` in evaluation loops.
 */
import type { Env } from "../core/env.js";
import { ConfigError } from "../core/errors.js";
import type { Action, ActionDistribution, ActOptions, DistributionPolicy } from "../core/policy.js";
import { type AnySpace, Box, Discrete, type Space, spacesEqual } from "../core/spaces.js";
import { argmaxRows, entropyRows, qGapRows, sampleRow, softmaxRows } from "../nn/distributions.js";
import type { ObsNormSpec } from "../nn/spec.js";
import type { TeacherCritic } from "./teachers/critic.js";

/** What the teacher's main output means. */
export type TeacherKind = "logits" | "q" | "gaussian";

export interface TeacherBatch {
  kind: TeacherKind;
  n: number;
  actionSize: number;
  /** [n, actionSize] row-major: logits, Q-values, or Gaussian means. */
  outputs: Float32Array;
  /** Gaussian teachers: [n, actionSize] log standard deviations. */
  logStd?: Float32Array;
  /** State values V(s), [n], when the teacher has a critic. */
  values?: Float32Array;
  /** Hidden activations by name, each [n, width]; only those asked for. */
  features: Record<string, Float32Array>;
}

export interface PredictOptions {
  /** Hidden features to return: a list of names, or "all". Default: none (outputs only). */
  features?: readonly string[] | "all";
  /** One task id per observation, for teachers that route by task (multi-task ensembles). */
  taskIds?: Int32Array;
}

export interface FeatureInfo {
  name: string;
  /** Numbers per observation. */
  size: number;
  /** Shape per observation when known: [width] for a dense layer, [height, width, channels] for a conv map. */
  shape?: readonly number[];
}

export interface Teacher {
  /** Where it came from (file name, or "ensemble(a, b)"). */
  readonly name: string;
  readonly observationSpace: AnySpace;
  readonly actionSpace: AnySpace;
  readonly kind: TeacherKind;
  /** Scalars per observation. */
  readonly obsSize: number;
  /** Number of discrete actions, or action dimensions. */
  readonly actionSize: number;
  /** Parameters used to act (the deployed network; a separate critic is not counted). */
  readonly params: number;
  /** True when `values` is returned. */
  readonly hasValue: boolean;
  /** Hidden features available, input to output. */
  readonly features: readonly FeatureInfo[];
  /**
   * Normalisation the teacher applies to raw observations, when it was given with it (e.g.
   * VecNormalize statistics, `--obs-norm`); students copy it. Checkpoints keep theirs in the spec.
   */
  readonly obsNorm?: ObsNormSpec;
  /** How the loader read an ambiguous model (e.g. which ONNX output is the policy), for the user. */
  readonly notes?: readonly string[];
  /** The action-value critic Q(s, a) saved with the policy (SAC and TD3 agents), when there is one. */
  readonly qCritic?: TeacherCritic;
  predict(obs: Float32Array, n: number, opts?: PredictOptions): Promise<TeacherBatch>;
  /** Synchronous `predict`, where the backend allows it. */
  predictSync?(obs: Float32Array, n: number, opts?: PredictOptions): TeacherBatch;
  dispose?(): void;
}

/** Number of actions (Discrete) or action dimensions (Box); other spaces are not distillable. */
export function actionSizeOf(space: Space<unknown>): number {
  if (space instanceof Discrete) return space.n;
  if (space instanceof Box) return space.size;
  throw new ConfigError("actionSpace", `allowed: Discrete, Box; got ${space.toString()}`);
}

/**
 * Throws unless the teacher was trained on the env's observation and action spaces. A teacher for
 * CartPole fed Acrobot observations would return confident nonsense, so this is checked before any
 * data is collected.
 */
export function checkCompatible(teacher: Teacher, env: Env<unknown, unknown>): void {
  const id = env.spec?.id ?? env.unwrapped.constructor.name;
  if (!spacesEqual(teacher.observationSpace, env.observationSpace)) {
    throw new ConfigError(
      "teacher",
      `${teacher.name} observes ${teacher.observationSpace.toString()} but ${id} gives ${env.observationSpace.toString()}; ` +
        `allowed: an env whose observations are ${teacher.observationSpace.toString()} (the teacher's)`,
    );
  }
  if (!spacesEqual(teacher.actionSpace, env.actionSpace)) {
    throw new ConfigError(
      "teacher",
      `${teacher.name} acts in ${teacher.actionSpace.toString()} but ${id} takes ${env.actionSpace.toString()}; ` +
        `allowed: an env whose actions are ${teacher.actionSpace.toString()} (the teacher's)`,
    );
  }
}

/** Action probabilities softmax(outputs / tau) of a discrete teacher ([n, actionSize]). */
export function teacherProbs(batch: TeacherBatch, tau = 1): Float32Array {
  if (batch.kind === "gaussian")
    throw new ConfigError("teacher", "a Gaussian teacher has no action probabilities");
  return softmaxRows(batch.outputs, batch.n, batch.actionSize, tau);
}

/** How teacher confidence is measured for prioritised sampling. */
export type ConfidenceMeasure = "entropy" | "qgap";

/** Added to the entropy (nats) or std before inverting, so a certain teacher gets a finite weight. */
export const CONFIDENCE_EPS = 0.05;

/**
 * Teacher confidence per observation, > 0, larger = surer: `entropy` gives the inverse entropy
 * 1 / (H(pi_t) + 0.05) (Gaussian teachers: 1 / (mean std + 0.05)), `qgap` the gap between the
 * best and second-best output (Q-teachers; 0 where the teacher is indifferent).
 */
export function teacherConfidence(batch: TeacherBatch, measure: ConfidenceMeasure): Float32Array {
  const { n, actionSize: k } = batch;
  if (batch.kind === "gaussian") {
    const out = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += Math.exp(batch.logStd?.[r * k + j] ?? 0);
      out[r] = 1 / (s / k + CONFIDENCE_EPS);
    }
    return out;
  }
  if (measure === "qgap") return qGapRows(batch.outputs, n, k);
  const h = entropyRows(teacherProbs(batch), n, k);
  for (let r = 0; r < n; r++) h[r] = 1 / (h[r]! + CONFIDENCE_EPS);
  return h;
}

/**
 * One action per row: greedy when deterministic, else sampled (softmax or Gaussian, clipped). A
 * Gaussian teacher that gives means only (no log std: a tanh-squashed SAC or a TD3 actor, whose
 * exported spec is the deterministic action) acts with its mean either way: there is no spread of
 * its own to sample, and a unit std would swamp a [-1, 1] action box with noise.
 */
export function teacherActions(batch: TeacherBatch, actionSpace: AnySpace, opts: ActOptions = {}): Action[] {
  const { n, actionSize: k } = batch;
  const deterministic = opts.deterministic ?? true;
  if (!deterministic && !opts.rng)
    throw new ConfigError("rng", "stochastic teacher actions need a generator");
  const out: Action[] = [];
  if (batch.kind === "gaussian") {
    const box = actionSpace as Box;
    for (let r = 0; r < n; r++) {
      const a = new Float32Array(k);
      for (let j = 0; j < k; j++) {
        let v = batch.outputs[r * k + j]!;
        if (!deterministic && batch.logStd) v += Math.exp(batch.logStd[r * k + j]!) * opts.rng!.normal();
        a[j] = Math.min(Math.max(v, box.low[j]!), box.high[j]!);
      }
      out.push(a);
    }
    return out;
  }
  const start = actionSpace instanceof Discrete ? actionSpace.start : 0;
  if (deterministic) {
    for (const a of argmaxRows(batch.outputs, n, k)) out.push(a + start);
    return out;
  }
  const p = teacherProbs(batch);
  for (let r = 0; r < n; r++) out.push(sampleRow(p, r * k, k, opts.rng!.random()) + start);
  return out;
}

/** The action distribution of row r, in the form the similarity metrics take. */
export function rowDistribution(batch: TeacherBatch, r: number, tau = 1): ActionDistribution {
  const k = batch.actionSize;
  if (batch.kind === "gaussian") {
    const mean = new Float64Array(k);
    const std = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      mean[j] = batch.outputs[r * k + j]!;
      std[j] = Math.exp(batch.logStd?.[r * k + j] ?? 0);
    }
    return { kind: "gaussian", mean, std };
  }
  const p = softmaxRows(batch.outputs.subarray(r * k, (r + 1) * k), 1, k, tau);
  return { kind: "categorical", probs: Float64Array.from(p) };
}

/**
 * A synchronous teacher as a `DistributionPolicy`, so evaluation and similarity code can run it.
 * Throws for teachers without `predictSync` (ONNX), which must be evaluated asynchronously.
 */
export function teacherPolicy(teacher: Teacher): DistributionPolicy {
  const sync = teacher.predictSync?.bind(teacher);
  if (!sync)
    throw new ConfigError("teacher", `${teacher.name} has no synchronous forward to act as a Policy`);
  return {
    act(obs: Float32Array, opts?: ActOptions): Action {
      return teacherActions(sync(obs, 1), teacher.actionSpace, opts)[0]!;
    },
    distribution(obs: Float32Array): ActionDistribution {
      return rowDistribution(sync(obs, 1), 0);
    },
  };
}

/** Checks a batch of observations has n * obsSize entries. */
export function checkBatch(teacher: { name: string; obsSize: number }, obs: Float32Array, n: number): void {
  if (obs.length !== n * teacher.obsSize) {
    throw new ConfigError(
      "obs",
      `${teacher.name} expects ${n} x ${teacher.obsSize} = ${n * teacher.obsSize} values, got ${obs.length}`,
    );
  }
}
