/**
 * Reads a run directory written by `train`, `distill` or `eval`:
 *
 *   summary.json    required: what the run was and how it ended
 *   config.json     the resolved config
 *   progress.jsonl  one object per logger dump: {"step": N, "rollout/ep_rew_mean": ..., ...}
 *   eval.json       from `rldistill eval` (see `EvalFile` in src/eval/run.ts)
 *   headline.json   from `distill`: sizes and same-path latency of teacher and student
 *   videos.json     which GIFs (teacher.gif, student.gif, ...) the folder holds, and what they show
 *
 * Files are read tolerantly: a missing optional file, a non-numeric value in a progress line or a
 * truncated last line (a run still writing) leaves that part out of the report instead of failing;
 * a corrupt line before the last one is an error (see parseProgress).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { ArtifactError, ConfigError } from "../core/errors.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type RunKind =
  | "train"
  | "distill"
  | "eval"
  | "search"
  | "federated"
  | "multitask"
  | "lifelong"
  | "crossmodal"
  | "unknown";

export interface RunData {
  /** Absolute path of the run directory. */
  dir: string;
  /** Short display name (the directory name, made unique among the runs of one report). */
  name: string;
  kind: RunKind;
  summary: JsonObject;
  config: JsonObject | null;
  /** Numeric entries of each progress line; lines without a numeric `step` are dropped. */
  progress: Record<string, number>[];
  evalFile: JsonObject | null;
  headline: JsonObject | null;
  /** videos.json, when the folder has one. */
  videosIndex: JsonObject | null;
  /** The episode GIFs of the folder, by policy name (from videos.json, else by file name). */
  gifs: { name: string; file: string; bytes: Uint8Array }[];
}

/** GIF names looked for when a folder has no videos.json (e.g. written by hand). */
const CONVENTIONAL_GIFS = ["teacher", "student", "model"];

function gifsOf(dir: string, index: JsonObject | null): RunData["gifs"] {
  const listed = isObject(index?.["videos"]) ? index["videos"] : null;
  const entries: [string, string][] = listed
    ? Object.entries(listed).flatMap(([name, v]) =>
        isObject(v) && typeof v["file"] === "string" ? [[name, v["file"]] as [string, string]] : [],
      )
    : CONVENTIONAL_GIFS.map((name) => [name, `${name}.gif`]);
  return (
    entries
      // Only plain file names inside the folder: videos.json is data, not a path to follow.
      .filter(([, file]) => basename(file) === file && existsSync(join(dir, file)))
      .map(([name, file]) => ({ name, file, bytes: new Uint8Array(readFileSync(join(dir, file))) }))
  );
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A finite number, or undefined. */
export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Follows a path of keys through nested objects; undefined where a step is missing. */
export function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function readJson(path: string, required: boolean): JsonObject | null {
  if (!existsSync(path)) {
    if (required)
      throw new ConfigError(
        "runDir",
        `${path} not found: a run directory needs a summary.json (train, distill) or an eval.json (eval)`,
      );
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ArtifactError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new ArtifactError(`${path} must hold a JSON object`);
  return parsed;
}

/**
 * Parses progress.jsonl text: numeric fields only, lines in file order. Only the last line may be
 * cut short (a run still writing, or stopped mid-write) and is then left out; any other line that
 * is not a JSON object is an error naming `source` and the line, since skipping it would silently
 * drop a stretch of training from the curves.
 */
export function parseProgress(text: string, source = "progress.jsonl"): Record<string, number>[] {
  const rows: Record<string, number>[] = [];
  const lines = text.split("\n");
  let last = lines.length - 1;
  while (last >= 0 && !lines[last]!.trim()) last--;
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      if (i === last) break;
      throw new ArtifactError(`${source}, line ${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    if (!isObject(obj)) {
      if (i === last) break;
      throw new ArtifactError(`${source}, line ${i + 1}: expected a JSON object, got ${line.slice(0, 40)}`);
    }
    if (num(obj["step"]) === undefined) continue;
    const row: Record<string, number> = {};
    for (const [k, v] of Object.entries(obj)) {
      const n = num(v);
      if (n !== undefined) row[k] = n;
    }
    rows.push(row);
  }
  return rows;
}

function kindOf(summary: JsonObject, evalFile: JsonObject | null): RunKind {
  if (summary["kind"] === "search" || summary["kind"] === "federated") return summary["kind"];
  for (const k of ["multitask", "lifelong", "crossmodal"] as const) if (summary["kind"] === k) return k;
  if (isObject(summary["teacher"]) && isObject(summary["student"])) return "distill";
  if (typeof summary["algo"] === "string") return "train";
  if (evalFile || isObject(summary["policies"])) return "eval";
  return "unknown";
}

export function loadRun(dir: string, name?: string): RunData {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory())
    throw new ConfigError("runDir", `${dir} is not a directory`);
  // A folder written only by `rldistill eval` has eval.json and no summary.json.
  const evalFile = readJson(join(abs, "eval.json"), false);
  const summary = readJson(join(abs, "summary.json"), evalFile === null) ?? {};
  const progressPath = join(abs, "progress.jsonl");
  const videosIndex = readJson(join(abs, "videos.json"), false);
  return {
    dir: abs,
    name: name ?? basename(abs),
    kind: kindOf(summary, evalFile),
    summary,
    config: readJson(join(abs, "config.json"), false),
    progress: existsSync(progressPath) ? parseProgress(readFileSync(progressPath, "utf8"), progressPath) : [],
    evalFile,
    headline: readJson(join(abs, "headline.json"), false),
    videosIndex,
    gifs: gifsOf(abs, videosIndex),
  };
}

/** Loads several runs, naming each by its directory name, with the parent added where two clash. */
export function loadRuns(dirs: readonly string[]): RunData[] {
  if (dirs.length === 0) throw new ConfigError("runDirs", "give at least one run directory");
  const abs = dirs.map((d) => resolve(d));
  const names = abs.map((d) => basename(d));
  const clash = (n: string): boolean => names.filter((m) => m === n).length > 1;
  return abs.map((d, i) => {
    const n = names[i]!;
    const name = clash(n) ? `${basename(resolve(d, ".."))}/${n}` : n;
    return loadRun(d, clash(name) ? `${name} (${i + 1})` : name);
  });
}
