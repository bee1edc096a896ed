/**
 * Where trials run. The coordinator (search, federated) hands an engine trial specs and awaits
 * outcomes; it never depends on where or in which order they ran, so any engine gives the same
 * search.
 *
 *   const engine = new ThreadEngine({ workers: 2 });      // or InlineEngine, or BullmqEngine
 *   await engine.provideTeacher(ref, "models/cartpole-ppo.rldistill");
 *   const outcome = await engine.run(spec, "runs/s/trials/<key>");
 *   await engine.close();                                // unfinished runs reject with TrialAborted
 *
 * Engines: `InlineEngine` (this thread, one trial at a time: tests and tiny searches),
 * `ThreadEngine` (N worker threads on this machine, the default), `BullmqEngine` (a BullMQ queue on
 * Redis; any number of `rldistill worker` processes on any machines run the jobs).
 */
import { RlDistillError } from "../../core/errors.js";
import type { Teacher } from "../../distill/teacher.js";
import { executeTrial, loadTrialTeacher, type TeacherSource } from "../execute.js";
import type { TeacherRef, TrialOutcome, TrialSpec } from "../trial.js";

export interface TrialEngine {
  /** "inline", "threads x2", "bullmq redis://..." (for the log). */
  readonly description: string;
  /** Makes a teacher file available to the engine's workers (by its hash). */
  provideTeacher(ref: TeacherRef, path: string): Promise<void>;
  /** Runs one trial; `dir` is the trial's run folder on the coordinator's machine. */
  run(spec: TrialSpec, dir: string): Promise<TrialOutcome>;
  /** Stops the engine; runs not finished reject with `TrialAborted`. */
  close(): Promise<void>;
}

/** A trial that did not finish because the engine was closed (Ctrl-C, shutdown). */
export class TrialAborted extends RlDistillError {
  constructor(key: string) {
    super(`trial ${key} was stopped before it finished`);
    this.name = "TrialAborted";
  }
}

/**
 * Teachers loaded once per (hash, env, kwargs) and reused by every trial on this thread: loading
 * and checking a 256-256 teacher costs more than a tiny trial.
 */
export class TeacherCache {
  private readonly paths = new Map<string, string>();
  private readonly loaded = new Map<string, Promise<Teacher>>();

  setPath(hash: string, path: string): void {
    this.paths.set(hash, path);
  }

  hasPath(hash: string): boolean {
    return this.paths.has(hash);
  }

  /** The teacher `ref` for trials on (env, kwargs), loaded at most once. */
  load(ref: TeacherRef, env: string, kwargs: Record<string, number>): Promise<Teacher> {
    const id = `${ref.hash}|${env}|${JSON.stringify(kwargs)}`;
    let t = this.loaded.get(id);
    if (!t) {
      const path = this.paths.get(ref.hash);
      if (!path)
        return Promise.reject(
          new RlDistillError(`no file for teacher ${ref.name} (${ref.hash.slice(0, 12)})`),
        );
      t = loadTrialTeacher(path, env, kwargs);
      this.loaded.set(id, t);
    }
    return t;
  }

  /** This cache as an `executeTrial` teacher source. */
  readonly source: TeacherSource = (ref, env, kwargs) => this.load(ref, env, kwargs);

  async dispose(): Promise<void> {
    for (const t of this.loaded.values()) (await t.catch(() => undefined))?.dispose?.();
    this.loaded.clear();
  }
}

/** Runs trials in the calling thread, one at a time (tests, tiny searches, debugging). */
export class InlineEngine implements TrialEngine {
  readonly description = "inline (this thread)";
  private readonly teachers = new TeacherCache();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  async provideTeacher(ref: TeacherRef, path: string): Promise<void> {
    this.teachers.setPath(ref.hash, path);
  }

  run(spec: TrialSpec, dir: string): Promise<TrialOutcome> {
    const next = this.chain.then(async () => {
      if (this.closed) throw new TrialAborted(spec.key);
      const out = await executeTrial(spec, dir, this.teachers.source, { shouldStop: () => this.closed });
      if (out.summary?.interrupted) throw new TrialAborted(spec.key);
      return out;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.teachers.dispose();
  }
}
