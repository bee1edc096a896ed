/** Trial engines, and the one the CLI flags ask for. */
import { ConfigError } from "../../core/errors.js";
import { InlineEngine, type TrialEngine } from "./engine.js";
import { ThreadEngine } from "./threads.js";

export { BullmqEngine, type BullmqEngineOptions } from "./bullmq.js";
export { InlineEngine, TeacherCache, TrialAborted, type TrialEngine } from "./engine.js";
export { DEFAULT_QUEUE, parseRedisUrl, VersionMismatch } from "./redis.js";
export { ThreadEngine, type ThreadEngineOptions } from "./threads.js";
export { type QueueWorkerOptions, type QueueWorkerResult, runQueueWorker } from "./worker.js";

export interface EngineChoice {
  /** Local worker threads; 0 = the calling thread. Default 1. */
  workers?: number;
  /** redis://HOST:PORT: a BullMQ queue instead of local threads. */
  queue?: string;
  queueName?: string;
  /** Modules worker threads import first (custom env registrations). */
  modules?: string[];
  /** Queue engines report Redis outages here. */
  print?: (line: string) => void;
}

export async function engineFor(choice: EngineChoice): Promise<TrialEngine> {
  if (choice.queue !== undefined) {
    if (choice.workers !== undefined)
      throw new ConfigError(
        "--workers",
        "with --queue, trials run in `rldistill worker` processes; drop --workers",
      );
    const { BullmqEngine } = await import("./bullmq.js");
    return new BullmqEngine({ url: choice.queue, queueName: choice.queueName, print: choice.print });
  }
  const n = choice.workers ?? 1;
  if (!(Number.isInteger(n) && n >= 0))
    throw new ConfigError("--workers", `expected an integer >= 0, got ${n}`);
  return n === 0 ? new InlineEngine() : new ThreadEngine({ workers: n, modules: choice.modules });
}
