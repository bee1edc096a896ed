/**
 * Run folders are owned. A run (train, distill, eval --out, search, ...) opens its folder with
 * `openRunFolder`, which
 *
 *   1. takes the folder's lock, `run.lock` (pid, host, command, start time): a second run into a
 *      locked folder is refused, naming the holder; a lock left by a process that no longer runs
 *      (killed, crashed) is detected, removed and reported in `folder.notes`;
 *   2. applies the folder contract of `mode`:
 *        "new"       the folder must be absent or empty; a folder holding files is refused, naming
 *                    --resume and --overwrite
 *        "overwrite" empties the folder first (only if it holds an rldistill run: config.json or
 *                    summary.json; anything else is refused rather than deleted)
 *        "resume"    the folder must hold a run (config.json)
 *        "add"       any folder, created if absent (eval adds eval.json to a run's folder)
 *   3. removes temporary files left by killed writers, and gives atomic writes (atomic-write.ts).
 *
 *   const run = openRunFolder("runs/cp", { mode: "new", command: "rldistill train ..." });
 *   try { run.writeJson("config.json", cfg); ... } finally { run.release(); }
 *
 * The lock is released by `release()` and, as a last resort, when the process exits (also after a
 * second Ctrl-C). It is created with link(2) from a complete temporary file, so no reader ever sees
 * an empty lock, and two processes cannot both take it.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  linkSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import {
  makeFolders,
  removeTempFiles,
  writeFileAtomic,
  writeJsonAtomic,
  writeViaTemp,
} from "./atomic-write.js";
import { ConfigError, RlDistillError } from "./errors.js";

export const LOCK_FILE = "run.lock";

/** What a run writes into its folder's lock. */
export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  started: string;
  /** Random id of this lock (tells a lock apart from a later one of a reused pid). */
  id: string;
}

export type RunFolderMode = "new" | "overwrite" | "resume" | "add";

export interface OpenRunFolderOptions {
  /** Default "new". */
  mode?: RunFolderMode;
  /** Recorded in the lock (e.g. the command line). */
  command?: string;
  /** Names the folder's field in errors. Default "--out". */
  field?: string;
}

/** A run folder is in use by another live run. */
export class RunLockedError extends RlDistillError {
  readonly holder: LockInfo;
  constructor(dir: string, holder: LockInfo) {
    const who =
      holder.pid === process.pid && holder.host === hostname()
        ? "another run of this process"
        : `pid ${holder.pid} on ${holder.host}`;
    super(
      `${dir} is in use by ${who} (${holder.command || "a run"}, since ${holder.started}); ` +
        `wait for it to finish or choose another folder` +
        (holder.host !== hostname() ? ` (if that run is gone, delete ${join(dir, LOCK_FILE)})` : ""),
    );
    this.name = "RunLockedError";
    this.holder = holder;
  }
}

const held = new Map<string, string>(); // lock path -> lock id, released at exit
let exitHook = false;

function releaseAllAtExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const [path, id] of held) if (readLock(path)?.id === id) rmSync(path, { force: true });
  });
}

/** The lock file's content, or null when absent or unreadable. */
export function readLock(lockPath: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(lockPath, "utf8")) as LockInfo;
    return typeof v?.pid === "number" && typeof v.id === "string" ? v : null;
  } catch {
    return null;
  }
}

/** Whether the lock's process still runs (locks of other hosts cannot be checked: assumed alive). */
export function lockAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true;
  // Our own pid: alive if we hold it; else a lock of an earlier process that had the same pid.
  if (info.pid === process.pid) return [...held.values()].includes(info.id);
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Takes `dir`'s lock or throws RunLockedError; returns the notes (stale locks removed). */
function acquire(dir: string, command: string): { id: string; notes: string[] } {
  const lockPath = join(dir, LOCK_FILE);
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    command,
    started: new Date().toISOString(),
    id: randomBytes(8).toString("hex"),
  };
  const notes: string[] = [];
  for (let attempt = 0; attempt < 10; attempt++) {
    const tmp = join(dir, `.${LOCK_FILE}.tmp-${process.pid}-${info.id}`);
    writeFileSync(tmp, `${JSON.stringify(info)}\n`);
    try {
      linkSync(tmp, lockPath); // fails with EEXIST when a lock is there: never two holders
      held.set(lockPath, info.id);
      releaseAllAtExit();
      return { id: info.id, notes };
    } catch (err) {
      if (errno(err) !== "EEXIST") throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
    const other = readLock(lockPath);
    if (other === null) {
      // Unreadable: a lock of an older format or a foreign file. Refuse rather than guess.
      if (!existsSync(lockPath)) continue;
      throw new ConfigError(
        "--out",
        `${dir} has a ${LOCK_FILE} that is not an rldistill lock; remove it if no run uses the folder`,
      );
    }
    if (lockAlive(other)) throw new RunLockedError(dir, other);
    // Stale: move it aside under a unique name (only one process wins the rename), and check that
    // what was moved is the lock judged stale, not a fresh one taken meanwhile.
    const aside = join(dir, `.${LOCK_FILE}.stale-${process.pid}-${info.id}`);
    try {
      renameSync(lockPath, aside);
    } catch (err) {
      if (errno(err) === "ENOENT") continue;
      throw err;
    }
    const moved = readLock(aside);
    if (moved?.id !== other.id) {
      try {
        linkSync(aside, lockPath); // put the fresh lock back
      } catch {
        // Someone took the folder meanwhile; the next attempt reads their lock.
      }
      rmSync(aside, { force: true });
      continue;
    }
    rmSync(aside, { force: true });
    notes.push(
      `removed a stale lock of pid ${other.pid} (${other.command || "a run"}, since ${other.started}): that process no longer runs`,
    );
  }
  throw new RlDistillError(`${dir}: could not take ${LOCK_FILE} (it kept changing); try again`);
}

/** Files that mark a folder as holding an rldistill run. */
const RUN_MARKERS = ["config.json", "summary.json", "eval.json"];

function entriesOf(dir: string): string[] {
  return readdirSync(dir).filter((n) => n !== LOCK_FILE && !n.startsWith(`.${LOCK_FILE}.`));
}

export class RunFolder {
  /** Absolute path. */
  readonly dir: string;
  readonly mode: RunFolderMode;
  /** Things worth telling the user (a stale lock removed, leftovers of a killed writer removed). */
  readonly notes: string[];
  private lockId: string | null;

  private constructor(dir: string, mode: RunFolderMode, lockId: string, notes: string[]) {
    this.dir = dir;
    this.mode = mode;
    this.lockId = lockId;
    this.notes = notes;
  }

  /** Opens (and locks) a run folder; see the module comment for the modes. */
  static open(dir: string, opts: OpenRunFolderOptions = {}): RunFolder {
    const mode = opts.mode ?? "new";
    const field = opts.field ?? "--out";
    const abs = resolve(dir);
    if (existsSync(abs) && !statSync(abs).isDirectory())
      throw new ConfigError(field, `${dir} is a file, not a folder; choose a folder for the run`);
    if (mode === "resume" && !existsSync(join(abs, "config.json")))
      throw new ConfigError("--resume", `${dir} holds no run to resume (no config.json)`);
    makeFolders(abs);
    const { id, notes } = acquire(abs, opts.command ?? "");
    const folder = new RunFolder(abs, mode, id, notes);
    try {
      const leftovers = removeTempFiles(abs);
      if (leftovers.length)
        notes.push(
          `removed ${leftovers.length} partial file(s) of an interrupted write: ${leftovers.join(", ")}`,
        );
      const entries = entriesOf(abs);
      if (mode === "new" && entries.length > 0) {
        const shown = entries.slice(0, 4).join(", ") + (entries.length > 4 ? ", ..." : "");
        throw new ConfigError(
          field,
          `${dir} already holds files (${shown}); pass --resume to continue that run, or --overwrite to empty the folder and start again`,
        );
      }
      if (mode === "overwrite" && entries.length > 0) {
        if (!entries.some((e) => RUN_MARKERS.includes(e))) {
          throw new ConfigError(
            field,
            `${dir} holds files that are not an rldistill run (${entries.slice(0, 4).join(", ")}); --overwrite only empties run folders: choose another folder`,
          );
        }
        for (const e of entries) rmSync(join(abs, e), { recursive: true, force: true });
      }
    } catch (err) {
      folder.release();
      throw err;
    }
    return folder;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes text atomically (temporary file, then rename). */
  writeText(name: string, text: string | Uint8Array): void {
    writeFileAtomic(this.path(name), text);
  }

  writeJson(name: string, value: unknown): void {
    writeJsonAtomic(this.path(name), value);
  }

  /** For writers that take a path (artifacts, reports): they write a temporary path that is renamed. */
  writeWith(name: string, write: (tmp: string) => void, ext?: string): void {
    writeViaTemp(this.path(name), write, ext);
  }

  /** Whether this folder's lock is still held by us. */
  get locked(): boolean {
    return this.lockId !== null;
  }

  /** Releases the lock (idempotent). */
  release(): void {
    if (this.lockId === null) return;
    const lockPath = this.path(LOCK_FILE);
    if (readLock(lockPath)?.id === this.lockId) rmSync(lockPath, { force: true });
    held.delete(lockPath);
    this.lockId = null;
  }
}

/** `RunFolder.open`. */
export function openRunFolder(dir: string, opts: OpenRunFolderOptions = {}): RunFolder {
  return RunFolder.open(dir, opts);
}
