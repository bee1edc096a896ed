/**
 * The labelled-state cache of bench/minatar-offline.ts (`--data FILE`), read also by
 * bench/minatar-lowrank.ts. FILE holds the sets end to end, each as uint8 frames [n, d] then
 * float32 teacher logits [n, k]: training, held-out mixed and (with an earlier student) held-out
 * student-visited. FILE.json is the key: what made the sets (game, teacher, student run, sizes,
 * envs, seed, actors), so a cache is only read by a run that would have collected the same states.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../src/core/atomic-write.js";
import { ConfigError } from "../src/core/errors.js";

/** Teacher-labelled states: uint8 frames [n, d] and teacher logits [n, k]. */
export interface LabelledSet {
  n: number;
  obs: Uint8Array;
  logits: Float32Array;
}

/** What made a cache (the fields of FILE.json, as bench/minatar-offline.ts writes them). */
export interface CacheKey {
  ENV: string;
  TEACHER: string;
  STUDENT_RUN: string;
  N: number;
  HELDOUT: number;
  ENVS: number;
  SEED: number;
  MIX: string[];
}

/** The set sizes a key describes: training, held-out mixed, held-out student-visited (0 without a student run). */
const setSizes = (key: CacheKey): number[] => [key.N, key.HELDOUT, key.STUDENT_RUN ? key.HELDOUT : 0];

/** The cache's key, or undefined when FILE or FILE.json is missing. */
export function readCacheKey(path: string): CacheKey | undefined {
  if (!existsSync(path) || !existsSync(`${path}.json`)) return undefined;
  try {
    return JSON.parse(readFileSync(`${path}.json`, "utf8")) as CacheKey;
  } catch {
    throw new ConfigError(
      "--data",
      `${path}.json is not a cache key (JSON written by bench/minatar-offline.ts)`,
    );
  }
}

/** The sets of a cache whose key is exactly `key` (the JSON text), else undefined. */
export function readCache(path: string, key: string, d: number, k: number): LabelledSet[] | undefined {
  if (!existsSync(path) || !existsSync(`${path}.json`) || readFileSync(`${path}.json`, "utf8") !== key)
    return undefined;
  const sizes = setSizes(JSON.parse(key) as CacheKey);
  const bytes = readFileSync(path);
  const expected = sizes.reduce((s, n) => s + n * (d + 4 * k), 0);
  if (bytes.length !== expected)
    throw new ConfigError(
      "--data",
      `${path} has ${bytes.length} bytes, its key describes ${expected} (${sizes.join(" + ")} states): delete it to collect again`,
    );
  let off = 0;
  return sizes.map((n) => {
    const obs = new Uint8Array(bytes.buffer, bytes.byteOffset + off, n * d);
    off += n * d;
    // Copied: a Float32Array view needs 4-byte alignment, which the frames before it do not keep.
    const logits = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset + off, bytes.byteOffset + off + n * k * 4),
    );
    off += n * k * 4;
    return { n, obs, logits };
  });
}

/** Writes the sets and then the key, each atomically: a reader sees a whole cache or none. */
export function writeCache(path: string, key: string, sets: readonly LabelledSet[]): void {
  const parts = sets.flatMap((s) => [
    s.obs,
    new Uint8Array(s.logits.buffer, s.logits.byteOffset, s.logits.byteLength),
  ]);
  writeFileAtomic(path, Buffer.concat(parts));
  writeFileAtomic(`${path}.json`, key);
}
