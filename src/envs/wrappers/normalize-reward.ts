import type { Env, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { checkKnownKeys, checkNumber } from "../../core/errors.js";
import { RunningMeanStd, type RunningMeanStdState } from "./running-mean-std.js";

export interface NormalizeRewardArgs {
  /** Discount of the running return whose variance scales the rewards. Default 0.99. */
  gamma?: number;
  /** Added to the variance before the square root. Default 1e-8. */
  epsilon?: number;
  /** Start with the statistics frozen. Default false. */
  frozen?: boolean;
}

/** Statistics plus the running discounted return, JSON-safe, for checkpoints. */
export interface NormalizeRewardStats extends RunningMeanStdState {
  discountedReturn: number;
}

/**
 * Scales rewards so that the discounted return has roughly unit variance (Gymnasium 1.x
 * `NormalizeReward`, the reward half of Stable-Baselines3's VecNormalize; used by PPO on continuous
 * tasks). Rewards are divided by `sqrt(var(returns) + epsilon)`, never shifted
 * (see openai/baselines#538). As in Gymnasium the running return is zeroed only on `terminated`,
 * not on truncation or reset.
 */
export class NormalizeReward<O = unknown, A = unknown> extends Wrapper<O, A> {
  readonly gamma: number;
  readonly epsilon: number;
  /** When true the statistics are used but no longer updated. */
  frozen: boolean;
  private readonly rms = new RunningMeanStd(1);
  private discountedReturn = 0;
  private readonly sample = new Float64Array(1);

  constructor(env: Env<O, A>, args: NormalizeRewardArgs = {}) {
    super(env);
    checkKnownKeys("NormalizeReward", args, ["gamma", "epsilon", "frozen"]);
    this.gamma = checkNumber("NormalizeReward.gamma", args.gamma ?? 0.99, { min: 0, max: 1 });
    this.epsilon = checkNumber("NormalizeReward.epsilon", args.epsilon ?? 1e-8, { positive: true });
    this.frozen = args.frozen ?? false;
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.discountedReturn = this.discountedReturn * this.gamma * (result.terminated ? 0 : 1) + result.reward;
    if (!this.frozen) {
      this.sample[0] = this.discountedReturn;
      this.rms.update(this.sample);
    }
    result.reward = result.reward / Math.sqrt(this.rms.var[0]! + this.epsilon);
    return result;
  }

  getStats(): NormalizeRewardStats {
    return { ...this.rms.getState(), discountedReturn: this.discountedReturn };
  }

  setStats(stats: NormalizeRewardStats): void {
    this.rms.setState(stats, "NormalizeReward.stats");
    this.discountedReturn = checkNumber(
      "NormalizeReward.stats.discountedReturn",
      stats.discountedReturn ?? 0,
    );
  }
}
