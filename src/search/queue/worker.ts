/**
 * `runQueueWorker()`: the process behind `rldistill worker --queue redis://HOST:PORT`. It takes trial
 * jobs from the BullMQ queue and runs each in a worker thread (queue/threads.ts), so this thread
 * stays free to renew the job's lock however long a trial computes: a lock that lapses means the
 * worker is gone (killed, machine down), and only then does another worker take the job.
 *
 * Before any job: the queue's rldistill version (written by the coordinator) must be this one. Each
 * job is checked too: a malformed payload fails at once (UnrecoverableError, no retries) with the
 * bad field named; a job queued by another version is handed back (a normal failure, retried by
 * the other workers) and this worker stops with the reason. Teachers come from `teachers` files
 * given on the command line (matched by hash), the cache folder, or Redis (then cached).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UnrecoverableError, Worker } from "bullmq";
import { RlDistillError } from "../../core/errors.js";
import { libraryVersion } from "../../nn/checkpoint.js";
import { writeAtomic } from "../run-dir.js";
import { checkTrialSpec, sha256, TRIAL_PROTOCOL, type TrialOutcome } from "../trial.js";
import {
  bullConnection,
  connect,
  DEFAULT_QUEUE,
  downloadTeacher,
  parseRedisUrl,
  type TrialJob,
  VersionMismatch,
  versionKey,
} from "./redis.js";
import { ThreadEngine } from "./threads.js";

export interface QueueWorkerOptions {
  url: string;
  queueName?: string;
  /** Trials at once (one thread each). Default 1. */
  concurrency?: number;
  /** Teacher files on this machine (used when a job's teacher hash matches). */
  teachers?: string[];
  /** Where teachers fetched from Redis and trial scratch folders go. Default <tmp>/rldistill-worker. */
  cacheDir?: string;
  /** A job's lock lasts this long without renewal, ms (BullMQ default 30000). */
  lockDuration?: number;
  /** How often this worker looks for stalled jobs of dead workers, ms (BullMQ default 30000). */
  stalledInterval?: number;
  /** Modules the trial threads import first (custom env registrations). */
  modules?: string[];
  /** Shown in BullMQ's job records (`processedBy`). Default host:pid. */
  name?: string;
  print?: (line: string) => void;
  /** Aborting stops the worker at once (running jobs are left to stall and be retried elsewhere). */
  signal?: AbortSignal;
  /** This worker's version (tests pretend to be another one). Default rldistill's. */
  version?: string;
}

export interface QueueWorkerResult {
  /** Trials this worker finished. */
  processed: number;
  /** Jobs it refused as malformed. */
  malformed: number;
}

/** Validates a job's data: protocol, then the trial spec. Throws UnrecoverableError naming the field. */
function checkJob(data: unknown): TrialJob {
  const d = data as Partial<TrialJob> | null;
  try {
    if (typeof d !== "object" || d === null) throw new RlDistillError("expected an object");
    if (d.protocol !== TRIAL_PROTOCOL)
      throw new RlDistillError(`protocol: expected ${TRIAL_PROTOCOL}, got ${JSON.stringify(d.protocol)}`);
    if (typeof d.version !== "string") throw new RlDistillError("version: expected a string");
    checkTrialSpec(d.spec);
  } catch (e) {
    throw new UnrecoverableError(`malformed trial payload: ${(e as Error).message}`);
  }
  return d as TrialJob;
}

export async function runQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorkerResult> {
  const address = parseRedisUrl(opts.url);
  const queueName = opts.queueName ?? DEFAULT_QUEUE;
  const version = opts.version ?? libraryVersion();
  const print = opts.print ?? (() => {});
  const cacheDir = resolve(opts.cacheDir ?? join(tmpdir(), "rldistill-worker"));
  mkdirSync(join(cacheDir, "teachers"), { recursive: true });
  const redis = connect(address);
  redis.on("error", () => {});
  const local = new Map<string, string>();
  for (const t of opts.teachers ?? []) local.set(sha256(readFileSync(t)), resolve(t));

  const queued = await redis.get(versionKey(queueName));
  if (queued !== null && queued !== version) {
    redis.disconnect();
    throw new VersionMismatch(version, queued, `the coordinator of queue "${queueName}"`);
  }
  const threads = new ThreadEngine({ workers: opts.concurrency ?? 1, modules: opts.modules });
  const result: QueueWorkerResult = { processed: 0, malformed: 0 };
  let refusal: VersionMismatch | undefined;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    stop = r;
  });

  const teacherPath = async (hash: string): Promise<string> => {
    const known = local.get(hash);
    if (known) return known;
    const cached = join(cacheDir, "teachers", `${hash}.rldistill`);
    if (!existsSync(cached)) writeAtomic(cached, await downloadTeacher(redis, hash));
    local.set(hash, cached);
    return cached;
  };

  const worker = new Worker<TrialJob, TrialOutcome>(
    queueName,
    async (job) => {
      let data: TrialJob;
      try {
        data = checkJob(job.data);
      } catch (e) {
        result.malformed++;
        print(`job ${job.id}: ${(e as Error).message}`);
        throw e;
      }
      if (data.version !== version) {
        refusal = new VersionMismatch(version, data.version, `job ${job.id}'s coordinator`);
        print(refusal.message);
        stop();
        throw refusal; // a normal failure: the job is retried by the other workers
      }
      const spec = data.spec;
      for (const ref of [spec.teacher, ...(spec.tasks ?? []).map((t) => t.teacher)])
        await threads.provideTeacher(ref, await teacherPath(ref.hash));
      const dir = join(cacheDir, "trials", spec.key);
      rmSync(dir, { recursive: true, force: true });
      const t0 = performance.now();
      const out = await threads.run(spec, dir);
      // Federated updates and evaluations carry their result in the outcome; search trials send the student.
      if (out.summary) out.studentBase64 = readFileSync(join(dir, "student.rldistill")).toString("base64");
      rmSync(dir, { recursive: true, force: true });
      result.processed++;
      print(
        `trial ${spec.key} (${spec.role}, ${spec.config.steps} steps) done in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      return out;
    },
    {
      connection: bullConnection(address),
      concurrency: opts.concurrency ?? 1,
      lockDuration: opts.lockDuration ?? 30_000,
      stalledInterval: opts.stalledInterval ?? 30_000,
      maxStalledCount: 3,
      name: opts.name ?? `${hostname()}:${process.pid}`,
    },
  );
  worker.on("error", () => {}); // connection errors: ioredis reconnects; jobs are retried
  const onAbort = () => stop();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  print(
    `worker on queue "${queueName}" (${opts.url}), ${opts.concurrency ?? 1} thread(s), rldistill ${version}`,
  );
  await stopped;
  opts.signal?.removeEventListener("abort", onAbort);
  // Force: do not wait for running trials (their jobs stall, or fail an attempt, and are retried
  // by other workers).
  await worker.close(true).catch(() => {});
  await threads.close();
  redis.disconnect();
  if (refusal) throw refusal;
  return result;
}
