/**
 * Atomic file writes: every file a run writes goes to a temporary name beside its target and is
 * renamed over it, so a reader (or a run stopped by Ctrl-C, SIGKILL or a full disk) only ever
 * sees the previous complete file or the new complete file, never half of one.
 *
 *   writeFileAtomic("runs/x/summary.json", text);
 *   writeJsonAtomic("runs/x/config.json", config);
 *   writeViaTemp("runs/x/report.html", (tmp) => someLibraryWriting(tmp));   // writers that take a path
 *   appendLine("runs/x/progress.jsonl", JSON.stringify(row));                // one write(2) per row
 *
 * Temporary files are named `.<name>.tmp-<pid>-<n><ext>`: hidden, tied to the writing process, and
 * removed when the process exits (also after a second Ctrl-C's `process.exit`). A SIGKILL cannot
 * run that cleanup; `removeTempFiles(dir)` (run when a folder is opened again) removes leftovers.
 *
 * Appends (progress logs) are not renamed: each row is one `write` on an O_APPEND descriptor, so a
 * killed process leaves whole rows (a power cut may still cut the last one short: log readers skip
 * a truncated last line).
 *
 * Fault injection (tests only): `setWriteFault()` in-process, or the environment variable
 * `RLDISTILL_FAULT_WRITE` for child processes, e.g. `ENOSPC` (every write fails),
 * `ENOSPC:summary.json` (writes whose file name contains "summary.json"), `ENOSPC:*:3` (the first 3
 * matching writes succeed, then they fail), `delay:model.rldistill:400` (sleeps 400 ms between
 * writing the temporary file and renaming it, so a test can kill the process mid-save).
 */
import {
  closeSync,
  type Dirent,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";

/** A simulated failure of the writes below (tests). */
export interface WriteFault {
  /** An errno code to throw ("ENOSPC", "EACCES", "EIO", ...), or "delay" to sleep before the rename. */
  code: string;
  /** Only writes whose file name contains this string; default every write. */
  match?: string;
  /** Matching writes that succeed before the fault applies. Default 0. */
  after?: number;
  /** For "delay": milliseconds. Default 500. */
  ms?: number;
}

let fault: WriteFault | null = parseFaultVariable(process.env.RLDISTILL_FAULT_WRITE);
let matched = 0;

function parseFaultVariable(text: string | undefined): WriteFault | null {
  if (!text) return null;
  const [code, match, n] = text.split(":");
  const f: WriteFault = { code: code! };
  if (match && match !== "*") f.match = match;
  if (n !== undefined) {
    if (code === "delay") f.ms = Number(n);
    else f.after = Number(n);
  }
  return f;
}

/** Sets (or clears, with null) the simulated write failure. Tests only. */
export function setWriteFault(f: WriteFault | null): void {
  fault = f;
  matched = 0;
}

function systemError(code: string, path: string): NodeJS.ErrnoException {
  const text: Record<string, string> = {
    ENOSPC: "no space left on device",
    EACCES: "permission denied",
    EIO: "i/o error",
    EROFS: "read-only file system",
  };
  const err = new Error(
    `${code}: ${text[code] ?? "simulated failure"}, write '${path}'`,
  ) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = "write";
  err.path = path;
  return err;
}

/** Applies the fault (if any) to a write of `target`; "delay" faults return their wait. */
function checkFault(target: string): number {
  if (!fault) return 0;
  if (fault.match !== undefined && !basename(target).includes(fault.match)) return 0;
  matched++;
  if (matched <= (fault.after ?? 0)) return 0;
  if (fault.code === "delay") return fault.ms ?? 500;
  throw systemError(fault.code, target);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// ---- temporary files -----------------------------------------------------------------------------

const TEMP = /^\..+\.tmp-\d+-\d+/;
const pending = new Set<string>();
let counter = 0;
let exitHookInstalled = false;

function track(tmp: string): void {
  pending.add(tmp);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Runs on normal exit and on process.exit() (a second Ctrl-C): no temporary file outlives us.
    process.on("exit", () => {
      for (const p of pending) rmSync(p, { force: true });
    });
  }
}

/** A fresh temporary path beside `target`, keeping `ext` (default: the target's extension). */
export function tempPathFor(target: string, ext = extname(target)): string {
  counter++;
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${counter}${ext}`);
}

/** Whether a file name is one of our temporary files. */
export function isTempFile(name: string): boolean {
  return TEMP.test(name);
}

/**
 * Removes temporary files left in `dir` (and its subfolders, e.g. checkpoints/) by killed
 * processes; returns their paths relative to `dir`.
 */
export function removeTempFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    if (isTempFile(e.name)) {
      rmSync(join(dir, e.name), { force: true, recursive: true });
      removed.push(e.name);
    } else if (e.isDirectory())
      removed.push(...removeTempFiles(join(dir, e.name)).map((n) => `${e.name}/${n}`));
  }
  return removed;
}

// ---- folders -------------------------------------------------------------------------------------

/**
 * `mkdir -p`: creates `dir` and its missing parents, one mkdir(2) each. Not Node's
 * `mkdirSync(dir, { recursive: true })`, which spins forever (Node 20 and 22) where mkdir answers
 * ENOENT under a parent that exists, as in /proc and /sys: `--out /proc/x` hung instead of failing.
 * Errors keep their errno code and path (the CLI prints them as one line).
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (err) {
      // Another process made it meanwhile: fine, if it is a folder.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(p).isDirectory()) throw err;
    }
  }
}

// ---- writes --------------------------------------------------------------------------------------

/**
 * Calls `write(tmp)` to produce the file at a temporary path, then renames it over `target`. On any
 * failure the temporary file is removed and `target` is left as it was.
 */
export function writeViaTemp(target: string, write: (tmp: string) => void, ext?: string): void {
  const tmp = tempPathFor(target, ext);
  track(tmp);
  try {
    const delay = checkFault(target);
    write(tmp);
    if (delay > 0) sleepSync(delay);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    pending.delete(tmp);
  }
}

/** Writes `data` to `target` atomically (temporary file, then rename). */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  writeViaTemp(target, (tmp) => {
    const fd = openSync(tmp, "w");
    try {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
  });
}

/** `JSON.stringify(value, null, 2)` plus a newline, atomically. */
export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}

/** Appends `line` and a newline with one write on an O_APPEND descriptor (log rows). */
export function appendLine(target: string, line: string): void {
  checkFault(target);
  const fd = openSync(target, "a");
  try {
    const bytes = Buffer.from(`${line}\n`, "utf8");
    writeSync(fd, bytes, 0, bytes.length);
  } finally {
    closeSync(fd);
  }
}
