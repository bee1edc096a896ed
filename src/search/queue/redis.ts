/**
 * What the coordinator and the queue workers share in Redis, besides BullMQ's own keys:
 *
 *   rldistill:<queue>:version       the coordinator's rldistill version (workers of another refuse)
 *   rldistill:teacher:<sha256>      a teacher file's bytes, so a worker on another machine needs no copy
 *
 * Connections retry forever (`maxRetriesPerRequest: null`, as BullMQ needs for blocking calls), so
 * a Redis restart pauses a search instead of failing it.
 */
import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { ConfigError, RlDistillError } from "../../core/errors.js";
import { libraryVersion } from "../../nn/checkpoint.js";
import { TRIAL_PROTOCOL, type TrialSpec } from "../trial.js";

export const DEFAULT_QUEUE = "rldistill-trials";

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
}

/** Parses redis://HOST:PORT[/DB], naming the flag on anything else. */
export function parseRedisUrl(url: string, field = "--queue"): RedisAddress {
  const m = /^redis:\/\/([^/:?#\s]+)(?::(\d+))?(?:\/(\d+))?\/?$/.exec(url);
  if (!m) throw new ConfigError(field, `expected redis://HOST:PORT (optionally /DB), got "${url}"`);
  const port = m[2] === undefined ? 6379 : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new ConfigError(field, `port must be in 1..65535, got ${m[2]}`);
  return { host: m[1]!, port, db: m[3] === undefined ? 0 : Number(m[3]) };
}

/** Options for BullMQ's own connections. */
export function bullConnection(a: RedisAddress): {
  host: string;
  port: number;
  db: number;
  maxRetriesPerRequest: null;
} {
  return { host: a.host, port: a.port, db: a.db, maxRetriesPerRequest: null };
}

export function connect(a: RedisAddress): Redis {
  return new Redis({
    host: a.host,
    port: a.port,
    db: a.db,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(100 * times, 1000),
  });
}

export const versionKey = (queue: string) => `rldistill:${queue}:version`;
export const teacherKey = (hash: string) => `rldistill:teacher:${hash}`;

/** A job's data: the trial, and who queued it. */
export interface TrialJob {
  protocol: number;
  version: string;
  spec: TrialSpec;
}

export function trialJob(spec: TrialSpec): TrialJob {
  return { protocol: TRIAL_PROTOCOL, version: libraryVersion(), spec };
}

/** A worker and a coordinator (or a job) of different rldistill versions. */
export class VersionMismatch extends RlDistillError {
  constructor(mine: string, theirs: string, what: string) {
    super(
      `this worker is rldistill ${mine} but ${what} is rldistill ${theirs}: results could differ, so the worker refuses; ` +
        `run the same rldistill version on the coordinator and every worker`,
    );
    this.name = "VersionMismatch";
  }
}

/** Puts a teacher file's bytes in Redis under its hash (once; they do not change). */
export async function uploadTeacher(redis: Redis, hash: string, bytes: Uint8Array): Promise<void> {
  await redis.set(teacherKey(hash), Buffer.from(bytes), "NX");
}

/** A teacher's bytes from Redis, checked against their hash. */
export async function downloadTeacher(redis: Redis, hash: string): Promise<Uint8Array> {
  const buf = await redis.getBuffer(teacherKey(hash));
  if (!buf) throw new RlDistillError(`teacher ${hash.slice(0, 12)} is neither on this machine nor in Redis`);
  const got = createHash("sha256").update(buf).digest("hex");
  if (got !== hash)
    throw new RlDistillError(`teacher ${hash.slice(0, 12)} in Redis is corrupt (hash ${got.slice(0, 12)})`);
  return new Uint8Array(buf);
}
