import { Rng } from "../../core/rng.js";

/**
 * The generator of a randomising wrapper after `reset({ seed })`. Noise draws come from the
 * wrapper's own stream so that adding the wrapper does not shift the env's stream. The new stream
 * depends on the reset seed (a seeded episode replays exactly), on the wrapper's own seed (two
 * wrappers seeded differently stay independent) and on a per-class salt (ObservationNoise and
 * ActionNoise with the same seed do not draw the same numbers).
 */
export function reseededNoiseRng(resetSeed: number, wrapperSeed: number, salt: number): Rng {
  const key = (new Rng(wrapperSeed).uint32() ^ salt) >>> 0;
  return new Rng(resetSeed).spawn(key);
}

export const SALT = {
  observationNoise: 0x6f62736e,
  actionNoise: 0x61637473,
  stickyAction: 0x7374636b,
} as const;
