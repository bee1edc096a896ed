import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { checkKnownKeys, checkNumber } from "../../core/errors.js";
import { Box } from "../../core/spaces.js";
import { RunningMeanStd, type RunningMeanStdState } from "./running-mean-std.js";
import { requireBox } from "./space-checks.js";

export interface NormalizeObservationArgs {
  /** Added to the variance before the square root. Default 1e-8. */
  epsilon?: number;
  /** Clip normalised values to [-clip, clip] (Stable-Baselines3's VecNormalize uses 10). Default: no clip, as Gymnasium. */
  clip?: number;
  /** Start with the statistics frozen (evaluation with saved statistics). Default false. */
  frozen?: boolean;
}

/**
 * Normalises Box observations to roughly zero mean and unit variance with running statistics
 * (Stable-Baselines3 / Gymnasium `RunningMeanStd`: count prior 1e-4). Each observation first updates
 * the statistics (unless `frozen`), then is normalised: `(obs - mean) / sqrt(var + epsilon)`.
 * Save `getStats()` with the model: a policy trained on normalised observations needs them.
 */
export class NormalizeObservation<A = unknown> extends Wrapper<Float32Array, A, unknown, A> {
  readonly epsilon: number;
  readonly clip: number | undefined;
  /** When true the statistics are used but no longer updated. */
  frozen: boolean;
  private readonly rms: RunningMeanStd;
  private readonly space: Box<Float32Array>;

  constructor(env: Env<unknown, A>, args: NormalizeObservationArgs = {}) {
    super(env);
    checkKnownKeys("NormalizeObservation", args, ["epsilon", "clip", "frozen"]);
    const inner = requireBox(env.observationSpace, "NormalizeObservation.observationSpace");
    this.epsilon = checkNumber("NormalizeObservation.epsilon", args.epsilon ?? 1e-8, { positive: true });
    this.clip =
      args.clip === undefined
        ? undefined
        : checkNumber("NormalizeObservation.clip", args.clip, { positive: true });
    this.frozen = args.frozen ?? false;
    this.rms = new RunningMeanStd(inner.size);
    const bound = this.clip ?? Infinity;
    this.space = new Box<Float32Array>(-bound, bound, { shape: inner.shape });
  }

  override get observationSpace(): Box<Float32Array> {
    return this.space;
  }

  override reset(opts?: ResetOptions): ResetResult<Float32Array> {
    const result = this.env.reset(opts);
    return { obs: this.normalize(result.obs as ArrayLike<number>), info: result.info };
  }

  override step(action: A): StepResult<Float32Array> {
    const result = this.env.step(action) as StepResult<unknown>;
    return { ...result, obs: this.normalize(result.obs as ArrayLike<number>) };
  }

  /** The running statistics, JSON-safe, to save in a checkpoint. */
  getStats(): RunningMeanStdState {
    return this.rms.getState();
  }

  setStats(stats: RunningMeanStdState): void {
    this.rms.setState(stats, "NormalizeObservation.stats");
  }

  private normalize(obs: ArrayLike<number>): Float32Array {
    if (!this.frozen) this.rms.update(obs);
    const out = new Float32Array(this.rms.size);
    const { mean } = this.rms;
    const variance = this.rms.var;
    const clip = this.clip ?? Infinity;
    for (let i = 0; i < out.length; i++) {
      const z = (obs[i]! - mean[i]!) / Math.sqrt(variance[i]! + this.epsilon);
      out[i] = Math.min(Math.max(z, -clip), clip);
    }
    return out;
  }
}
