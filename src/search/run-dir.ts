/**
 * The run folder of a search (or a federated run):
 *
 *   <out>/search.json          what was asked: the resolved config, teacher hash, rldistill version
 *   <out>/trials/<key>/        one distill() run folder per trial (config, progress, student, summary)
 *   <out>/trials/<key>/result.json   written last, atomically: the trial is finished once this exists
 *   <out>/state.json           the schedule so far (brackets, rungs, who was promoted), for people
 *   <out>/summary.json         the result: every trial, the Pareto fronts, the confirmed winner
 *   <out>/student.rldistill    the winning student
 *   <out>/report.html          the HTML report (with the Pareto charts)
 *
 * A trial counts once its result.json exists; a resumed search reads them all and runs only the
 * rest, so Ctrl-C (or a crash, or a killed coordinator) loses no finished trial. The folder is
 * opened with src/core's `openRunFolder` (mode "add": the search checks search.json itself): its
 * `run.lock` keeps two coordinators out (a lock left by a killed one is taken over), and partial
 * files of a killed writer are removed; every file is written atomically.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../core/atomic-write.js";
import { openRunFolder, type RunFolder } from "../core/run-dir.js";

/** Writes a file through a temporary name and a rename (src/core/atomic-write.ts). */
export const writeAtomic = writeFileAtomic;
export { writeJsonAtomic };

export function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export class SearchRunDir {
  readonly dir: string;
  /** Notes of the opening (a stale lock or partial files removed). */
  readonly notes: string[];
  private readonly folder: RunFolder;

  /** Opens and locks the folder (RunLockedError when another live run holds it). */
  constructor(dir: string, command = "") {
    this.folder = openRunFolder(dir, { mode: "add", command });
    this.dir = this.folder.dir;
    this.notes = this.folder.notes;
    mkdirSync(join(this.dir, "trials"), { recursive: true });
  }

  /** Releases the folder's lock (idempotent). */
  release(): void {
    this.folder.release();
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  trialDir(key: string): string {
    return this.path("trials", key);
  }

  /** Every finished trial's result.json, by key. */
  readResults<T>(): Map<string, T> {
    const out = new Map<string, T>();
    for (const key of readdirSync(this.path("trials"))) {
      const r = readJson<T>(join(this.trialDir(key), "result.json"));
      if (r) out.set(key, r);
    }
    return out;
  }

  writeJson(name: string, value: unknown): void {
    writeJsonAtomic(this.path(name), value);
  }

  readJson<T>(name: string): T | undefined {
    return readJson<T>(this.path(name));
  }
}
