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
 * rest, so Ctrl-C (or a crash, or a killed coordinator) loses no finished trial. A lock file keeps
 * two coordinators out of one folder.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError } from "../core/errors.js";

export const LOCK_FILE = ".lock";

/** Writes a file through a temporary name and a rename, so readers never see half of it. */
export function writeAtomic(path: string, text: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `<dir>/.lock` for this process, or throws naming the process that holds it. A lock left by
 * a process that no longer runs on this host (a killed coordinator) is taken over.
 */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: hostname() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, mine, { flag: "wx" });
      return () => {
        try {
          if (readFileSync(path, "utf8") === mine) rmSync(path);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder: { pid?: number; host?: string } = {};
      try {
        holder = JSON.parse(readFileSync(path, "utf8"));
      } catch {
        // unreadable lock: treat as stale
      }
      const stale = holder.host === hostname() && typeof holder.pid === "number" && !alive(holder.pid);
      if (!stale && holder.pid !== undefined)
        throw new ConfigError(
          "out",
          `${dir} is in use by process ${holder.pid} on ${holder.host}; wait for it, or remove ${path} if that process is gone`,
        );
      rmSync(path, { force: true });
    }
  }
  throw new ConfigError("out", `cannot lock ${dir}`);
}

export class SearchRunDir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(join(this.dir, "trials"), { recursive: true });
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
