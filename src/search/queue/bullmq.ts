/**
 * `BullmqEngine`: trials as jobs on a BullMQ queue in Redis (`rldistill search --queue
 * redis://HOST:PORT`); `rldistill worker --queue ...` processes (queue/worker.ts) run them, any
 * number, on any machine that reaches Redis.
 *
 * - A job's id is its trial key: adding a trial that is already queued, running or done is a no-op,
 *   so duplicates are discarded by Redis itself, and a coordinator that died and resumed re-adds its
 *   trials and picks up the results that finished meanwhile.
 * - A worker killed mid-trial stops renewing its job's lock; BullMQ's stalled-job check (in the
 *   other workers) puts the job back in the queue and another worker runs it.
 * - Finished jobs are kept (`removeOnComplete: false`): their return value is the result, read by
 *   polling each awaited job, which survives Redis restarts and missed events alike.
 */
import { readFileSync } from "node:fs";
import { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { RlDistillError } from "../../core/errors.js";
import { libraryVersion } from "../../nn/checkpoint.js";
import type { TeacherRef, TrialOutcome, TrialSpec } from "../trial.js";
import { TrialAborted, type TrialEngine } from "./engine.js";
import {
  bullConnection,
  connect,
  DEFAULT_QUEUE,
  parseRedisUrl,
  type TrialJob,
  trialJob,
  uploadTeacher,
  versionKey,
} from "./redis.js";

export interface BullmqEngineOptions {
  /** redis://HOST:PORT[/DB] */
  url: string;
  queueName?: string;
  /** Tries per trial (a stalled job counts too). Default 5. */
  attempts?: number;
  /** How often awaited jobs are checked, ms. Default 250. */
  pollMs?: number;
  /** Told once per Redis outage and on recovery. */
  print?: (line: string) => void;
}

interface Waiter {
  spec: TrialSpec;
  resolve: (o: TrialOutcome) => void;
  reject: (e: unknown) => void;
}

export class BullmqEngine implements TrialEngine {
  readonly description: string;
  readonly queue: Queue<TrialJob, TrialOutcome>;
  private readonly redis: Redis;
  private readonly waiting = new Map<string, Waiter>();
  private readonly attempts: number;
  private readonly pollMs: number;
  private readonly print: (line: string) => void;
  private readonly queueName: string;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;
  private outage = false;
  private versionSet: Promise<unknown> | undefined;

  constructor(opts: BullmqEngineOptions) {
    const address = parseRedisUrl(opts.url);
    this.queueName = opts.queueName ?? DEFAULT_QUEUE;
    this.attempts = opts.attempts ?? 5;
    this.pollMs = opts.pollMs ?? 250;
    this.print = opts.print ?? (() => {});
    this.redis = connect(address);
    this.redis.on("error", () => {}); // reconnects by itself; outages are reported by the poll
    this.queue = new Queue<TrialJob, TrialOutcome>(this.queueName, { connection: bullConnection(address) });
    this.queue.on("error", () => {});
    this.description = `BullMQ queue "${this.queueName}" on ${opts.url}`;
  }

  private announceVersion(): Promise<unknown> {
    this.versionSet ??= this.redis.set(versionKey(this.queueName), libraryVersion());
    return this.versionSet;
  }

  async provideTeacher(ref: TeacherRef, path: string): Promise<void> {
    await this.announceVersion();
    await uploadTeacher(this.redis, ref.hash, readFileSync(path));
  }

  async run(spec: TrialSpec): Promise<TrialOutcome> {
    if (this.closed) throw new TrialAborted(spec.key);
    await this.announceVersion();
    const done = new Promise<TrialOutcome>((resolve, reject) => {
      this.waiting.set(spec.key, { spec, resolve, reject });
    });
    await this.add(spec);
    this.timer ??= setInterval(() => void this.poll(), this.pollMs);
    return done;
  }

  private add(spec: TrialSpec): Promise<unknown> {
    return this.queue.add("trial", trialJob(spec), {
      jobId: spec.key,
      attempts: this.attempts,
      backoff: { type: "fixed", delay: 500 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  /** Checks every awaited job once; Redis errors (a restart) just wait for the next tick. */
  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      await Promise.all([...this.waiting.values()].map((w) => this.check(w)));
      if (this.outage) this.print("Redis is back; the search goes on");
      this.outage = false;
    } catch (e) {
      if (!this.outage) this.print(`Redis unreachable (${(e as Error).message}); waiting for it...`);
      this.outage = true;
    } finally {
      this.polling = false;
    }
  }

  private async check(w: Waiter): Promise<void> {
    const key = w.spec.key;
    const job = await Job.fromId<TrialJob, TrialOutcome>(this.queue, key);
    if (!job) {
      // Gone (removed by hand, or a Redis without persistence restarted): queue it again.
      await this.add(w.spec);
      return;
    }
    const state = await job.getState();
    if (state === "completed") {
      // The job may have completed between the read and getState: read its return value again.
      const out = job.returnvalue ?? (await Job.fromId<TrialJob, TrialOutcome>(this.queue, key))?.returnvalue;
      if (!this.waiting.delete(key)) return;
      if (!out || out.key !== key)
        w.reject(new RlDistillError(`trial ${key}: the queue returned no valid result`));
      else w.resolve(out);
    } else if (state === "failed") {
      this.waiting.delete(key);
      w.reject(
        new RlDistillError(
          `trial ${key} failed on the queue after ${job.attemptsMade} attempt(s): ${job.failedReason}`,
        ),
      );
    }
  }

  /** Stops waiting (queued jobs stay in Redis for the workers and a resumed coordinator). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of this.waiting.values()) w.reject(new TrialAborted(w.spec.key));
    this.waiting.clear();
    await this.queue.close().catch(() => {});
    this.redis.disconnect();
  }
}
