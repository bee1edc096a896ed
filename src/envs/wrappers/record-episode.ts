/**
 * `RecordEpisode`: collects the pictures of each episode (the env's `render()`), the way
 * Gymnasium's `RenderCollection` / `RecordVideo` do, keeping memory bounded.
 *
 *   const env = new RecordEpisode(make("CartPole-v1"), { maxFrames: 100, scale: 0.5 });
 *   // ... run episodes ...
 *   const [episode] = env.takeEpisodes();     // { frames, steps, stride, length, return }
 *   writeFileSync("ep.gif", encodeGif(episode.frames));
 *
 * A frame is taken after reset and after every `stride` steps, and always at the last step. When
 * an episode outgrows `maxFrames`, every other frame is dropped and the stride doubles, so a
 * recording always spans the whole episode, evenly sampled, in at most `maxFrames` frames
 * (a 500-step CartPole episode with the default 100 ends with a stride of 8: 64 frames, from 214
 * calls to `render()`). Only finished episodes (terminated or truncated) are kept; one cut short
 * by a `reset()` is dropped.
 */
import type { Env, ResetOptions, ResetResult, RgbFrame, StepResult } from "../../core/env.js";
import { Wrapper } from "../../core/env.js";
import { ConfigError, checkKnownKeys, checkNumber } from "../../core/errors.js";
import { scaledSize, scaleFrame } from "../render/scale.js";

export interface RecordEpisodeArgs {
  /** Most frames kept per episode, >= 2. Default 100. */
  maxFrames?: number;
  /** Resize factor applied to each frame as it is taken (area averaging, see scaleFrame). Default 1. */
  scale?: number;
  /** Finished episodes kept until `takeEpisodes()`, oldest dropped first. Default 10. */
  maxEpisodes?: number;
}

export interface RecordedEpisode {
  frames: RgbFrame[];
  /** The step each frame shows (0 = the state after reset). */
  steps: number[];
  /** Steps between consecutive frames (the last frame may follow its predecessor sooner). */
  stride: number;
  /** Steps in the episode. */
  length: number;
  /** Undiscounted return. */
  return: number;
  terminated: boolean;
}

export class RecordEpisode<O = unknown, A = unknown> extends Wrapper<O, A> {
  readonly maxFrames: number;
  readonly scale: number;
  readonly maxEpisodes: number;
  private finished: RecordedEpisode[] = [];
  private current: RecordedEpisode | null = null;

  constructor(env: Env<O, A>, args: RecordEpisodeArgs = {}) {
    super(env);
    checkKnownKeys("RecordEpisode", args, ["maxFrames", "scale", "maxEpisodes"]);
    if (typeof env.unwrapped.render !== "function") {
      const id = env.spec?.id ?? env.unwrapped.constructor.name;
      throw new ConfigError("env", `${id} cannot render (it has no render()), so it cannot be recorded`);
    }
    this.maxFrames = checkNumber("maxFrames", args.maxFrames ?? 100, { integer: true, min: 2 });
    this.maxEpisodes = checkNumber("maxEpisodes", args.maxEpisodes ?? 10, { integer: true, min: 1 });
    this.scale = args.scale ?? 1;
    scaledSize(1, 1, this.scale); // validates the factor
  }

  /** Finished episodes since the last call, oldest first; the wrapper forgets them. */
  takeEpisodes(): RecordedEpisode[] {
    const out = this.finished;
    this.finished = [];
    return out;
  }

  /** The frames of the episode in progress so far. */
  get currentFrames(): readonly RgbFrame[] {
    return this.current?.frames ?? [];
  }

  override reset(opts?: ResetOptions): ResetResult<O> {
    const result = this.env.reset(opts);
    this.current = { frames: [], steps: [], stride: 1, length: 0, return: 0, terminated: false };
    this.capture(this.current);
    return result;
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    const ep = this.current;
    if (!ep) return result; // OrderEnforcing (below) has already refused a step before reset
    ep.length++;
    ep.return += result.reward;
    const done = result.terminated || result.truncated;
    if (ep.length % ep.stride === 0) this.capture(ep);
    if (done && ep.steps[ep.steps.length - 1] !== ep.length) {
      // The final state is always shown, at the cost of the frame before it if the episode is full.
      ep.frames.push(this.take());
      ep.steps.push(ep.length);
      if (ep.frames.length > this.maxFrames) {
        ep.frames.splice(-2, 1);
        ep.steps.splice(-2, 1);
      }
    }
    if (done) {
      ep.terminated = result.terminated;
      this.finished.push(ep);
      if (this.finished.length > this.maxEpisodes) this.finished.shift();
      this.current = null;
    }
    return result;
  }

  private take(): RgbFrame {
    const frame = this.render();
    // A frame at scale 1 is copied: an env may hand out the same buffer every call.
    if (this.scale === 1) return { width: frame.width, height: frame.height, data: frame.data.slice() };
    return scaleFrame(frame, this.scale);
  }

  /** Takes a frame at the current step and halves the frame rate when the episode is full. */
  private capture(ep: RecordedEpisode): void {
    ep.frames.push(this.take());
    ep.steps.push(ep.length);
    if (ep.frames.length > this.maxFrames) {
      ep.frames = ep.frames.filter((_, i) => i % 2 === 0);
      ep.steps = ep.steps.filter((_, i) => i % 2 === 0);
      ep.stride *= 2;
    }
  }
}
