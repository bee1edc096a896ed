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

import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../core/atomic-write.js";
import type { Env } from "../core/env.js";
import { ConfigError, checkNumber } from "../core/errors.js";
import type { Policy } from "../core/policy.js";
import { make } from "../envs/registry.js";
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
  if (opts.path) writeFileAtomic(opts.path, gif);
  return {
    episodes,
    eval: result,
    gif,
    width: frames[0]!.width,
    height: frames[0]!.height,
    frames: frames.length,
  };
}

/** True when the env (an id, or a factory's env 0) can draw itself. */
export function envCanRender(env: EnvSource, kwargs: Record<string, unknown> = {}): boolean {
  const probe = typeof env === "string" ? make(env, kwargs) : env(0);
  try {
    return typeof probe.unwrapped.render === "function";
  } finally {
    probe.close();
  }
}

/** The index of the GIFs `writePolicyVideos` wrote into a folder. */
export const VIDEOS_FILE = "videos.json";

/** One written GIF of one policy. */
export interface PolicyVideo {
  /** File name inside the folder it was written to. */
  file: string;
  bytes: number;
  frames: number;
  width: number;
  height: number;
  /** Return and length of each recorded episode. */
  returns: number[];
  lengths: number[];
}

/** videos.json. */
export interface PolicyVideos {
  /** Seed of the recorded episodes (the same for every policy). */
  seed: number;
  videos: Record<string, PolicyVideo>;
  /** Why no GIF was written (video off, an env that cannot render), else null. */
  skipped: string | null;
}

/** Writes videos.json into `dir` (the report reads it to place and caption the GIFs). */
export function writeVideosIndex(dir: string, index: PolicyVideos): void {
  writeJsonAtomic(join(dir, VIDEOS_FILE), index);
}

/**
 * Records every policy on the same episodes (same seed) and writes `<dir>/<name>.gif` for each,
 * e.g. teacher.gif and student.gif side by side in a report, and videos.json listing them. An env
 * that cannot render writes no GIF, and videos.json says why.
 */
export function writePolicyVideos(
  policies: Record<string, Policy>,
  env: EnvSource,
  dir: string,
  opts: Omit<RecordOptions, "path"> = {},
): PolicyVideos {
  const seed = opts.seed ?? 0;
  for (const name of Object.keys(policies)) {
    if (!/^[A-Za-z0-9_-]+$/.test(name))
      throw new ConfigError("policies", `"${name}" cannot name a file: use letters, digits, _ and -`);
  }
  const index: PolicyVideos = { seed, videos: {}, skipped: null };
  if (!envCanRender(env, opts.kwargs)) {
    const id = typeof env === "string" ? env : "the env";
    index.skipped = `${id} cannot render (no render()), so no GIF was written`;
  } else {
    for (const [name, policy] of Object.entries(policies)) {
      const file = `${name}.gif`;
      const rec = recordEpisodes(policy, env, { ...opts, seed, path: join(dir, file) });
      index.videos[name] = {
        file,
        bytes: rec.gif.length,
        frames: rec.frames,
        width: rec.width,
        height: rec.height,
        returns: rec.episodes.map((e) => e.return),
        lengths: rec.episodes.map((e) => e.length),
      };
    }
  }
  writeVideosIndex(dir, index);
  return index;
}
