/**
 * Elastic weight consolidation for lifelong distillation (Kirkpatrick et al. 2017): after a
 * stage, each parameter's importance to what was learnt is the diagonal of the Fisher information
 * of the student's policy, F_i = E_s E_{a ~ pi(.|s)} [(d log pi(a|s) / d theta_i)^2], and later
 * stages pay (lambda / 2) sum_i F_i (theta_i - theta*_i)^2 for moving away from the stage's end
 * point theta*. Stages add their Fishers and move the anchor to their end (online EWC with gamma = 1,
 * Schwarz et al. 2018), so one penalty stands for every earlier task.
 *
 * The Fisher is estimated from single-state gradients (the sum of per-state squares, not the square
 * of a batch gradient): each state of the sample is run alone, an action is drawn from the
 * student's own policy, and dlog pi(a|s)/dz = onehot(a) - softmax(z) is backpropagated.
 */
import { ConfigError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import { sampleRow, softmaxRows } from "../../nn/distributions.js";
import type { MultiHeadStudent } from "./multi-head-student.js";

export interface FisherSample {
  /** Input rows [n, inputSize] and the task of each row. */
  input: ArrayLike<number>;
  tasks: ArrayLike<number>;
  n: number;
}

/** Diagonal Fisher of the student's policy over the given states (mean over states). */
export function diagonalFisher(student: MultiHeadStudent, sample: FisherSample, rng: Rng): Float32Array {
  const D = student.layout.inputSize;
  const fisher = new Float32Array(student.values.length);
  if (sample.n === 0) return fisher;
  const row = new Float32Array(D);
  for (let r = 0; r < sample.n; r++) {
    for (let i = 0; i < D; i++) row[i] = sample.input[r * D + i]!;
    const task = sample.tasks[r]!;
    const [z] = student.forward(row, 1, [{ task, start: 0, count: 1 }]);
    const k = z!.length;
    const p = softmaxRows(z!, 1, k);
    const a = sampleRow(p, 0, k, rng.random());
    // d(-log pi(a)) / dz = softmax(z) - onehot(a); its square is the same as for +log pi.
    const d = Float32Array.from(p);
    d[a] = d[a]! - 1;
    student.backward([d]);
    const g = student.grad;
    for (let i = 0; i < g.length; i++) fisher[i] = fisher[i]! + g[i]! * g[i]!;
  }
  for (let i = 0; i < fisher.length; i++) fisher[i] = fisher[i]! / sample.n;
  return fisher;
}

/** The EWC penalty over a prefix of the parameters (those that existed when it was computed). */
export class EwcPenalty {
  readonly lambda: number;
  fisher: Float32Array;
  anchor: Float32Array;

  constructor(lambda: number, fisher: Float32Array, anchor: Float32Array) {
    if (!(lambda >= 0 && Number.isFinite(lambda)))
      throw new ConfigError("ewc", `must be a number >= 0, got ${lambda}`);
    if (fisher.length !== anchor.length)
      throw new ConfigError(
        "ewc",
        `Fisher (${fisher.length}) and anchor (${anchor.length}) differ in length`,
      );
    this.lambda = lambda;
    this.fisher = fisher;
    this.anchor = anchor;
  }

  /** Adds the penalty's gradient lambda F (theta - theta*) to `grad`; returns the penalty. */
  apply(values: Float32Array, grad: Float32Array): number {
    const n = Math.min(this.fisher.length, values.length);
    let penalty = 0;
    for (let i = 0; i < n; i++) {
      const d = values[i]! - this.anchor[i]!;
      const fd = this.fisher[i]! * d;
      penalty += fd * d;
      grad[i] = grad[i]! + this.lambda * fd;
    }
    return 0.5 * this.lambda * penalty;
  }

  /**
   * The penalty after a new stage: its Fisher added (parameters that appeared since, e.g. a new
   * task's head, start with importance 0) and the anchor moved to the stage's end point.
   */
  consolidated(fisher: Float32Array, values: Float32Array): EwcPenalty {
    const total = Float32Array.from(fisher);
    for (let i = 0; i < Math.min(this.fisher.length, total.length); i++)
      total[i] = total[i]! + this.fisher[i]!;
    return new EwcPenalty(this.lambda, total, Float32Array.from(values));
  }
}
