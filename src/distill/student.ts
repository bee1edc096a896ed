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
 *
 * Quantization-aware distillation (`s.fakeQuant = true`, set by the loop from cfg.quantizeAware):
 * `forward` multiplies with int8 fake-quantized weights (symmetric, per output channel, the
 * straight-through estimator for gradients; src/deploy/fake-quantize.ts), and `toSpec` / `policy`
 * give those weights (the int8 grid, as float32), so the student that acts, is evaluated and is
 * saved is the one `rldistill export --quantize int8` ships. The variables keep full precision.
 */
import { ConfigError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import { type AnySpace, Box, Discrete } from "../core/spaces.js";
import { fakeQuantize } from "../deploy/fake-quantize.js";
import { dequantizeSpec, quantizeSpec } from "../deploy/quantize.js";
import { type Tensor, type Tensor2D, tf, type Variable } from "../nn/backend.js";
import { type CompiledPolicy, compileSpec } from "../nn/fast.js";
import { GAIN_POLICY, GAIN_VALUE } from "../nn/init.js";
import { dense, normalizeObs } from "../nn/ops.js";
import { type ForwardResult, Mlp } from "../nn/sequential.js";
import type { Activation, ObsNormSpec, PolicySpec } from "../nn/spec.js";

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
  readonly activation: Activation;
  /** Quantization-aware training: int8 fake-quantized weights in forward, toSpec and policy. */
  fakeQuant = false;

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
    this.activation = activation;
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
      // Inside tidy, so the initial tensor (sharing the variable's data) is released.
      this.logStd = tf.tidy(() => tf.variable(tf.fill([this.actionSize], opts.initLogStd ?? 0), true));
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

  /** Names and widths of the hidden activations `forward` returns (fc0, fc1, ...). */
  hiddenInfo(): Array<{ name: string; size: number }> {
    return this.hidden.map((size, i) => ({ name: `fc${i}`, size }));
  }

  /** Normalised input tensor for a raw observation batch. */
  input(obs: Tensor): Tensor {
    return this.obsNorm ? normalizeObs(obs, this.obsNorm) : obs;
  }

  forward(obs: Tensor): StudentForward {
    const x = this.input(obs);
    const { out, hidden } = this.run(this.net, x);
    const res: StudentForward = { out, hidden };
    if (this.valueNet) res.value = this.run(this.valueNet, x).out;
    return res;
  }

  /** Weight `fc{index}` of `net` as the forward uses it (fake-quantized under QAT), for distillers with their own forward. */
  layerWeight(index: number, net: Mlp = this.net): Tensor {
    const w = net.params.get(`fc${index}.weight`);
    // Dense weights are [in, out]: axis 1 is the output channel, as quantizeSpec's per-channel scales.
    return this.fakeQuant ? fakeQuantize(w, 8, 1) : w;
  }

  private run(net: Mlp, x: Tensor): ForwardResult {
    if (!this.fakeQuant) return net.forward(x);
    const depth = net.layerNames().length - 1;
    const hidden: Record<string, Tensor> = {};
    let h = x;
    for (let i = 0; i <= depth; i++) {
      const act = i < depth ? this.activation : "linear";
      h = dense(h, this.layerWeight(i, net), net.params.get(`fc${i}.bias`), act);
      if (i < depth) hidden[`fc${i}`] = h;
    }
    return { out: h as Tensor2D, hidden };
  }

  /** The log std broadcast to [batch, actionSize] (Gaussian students). */
  logStdRows(batch: number): Tensor {
    if (!this.logStd) throw new ConfigError("student", "has no log std (not a Gaussian student)");
    // Broadcast by addition (Add's gradient sums over the batch; Tile has no registered gradient).
    return tf.add(tf.zeros([batch, this.actionSize]), this.logStd);
  }

  /** The deployable network (under QAT: int8-grid weights, exactly what quantizeSpec exports). */
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
    // A PolicySpec's value head is V(s); a Q-shaped head (distilled Q(s, .)) is not exported.
    if (this.valueNet && this.valueNet.outSize === 1) spec.valueLayers = this.valueNet.toSpec();
    return this.fakeQuant ? dequantizeSpec(quantizeSpec(spec)) : spec;
  }

  /** A synchronous snapshot of the current weights (src/nn's compiled forward), for acting and evaluation. */
  policy(): CompiledPolicy {
    return compileSpec(this.toSpec());
  }

  dispose(): void {
    this.net.dispose();
    this.valueNet?.dispose();
    this.logStd?.dispose();
  }
}
