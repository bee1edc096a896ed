/**
 * `distill({ ... }, { resume: true })` / `rldistill distill --resume DIR`: continuing a distillation
 * run in its folder, with exact bookkeeping and a warm learner:
 *
 *   - every setting comes back from config.json; the budget and evaluation sizes (RESUMABLE_FIELDS)
 *     may be given again with new values, which are applied and recorded in config.json's
 *     `resumes`; any other field given with another value is refused (start a new run for that);
 *   - the student restarts from student.rldistill, saved at every evaluation and at Ctrl-C, at the
 *     step it records; progress.jsonl is cut back to that step and the evaluations done up to it
 *     are read back from it, so the log, the checkpoints list and the student agree;
 *   - wall time and steps are cumulative (the student file records the wall time so far);
 *   - a finished run is refused unless more steps are asked for.
 *
 * Warm, not exact: the student's weights (and log std, value head) carry on, but the optimizer's
 * moments, the replay buffer, the collectors' env states, a DQN target network and a residual
 * adapter start afresh, so a resumed run does not reproduce an uninterrupted one bit for bit.
 * config.json's `resumes` says so.
 */
import { existsSync, readFileSync } from "node:fs";
import { ConfigError, describeValue } from "../core/errors.js";
import { truncateProgress } from "../core/logger.js";
import type { RunFolder } from "../core/run-dir.js";
import { loadPolicy } from "../nn/checkpoint.js";
import type { PolicySpec } from "../nn/spec.js";
import type { DistillConfig } from "./config.js";
import type { CheckpointRecord } from "./run-dir.js";
import type { Student } from "./student.js";

/** Fields a resumed run may change (applied and recorded); everything else must stay as it was. */
export const RESUMABLE_FIELDS = ["steps", "evalEpisodes", "finalEpisodes", "similarityStates"] as const;

export const STUDENT_FILE = "student.rldistill";

/** One resume, as recorded in config.json's `resumes`. */
export interface DistillResumeRecord {
  from_step: number;
  changed: Record<string, [unknown, unknown]>;
  /** What did not carry over (the learner is warm, not exact). */
  restarted: string;
}

export interface ResumeState {
  cfg: DistillConfig;
  resumes: DistillResumeRecord[];
  step: number;
  wallSeconds: number;
  spec: PolicySpec;
  checkpoints: CheckpointRecord[];
  notes: string[];
}

/** A JSON object file of the run folder; a ConfigError naming it otherwise. */
function readJson(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError("--resume", `cannot read ${path}: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError("--resume", `${path} must hold a JSON object, got ${describeValue(value)}`);
  return value as Record<string, unknown>;
}

/** The evaluation rows of progress.jsonl (at or before `step`) as checkpoint records. */
function checkpointsFromLog(path: string): CheckpointRecord[] {
  if (!existsSync(path)) return [];
  const out: CheckpointRecord[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.includes('"eval/progress"')) continue;
    const r = JSON.parse(line) as Record<string, number>;
    out.push({
      progress: r["eval/progress"]!,
      step: r.step!,
      mean_return: r["eval/mean_return"]!,
      std_return: r["eval/std_return"]!,
      agreement: r["eval/agreement"] ?? null,
      js_divergence: r["eval/js_divergence"]!,
    });
  }
  return out;
}

/**
 * Reads what a resumed run continues from, after checking the given config against the saved one.
 * `given` holds only the fields the caller set (flags, --set, --config), not defaults or presets.
 */
export function readResumeState(folder: RunFolder, given: Record<string, unknown>): ResumeState {
  const saved = readJson(folder.path("config.json")) as unknown as DistillConfig & {
    resumes?: DistillResumeRecord[];
  };
  const { resumes = [], ...savedCfg } = saved;
  const cfg = { ...savedCfg } as DistillConfig;
  const changed: Record<string, [unknown, unknown]> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined || key === "out") continue;
    const before = (savedCfg as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(value) === JSON.stringify(before)) continue;
    if (!(RESUMABLE_FIELDS as readonly string[]).includes(key)) {
      throw new ConfigError(
        `distill.${key}`,
        `a resumed run keeps its ${key} (${describeValue(before)}); to use ${describeValue(value)} start a new run (--overwrite)`,
      );
    }
    changed[key] = [before, value];
    (cfg as unknown as Record<string, unknown>)[key] = value;
  }
  const file = folder.path(STUDENT_FILE);
  if (!existsSync(file)) {
    throw new ConfigError(
      "--resume",
      `nothing to resume in ${folder.dir}: no ${STUDENT_FILE} (the run stopped before its first save); start again with --overwrite`,
    );
  }
  const { spec, meta } = loadPolicy(file);
  const step = Number(meta.step ?? 0);
  const wallSeconds = Number(meta.wallSeconds ?? 0);
  const summaryPath = folder.path("summary.json");
  if (step >= cfg.steps && existsSync(summaryPath)) {
    const summary = readJson(summaryPath) as { interrupted?: boolean };
    if (summary.interrupted === false) {
      throw new ConfigError(
        "--resume",
        `${folder.dir} has finished its ${cfg.steps} steps; to train further pass --timesteps N with N > ${step}`,
      );
    }
  }
  const notes: string[] = [];
  const removed = truncateProgress(folder.path("progress.jsonl"), step);
  if (removed > 0) notes.push(`progress.jsonl: removed ${removed} row(s) after step ${step}`);
  const checkpoints = checkpointsFromLog(folder.path("progress.jsonl")).filter((c) => c.step <= step);
  const restarted = "optimizer moments, replay buffer, collectors' envs, target network / adapters";
  notes.push(
    `resuming from ${STUDENT_FILE} at step ${step} of ${cfg.steps} (warm: ${restarted} start afresh)`,
  );
  return {
    cfg,
    resumes: [...resumes, { from_step: step, changed, restarted }],
    step,
    wallSeconds,
    spec,
    checkpoints,
    notes,
  };
}

/**
 * Loads a saved deployable spec into a freshly built student (same architecture, else a
 * ConfigError): the policy layers and a Gaussian student's log std. A value head is not in the
 * deployable spec's policy layers and restarts.
 */
export function restoreStudent(student: Student, spec: Pick<PolicySpec, "layers" | "logStd">): void {
  student.loadWeights(spec.layers, spec.logStd);
}
