/**
 * `recordEpisodes`: a policy's episodes as pictures and an animated GIF.
 *
 *   const rec = recordEpisodes(policy, "CartPole-v1", { episodes: 1, seed: 0, scale: 0.5 });
 *   writeFileSync("student.gif", rec.gif);         // or pass { path: "student.gif" }
 *   rec.episodes[0].return; rec.episodes[0].frames.length;
 *
 * The episodes are those `evaluatePolicy` runs with the same seed (one env, seeded with `seed` at
 * its first reset, stochastic actions from the same generator), so the first recorded episode of a
 * teacher and of its student start from the same state, and the GIF shows the first episode of an
 * evaluation with that seed. Frames come from the `RecordEpisode` wrapper: at most `maxFrames` per
 * episode, evenly spread over the whole episode. The GIF plays them at `fps` and holds the last
 * frame of each episode for `holdMs`; the same policy, env and options give the same bytes.
 */
import { writeFileSync } from "node:fs";
import type { Env } from "../core/env.js";
import { ConfigError, checkNumber } from "../core/errors.js";
import type { Policy } from "../core/policy.js";
import { encodeGif } from "../envs/render/gif.js";
import { RecordEpisode, type RecordedEpisode } from "../envs/wrappers/record-episode.js";
import { type EnvSource, type EvalResult, evaluatePolicy } from "./evaluate.js";

export interface RecordOptions {
  /** Episodes to record (all in one GIF, one after the other). Default 1. */
  episodes?: number;
  /** Seed of the env's first reset (and of stochastic actions). Default 0. */
  seed?: number;
  /** Greedy actions. Default true. */
  deterministic?: boolean;
  /** make() kwargs, when the env is given by id. */
  kwargs?: Record<string, unknown>;
  /** Most frames per episode (see RecordEpisode). Default 100. */
  maxFrames?: number;
  /** Frame size factor (0.5 halves each side, smoothing the edges). Default 1. */
  scale?: number;
  /** GIF frames per second. Default 20. */
  fps?: number;
  /** How long the last frame of each episode stays, ms. Default 1000. */
  holdMs?: number;
  /** Also write the GIF to this file. */
  path?: string;
}

export interface Recording {
  episodes: RecordedEpisode[];
  /** The evaluation the episodes came from (returns, lengths). */
  eval: EvalResult;
  /** The animated GIF of every episode. */
  gif: Uint8Array;
  width: number;
  height: number;
  /** Frames in the GIF. */
  frames: number;
}

/** Runs `policy` for `episodes` episodes, recording them, and encodes the GIF. */
export function recordEpisodes(policy: Policy, env: EnvSource, opts: RecordOptions = {}): Recording {
  const fps = opts.fps ?? 20;
  const holdMs = checkNumber("holdMs", opts.holdMs ?? 1000, { min: 0 });
  if (!(Number.isFinite(fps) && fps > 0 && fps <= 100))
    throw new ConfigError("fps", `must be a number in (0, 100], got ${fps}`);
  let recorder: RecordEpisode | null = null;
  const result = evaluatePolicy(policy, env, {
    episodes: opts.episodes ?? 1,
    seed: opts.seed ?? 0,
    deterministic: opts.deterministic ?? true,
    numEnvs: 1,
    kwargs: opts.kwargs,
    bootstrapResamples: 1,
    wrap: (inner: Env) => {
      recorder = new RecordEpisode(inner, {
        maxFrames: opts.maxFrames,
        scale: opts.scale,
        maxEpisodes: opts.episodes ?? 1,
      });
      return recorder;
    },
  });
  const episodes = (recorder as RecordEpisode | null)?.takeEpisodes() ?? [];
  const frames = episodes.flatMap((e) => e.frames);
  const delaysMs = episodes.flatMap((e) =>
    e.frames.map((_, i) => (i === e.frames.length - 1 ? holdMs : 1000 / fps)),
  );
  const gif = encodeGif(frames, { delaysMs });
  if (opts.path) writeFileSync(opts.path, gif);
  return {
    episodes,
    eval: result,
    gif,
    width: frames[0]!.width,
    height: frames[0]!.height,
    frames: frames.length,
  };
}
