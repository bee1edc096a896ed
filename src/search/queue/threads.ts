/**
 * `ThreadEngine`: trials in N worker threads on this machine (`rldistill search --workers N`, the
 * default engine). Each thread has its own tfjs backend and teacher cache and runs one trial at a
 * time; the coordinator's thread only dispatches and records, so it answers Ctrl-C at once.
 * `close()` terminates the threads mid-trial (V8 stops them even inside a long synchronous loop):
 * the trial is simply not finished, and a resumed search runs it again.
 */
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ConfigError, RlDistillError } from "../../core/errors.js";
import { workerEntryImport } from "../../core/worker-import.js";
import type { TeacherRef, TrialOutcome, TrialSpec } from "../trial.js";
import { TrialAborted, type TrialEngine } from "./engine.js";

/** Messages to a trial thread. */
export type ToThread =
  | { type: "teacher"; hash: string; path: string }
  | { type: "run"; id: number; spec: TrialSpec; dir: string };

/** Messages from a trial thread. */
export type FromThread =
  | { type: "done"; id: number; outcome: TrialOutcome }
  | { type: "error"; id: number; error: { name: string; message: string } };

interface Task {
  id: number;
  spec: TrialSpec;
  dir: string;
  resolve: (o: TrialOutcome) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

export interface ThreadEngineOptions {
  /** Threads (trials at once). Default 1. */
  workers?: number;
  /**
   * ES modules (paths or URLs) each thread imports before its first trial: to register custom envs
   * (`register()` at import), since registrations made in this thread do not exist in the others.
   */
  modules?: string[];
}

/** Rebuilds an error that crossed a thread boundary, keeping rldistill's own errors recognisable. */
export function reviveError(e: { name: string; message: string }): Error {
  const err = e.name === "Error" ? new Error(e.message) : new RlDistillError(e.message);
  err.name = e.name;
  return err;
}

export class ThreadEngine implements TrialEngine {
  readonly description: string;
  private readonly slots: Slot[] = [];
  private readonly waiting: Task[] = [];
  private readonly teachers = new Map<string, string>();
  private nextId = 1;
  private closed = false;
  private readonly modules: string[];

  constructor(opts: ThreadEngineOptions = {}) {
    const n = opts.workers ?? 1;
    if (!(Number.isInteger(n) && n >= 1))
      throw new ConfigError("workers", `expected an integer >= 1, got ${n}`);
    this.modules = (opts.modules ?? []).map((m) => (/^[a-z]+:/i.test(m) ? m : pathToFileURL(m).href));
    for (let i = 0; i < n; i++) this.slots.push(this.spawn());
    this.description = `${n} worker thread${n === 1 ? "" : "s"}`;
  }

  private spawn(): Slot {
    const worker = new Worker(bootstrapCode(), { eval: true, workerData: { modules: this.modules } });
    const slot: Slot = { worker };
    for (const [hash, path] of this.teachers)
      worker.postMessage({ type: "teacher", hash, path } satisfies ToThread);
    worker.on("message", (m: FromThread) => {
      const task = slot.task;
      if (!task || task.id !== m.id) return;
      slot.task = undefined;
      if (m.type === "done") task.resolve(m.outcome);
      else task.reject(reviveError(m.error));
      this.pump();
    });
    const fail = (err: Error) => {
      const task = slot.task;
      slot.task = undefined;
      const i = this.slots.indexOf(slot);
      if (this.closed) {
        task?.reject(new TrialAborted(task.spec.key));
        return;
      }
      task?.reject(new RlDistillError(`trial thread died running ${task.spec.key}: ${err.message}`));
      if (i >= 0) this.slots[i] = this.spawn();
      this.pump();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (!this.closed) fail(new Error(`exit code ${code}`));
      else if (slot.task) fail(new Error("closed"));
    });
    return slot;
  }

  async provideTeacher(ref: TeacherRef, path: string): Promise<void> {
    this.teachers.set(ref.hash, path);
    for (const s of this.slots)
      s.worker.postMessage({ type: "teacher", hash: ref.hash, path } satisfies ToThread);
  }

  run(spec: TrialSpec, dir: string): Promise<TrialOutcome> {
    if (this.closed) return Promise.reject(new TrialAborted(spec.key));
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, spec, dir, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task || this.waiting.length === 0 || this.closed) continue;
      const task = this.waiting.shift()!;
      slot.task = task;
      slot.worker.postMessage({
        type: "run",
        id: task.id,
        spec: task.spec,
        dir: task.dir,
      } satisfies ToThread);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.waiting.splice(0)) t.reject(new TrialAborted(t.spec.key));
    await Promise.all(
      this.slots.map(async (s) => {
        const task = s.task;
        s.task = undefined;
        await s.worker.terminate();
        task?.reject(new TrialAborted(task.spec.key));
      }),
    );
  }
}

/**
 * The thread's bootstrap: imports thread-entry.js (built package) or thread-entry.ts (sources:
 * vitest, tsx), registering tsx in the thread first (on Node 20, `--import tsx` in a worker's
 * execArgv does not make its .ts imports work).
 */
function bootstrapCode(): string {
  const load = workerEntryImport(import.meta.url, "thread-entry");
  return `${load}.catch((e) => { console.error("trial thread failed to load:", e); process.exit(1); });`;
}
