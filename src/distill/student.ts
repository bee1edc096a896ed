/**
 * The student: a small MLP policy trained by a distiller, with optional value head.
 *
 *   const s = new Student({ obsSize: 4, actionSpace, hidden: [32, 32], output: "logits", rng });
 *   const { out, hidden, value } = s.forward(obsTensor);   // inside a trainStep
 *   const policy = s.policy();                              // synchronous snapshot for acting
 *   const spec = s.toSpec();                                // PolicySpec for checkpoints/ONNX
 *
 * Observation normalisation is copied (frozen) from the teacher when it has one, so both see the
 * same inputs. Continuous students have a state-independent log std (as CleanRL/SB3 PPO).
 */
import { ConfigError } from "../core/errors.js";
import type { Action, ActionDistribution, ActOptions, DistributionPolicy } from "../core/policy.js";
import type { Rng } from "../core/rng.js";
import { type AnySpace, Box, Discrete } from "../core/spaces.js";
import { type Tensor, type Tensor2D, tf, type Variable } from "../nn/backend.js";
import { GAIN_POLICY, GAIN_VALUE } from "../nn/init.js";
import { normalizeObs } from "../nn/ops.js";
import { Mlp } from "../nn/sequential.js";
import type { Activation, ObsNormSpec, PolicySpec } from "../nn/spec.js";
import { argmaxRows, sampleRow, softmaxRows } from "./probs.js";
import { forwardLayers, normaliseObs } from "./teachers/spec-forward.js";

export type StudentOutput = PolicySpec["output"];

export interface StudentOptions {
  obsSize: number;
  actionSpace: AnySpace;
  /** Hidden widths, each >= 1, at least one layer. */
  hidden: readonly number[];
  activation?: Activation;
  /** logits (policy), q (Q-values, acts by argmax) or mean (Gaussian). */
  output: StudentOutput;
  /** Width of a separate value head (1 for V(s), the action count for Q(s, .)); 0 = none. */
  valueWidth?: number;
  /** Hidden widths of the value head. Default: the policy's. */
  valueHidden?: readonly number[];
  /** Initial log std of a Gaussian student. Default 0. */
  initLogStd?: number;
  obsNorm?: ObsNormSpec;
  rng: Rng;
}

export interface StudentForward {
  out: Tensor2D;
  hidden: Record<string, Tensor>;
  value?: Tensor2D;
}

/** Checks hidden widths (a "0,32" student cannot work: a zero-width layer passes nothing on). */
export function checkHidden(field: string, hidden: readonly number[]): number[] {
  if (!Array.isArray(hidden) || hidden.length === 0) {
    throw new ConfigError(field, "needs at least one hidden layer width, e.g. 32,32");
  }
  for (const [i, h] of hidden.entries()) {
    if (!(Number.isInteger(h) && h >= 1)) {
      throw new ConfigError(
        field,
        `layer ${i} has width ${String(h)}; widths must be integers >= 1, e.g. 32,32`,
      );
    }
  }
  return [...hidden];
}

export class Student {
  readonly obsSize: number;
  readonly actionSpace: AnySpace;
  readonly actionSize: number;
  readonly output: StudentOutput;
  readonly hidden: number[];
  readonly net: Mlp;
  readonly valueNet?: Mlp;
  readonly logStd?: Variable;
  readonly obsNorm?: ObsNormSpec;

  constructor(opts: StudentOptions) {
    this.hidden = checkHidden("student", opts.hidden);
    this.obsSize = opts.obsSize;
    this.actionSpace = opts.actionSpace;
    this.output = opts.output;
    if (opts.actionSpace instanceof Discrete) {
      if (opts.output === "mean")
        throw new ConfigError("student", "a Gaussian student cannot act in a Discrete space");
      this.actionSize = opts.actionSpace.n;
    } else if (opts.actionSpace instanceof Box) {
      if (opts.output !== "mean")
        throw new ConfigError("student", `a ${opts.output} student cannot act in a Box space`);
      this.actionSize = opts.actionSpace.size;
    } else throw new ConfigError("actionSpace", `allowed: Discrete, Box; got ${opts.actionSpace.toString()}`);
    this.obsNorm = opts.obsNorm;
    const activation = opts.activation ?? "tanh";
    // Output gain 0.01 (CleanRL): a near-uniform initial policy, so early KL gradients are tame.
    this.net = new Mlp(
      {
        inSize: this.obsSize,
        hidden: this.hidden,
        outSize: this.actionSize,
        activation,
        outGain: GAIN_POLICY,
        name: "student",
      },
      opts.rng,
    );
    if (opts.output === "mean") {
      this.logStd = tf.variable(tf.fill([this.actionSize], opts.initLogStd ?? 0), true);
    }
    if (opts.valueWidth) {
      this.valueNet = new Mlp(
        {
          inSize: this.obsSize,
          hidden: [...(opts.valueHidden ?? this.hidden)],
          outSize: opts.valueWidth,
          activation,
          outGain: GAIN_VALUE,
          name: "student-value",
        },
        opts.rng,
      );
    }
  }

  /** Every trainable variable (policy, log std, value head). */
  get variables(): Variable[] {
    const vars = [...this.net.variables];
    if (this.logStd) vars.push(this.logStd);
    if (this.valueNet) vars.push(...this.valueNet.variables);
    return vars;
  }

  /** Parameters used to act (the deployed network and log std; the value head is not counted). */
  get params(): number {
    return this.net.paramCount() + (this.logStd?.size ?? 0);
  }

  /** Normalised input tensor for a raw observation batch. */
  input(obs: Tensor): Tensor {
    return this.obsNorm ? normalizeObs(obs, this.obsNorm) : obs;
  }

  forward(obs: Tensor): StudentForward {
    const x = this.input(obs);
    const { out, hidden } = this.net.forward(x);
    const res: StudentForward = { out, hidden };
    if (this.valueNet) res.value = this.valueNet.forward(x).out;
    return res;
  }

  /** The log std broadcast to [batch, actionSize] (Gaussian students). */
  logStdRows(batch: number): Tensor {
    if (!this.logStd) throw new ConfigError("student", "has no log std (not a Gaussian student)");
    return tf.tile(tf.reshape(this.logStd, [1, this.actionSize]), [batch, 1]);
  }

  toSpec(): PolicySpec {
    const spec: PolicySpec = {
      obsShape: [this.obsSize],
      output: this.output,
      actionSize: this.actionSize,
      layers: this.net.toSpec(),
    };
    if (this.obsNorm) spec.obsNorm = this.obsNorm;
    if (this.logStd) {
      spec.logStd = Float32Array.from(this.logStd.dataSync());
      const box = this.actionSpace as Box;
      spec.actionLow = Float32Array.from(box.low);
      spec.actionHigh = Float32Array.from(box.high);
    }
    if (this.valueNet) spec.valueLayers = this.valueNet.toSpec();
    return spec;
  }

  /** A synchronous snapshot of the current weights, for acting and evaluation. */
  policy(): SpecPolicy {
    return new SpecPolicy(this.toSpec(), this.actionSpace);
  }

  dispose(): void {
    this.net.dispose();
    this.valueNet?.dispose();
    this.logStd?.dispose();
  }
}

/**
 * A `DistributionPolicy` over a `PolicySpec` (plain Float32Array forward): logits and Q students
 * act by argmax (sampling softmax when not deterministic), Gaussian ones by their mean (sampling
 * with the log std), clipped to the action box.
 */
export class SpecPolicy implements DistributionPolicy {
  readonly spec: PolicySpec;
  private readonly space: AnySpace;
  private readonly k: number;

  constructor(spec: PolicySpec, actionSpace: AnySpace) {
    this.spec = spec;
    this.space = actionSpace;
    this.k = spec.actionSize;
  }

  /** Raw outputs (logits, Q-values or means) for a batch, [n, actionSize]. */
  outputs(obs: Float32Array, n: number): Float32Array {
    return forwardLayers(this.spec.layers, normaliseObs(this.spec, obs, n), n).output;
  }

  act(obs: Float32Array, opts: ActOptions = {}): Action {
    const out = this.outputs(obs, 1);
    const deterministic = opts.deterministic ?? true;
    if (this.spec.output === "mean") {
      const box = this.space as Box;
      const a = new Float32Array(this.k);
      for (let j = 0; j < this.k; j++) {
        let v = out[j]!;
        if (!deterministic) v += Math.exp(this.spec.logStd?.[j] ?? 0) * opts.rng!.normal();
        a[j] = Math.min(Math.max(v, box.low[j]!), box.high[j]!);
      }
      return a;
    }
    const start = this.space instanceof Discrete ? this.space.start : 0;
    if (deterministic) return argmaxRows(out, 1, this.k)[0]! + start;
    if (!opts.rng) throw new ConfigError("rng", "stochastic actions need a generator");
    return sampleRow(softmaxRows(out, 1, this.k), 0, this.k, opts.rng.random()) + start;
  }

  distribution(obs: Float32Array): ActionDistribution {
    const out = this.outputs(obs, 1);
    if (this.spec.output === "mean") {
      return {
        kind: "gaussian",
        mean: Float64Array.from(out),
        std: Float64Array.from({ length: this.k }, (_, j) => Math.exp(this.spec.logStd?.[j] ?? 0)),
      };
    }
    return { kind: "categorical", probs: Float64Array.from(softmaxRows(out, 1, this.k)) };
  }
}
