import type { Env, ResetOptions, ResetResult, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { ConfigError, checkKnownKeys, checkNumber, RlDistillError } from "../../core/errors.js";

export interface RecordEpisodeStatisticsArgs {
  /** How many finished episodes `returnQueue`, `lengthQueue` and `timeQueue` keep. Default 100. */
  bufferLength?: number;
  /** The info key the statistics go under. Default "episode" (Gymnasium's). */
  statsKey?: string;
}

/** What lands in `info[statsKey]` at the end of an episode. */
export interface EpisodeStatistics {
  /** Undiscounted return. */
  r: number;
  /** Length in steps. */
  l: number;
  /** Wall time since the reset, in seconds (rounded to microseconds as Gymnasium does). */
  t: number;
}

/**
 * At the end of each episode (terminated or truncated) adds `info.episode = { r, l, t }`, and keeps
 * the last `bufferLength` returns, lengths and times. Gymnasium 1.x semantics.
 */
export class RecordEpisodeStatistics<O = unknown, A = unknown> extends Wrapper<O, A> {
  readonly bufferLength: number;
  readonly statsKey: string;
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  episodeCount = 0;
  private episodeReturn = 0;
  private episodeLength = 0;
  private episodeStart = performance.now();

  constructor(env: Env<O, A>, args: RecordEpisodeStatisticsArgs = {}) {
    super(env);
    checkKnownKeys("RecordEpisodeStatistics", args, ["bufferLength", "statsKey"]);
    this.bufferLength = checkNumber("bufferLength", args.bufferLength ?? 100, { integer: true, min: 1 });
    this.statsKey = args.statsKey ?? "episode";
    if (typeof this.statsKey !== "string" || this.statsKey === "") {
      throw new ConfigError("statsKey", `must be a non-empty string, got ${String(this.statsKey)}`);
    }
  }

  override reset(opts?: ResetOptions): ResetResult<O> {
    const result = this.env.reset(opts);
    this.episodeStart = performance.now();
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return result;
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.episodeReturn += result.reward;
    this.episodeLength++;
    if (result.terminated || result.truncated) {
      if (this.statsKey in result.info) {
        throw new RlDistillError(
          `RecordEpisodeStatistics: info already has "${this.statsKey}" (wrapped twice?); pass another statsKey`,
        );
      }
      const stats: EpisodeStatistics = {
        r: this.episodeReturn,
        l: this.episodeLength,
        t: Math.round((performance.now() - this.episodeStart) * 1000) / 1e6,
      };
      result.info = { ...result.info, [this.statsKey]: stats };
      push(this.returnQueue, stats.r, this.bufferLength);
      push(this.lengthQueue, stats.l, this.bufferLength);
      push(this.timeQueue, stats.t, this.bufferLength);
      this.episodeCount++;
      this.episodeStart = performance.now();
    }
    return result;
  }
}

function push(queue: number[], value: number, max: number): void {
  queue.push(value);
  if (queue.length > max) queue.shift();
}
