/**
 * The bookkeeping of `trainRun`'s resume (`rldistill train --resume DIR`):
 *
 *   - every setting of the run comes back from config.json (the algorithm config and the run
 *     settings: evaluation and checkpoint frequencies, episodes, stop-on-reward, training state,
 *     the log table on or off, the report on or off);
 *     a setting given again with another value is applied and recorded in config.json's `resumes`;
 *   - training continues from the newest state that loads: model.rldistill, or the newest valid
 *     checkpoint when the final save never happened (SIGKILL) or is older;
 *   - progress.jsonl / progress.csv are cut back to that state's step, and a best_model saved after
 *     it (in the segment that is being redone) is dropped, so logs and files never run past the
 *     model;
 *   - a finished run is refused unless more steps are asked for.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, describeValue } from "../core/errors.js";
import { truncateProgress } from "../core/logger.js";
import { openRunFolder, type RunFolder } from "../core/run-dir.js";
import { prepareEnv } from "../envs/registry.js";
import { loadArtifact } from "../nn/checkpoint.js";
import { MODEL_EXTENSION } from "./agent-file.js";
import type { Algorithm } from "./algorithm.js";
import { ALGORITHMS, isAlgoName } from "./algos.js";
import type { TrainRunOptions } from "./run.js";

export const MODEL_FILE = `model${MODEL_EXTENSION}`;
export const BEST_FILE = `best_model${MODEL_EXTENSION}`;
export const CHECKPOINT_DIR = "checkpoints";

/** Settings of a run besides the algorithm config; saved in config.json so a resume restores them. */
export interface RunSettings {
  evalFreq: number;
  evalEpisodes: number;
  finalEvalEpisodes: number;
  checkpointFreq: number;
  stopOnReward: number | null;
  trainingState: boolean;
  /** Print the log table at each dump (the CLI's --quiet turns it off). */
  verbose: boolean;
  /** Write report.html / report.md at the end (the CLI's --no-report turns it off). */
  report: boolean;
}

export const DEFAULT_SETTINGS: RunSettings = {
  evalFreq: 10_000,
  evalEpisodes: 10,
  finalEvalEpisodes: 100,
  checkpointFreq: 0,
  stopOnReward: null,
  trainingState: true,
  verbose: true,
  report: true,
};

/** One `--resume` of the run, as recorded in config.json. */
export interface ResumeRecord {
  from_step: number;
  /** Which file the state came from (model.rldistill or a checkpoint). */
  from_file: string;
  command?: string;
  /** Settings given again with a new value: [before, after]. */
  changed: Record<string, [unknown, unknown]>;
}

/** config.json of a train run. */
export interface SavedRun {
  algo: string;
  env: string;
  seed: number;
  timesteps: number;
  config: Record<string, unknown>;
  settings: RunSettings;
  command?: string;
  resumes?: ResumeRecord[];
  /** A run started from a saved agent (`initFrom`): its file, step and training time then. */
  initFrom?: { file: string; step: number; trainingSeconds: number };
}

export function readJsonFile(path: string, field: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(field, `cannot read ${path}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError(field, `${path} must hold a JSON object, got ${describeValue(value)}`);
  return value as Record<string, unknown>;
}

/** Reads config.json of a train run (runs written before settings were saved get the defaults). */
export function readSavedRun(dir: string): SavedRun {
  const saved = readJsonFile(join(dir, "config.json"), "--resume") as unknown as SavedRun;
  if (!isAlgoName(saved.algo))
    throw new ConfigError(
      "--resume",
      `${dir}/config.json names an unknown algo ${describeValue(saved.algo)}`,
    );
  return { ...saved, settings: { ...DEFAULT_SETTINGS, ...(saved.settings ?? {}) } };
}

/** The step an artifact was saved at (meta.numTimesteps), or null when it does not load. */
function savedStep(file: string, algo: string): { step: number } | { error: string } {
  try {
    const a = loadArtifact(file, `${algo}-agent`);
    return { step: Number(a.meta?.["numTimesteps"] ?? 0) };
  } catch (err) {
    // The loader's message starts with the path: the caller names the file itself.
    return { error: (err as Error).message.replace(`${file}: `, "") };
  }
}

export interface RestoredState {
  model: Algorithm<object>;
  /** The file relative to the run folder. */
  file: string;
  step: number;
  /** Files that did not load, with why. */
  skipped: string[];
}

/** The newest state that loads: model.rldistill or a checkpoint, whichever is further. */
export function newestValidState(dir: string, algo: string): RestoredState {
  if (!isAlgoName(algo)) throw new ConfigError("algo", `unknown algo ${describeValue(algo)}`);
  const candidates: string[] = [MODEL_FILE];
  const ckDir = join(dir, CHECKPOINT_DIR);
  if (existsSync(ckDir)) {
    for (const name of readdirSync(ckDir))
      if (name.endsWith(MODEL_EXTENSION) && !name.startsWith("."))
        candidates.push(`${CHECKPOINT_DIR}/${name}`);
  }
  const skipped: string[] = [];
  let best: { file: string; step: number } | null = null;
  for (const file of candidates) {
    if (!existsSync(join(dir, file))) continue;
    const r = savedStep(join(dir, file), algo);
    if ("error" in r) skipped.push(`${file}: ${r.error}`);
    else if (best === null || r.step > best.step) best = { file, step: r.step };
  }
  if (best === null) {
    throw new ConfigError(
      "--resume",
      `nothing to resume in ${dir}: no loadable ${MODEL_FILE} or checkpoint` +
        (skipped.length ? ` (${skipped.join("; ")})` : ` (the run stopped before its first save)`),
    );
  }
  const model = ALGORITHMS[algo].load(join(dir, best.file));
  return { model, file: best.file, step: model.numTimesteps, skipped };
}

/** The previous best periodic evaluation at or before `step` (from the truncated progress log). */
export function previousBest(
  folder: RunFolder,
  step: number,
  algo: string,
): { step: number; meanReward: number; notes: string[] } | null {
  const notes: string[] = [];
  const bestPath = folder.path(BEST_FILE);
  if (!existsSync(bestPath)) return null;
  const saved = savedStep(bestPath, algo);
  if ("error" in saved || saved.step > step) {
    rmSync(bestPath, { force: true });
    notes.push(
      "error" in saved
        ? `removed ${BEST_FILE}: ${saved.error}`
        : `removed ${BEST_FILE} of step ${saved.step}: it came after the restored step ${step} (that segment is trained again)`,
    );
    return { step: 0, meanReward: Number.NEGATIVE_INFINITY, notes };
  }
  const rows = existsSync(folder.path("progress.jsonl"))
    ? readFileSync(folder.path("progress.jsonl"), "utf8")
        .split("\n")
        .filter((l) => l.includes("eval/mean_reward"))
        .map((l) => JSON.parse(l) as { step: number; "eval/mean_reward": number })
    : [];
  const row = rows.find((r) => r.step === saved.step);
  return row ? { step: row.step, meanReward: row["eval/mean_reward"], notes } : null;
}

/** Cuts the progress logs back to `step`; returns a note when rows were removed. */
export function truncateLogs(folder: RunFolder, step: number): string[] {
  const notes: string[] = [];
  for (const name of ["progress.jsonl", "progress.csv"]) {
    const removed = truncateProgress(folder.path(name), step);
    if (removed > 0) notes.push(`${name}: removed ${removed} row(s) after step ${step}`);
  }
  return notes;
}

export function checkCount(field: string, value: number | undefined | null, min: number): void {
  if (value === undefined || value === null) return;
  if (!(Number.isInteger(value) && value >= min))
    throw new ConfigError(field, `expected an integer >= ${min}, got ${describeValue(value)}`);
}

/** algo, env and seed given in `opts` must be those of the run or agent being continued (`whose`). */
export function checkSameIdentity(
  opts: TrainRunOptions,
  kept: { algo: string; env: string; seed: number },
  whose: string,
  why = "",
): void {
  for (const field of ["algo", "env", "seed"] as const) {
    const value = opts[field];
    if (value !== undefined && value !== kept[field])
      throw new ConfigError(
        field,
        `${describeValue(value)} differs from ${whose} ${describeValue(kept[field])}${why}`,
      );
  }
}

export const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as Array<keyof RunSettings>;

export interface Prepared {
  run: SavedRun;
  model: Algorithm<object>;
  folder: RunFolder;
  resumedFrom?: number;
  previousBest?: { step: number; meanReward: number } | null;
}

/** A resumed run: settings from config.json (changes recorded), the newest valid state, logs cut back. */
export async function prepareResume(
  opts: TrainRunOptions,
  given: Partial<RunSettings>,
  notes: string[],
): Promise<Prepared> {
  const dir = opts.resume!;
  if (opts.out !== undefined && opts.out !== dir)
    throw new ConfigError("out", `a resumed run continues in its own folder (${dir}); leave --out out`);
  if (opts.overwrite) throw new ConfigError("overwrite", "cannot be combined with --resume");
  const saved = readSavedRun(dir);
  checkSameIdentity(opts, saved, "the resumed run's");
  if (opts.config && Object.keys(opts.config).length > 0)
    throw new ConfigError(
      "config",
      "a resumed run keeps its saved config; to change it, start a new run from its model (initFrom, `rldistill train --init-from DIR/model.rldistill --set ...`)",
    );
  checkCount("timesteps", opts.timesteps, 1);
  await prepareEnv(saved.env);
  const folder = openRunFolder(dir, { mode: "resume", command: opts.command });
  try {
    const state = newestValidState(folder.dir, saved.algo);
    notes.push(...state.skipped.map((s) => `skipped ${s}`));
    const timesteps = opts.timesteps ?? saved.timesteps;
    // --timesteps is the run's total target: one below the restored step would train nothing and
    // report the run as complete (an easy slip after --init-from, where it counted steps beyond).
    if (opts.timesteps !== undefined && opts.timesteps < state.step)
      throw new ConfigError(
        "timesteps",
        `${opts.timesteps} is below the step this run has reached (${state.step}); on --resume it is the run's total, so pass N > ${state.step}`,
      );
    const summaryPath = folder.path("summary.json");
    const finished =
      state.step >= timesteps &&
      (() => {
        try {
          const s = readJsonFile(summaryPath, "--resume");
          return s["interrupted"] === false && s["num_timesteps"] === state.step;
        } catch {
          return false;
        }
      })();
    if (finished) {
      throw new ConfigError(
        "--resume",
        `${dir} has finished its ${state.step} steps; to train further pass --timesteps N with N > ${state.step}`,
      );
    }
    const changed: Record<string, [unknown, unknown]> = {};
    if (timesteps !== saved.timesteps) changed["timesteps"] = [saved.timesteps, timesteps];
    const settings = { ...saved.settings };
    for (const k of SETTING_KEYS) {
      const v = given[k];
      if (v !== undefined && v !== saved.settings[k]) {
        changed[k] = [saved.settings[k], v];
        (settings as Record<string, unknown>)[k] = v;
      }
    }
    notes.push(...truncateLogs(folder, state.step));
    const best = previousBest(folder, state.step, saved.algo);
    if (best) notes.push(...best.notes);
    const resumes = [
      ...(saved.resumes ?? []),
      { from_step: state.step, from_file: state.file, command: opts.command, changed },
    ];
    const run: SavedRun = { ...saved, timesteps, settings, resumes };
    notes.push(`resuming from ${state.file} at step ${state.step} of ${timesteps}`);
    return { run, model: state.model, folder, resumedFrom: state.step, previousBest: best };
  } catch (err) {
    folder.release();
    throw err;
  }
}
