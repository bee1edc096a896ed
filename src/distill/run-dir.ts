/**
 * The run folder of a distillation (owned through src/core/run-dir.ts: locked while the run
 * writes, every file written atomically):
 *
 *   <out>/config.json        the resolved flat config (re-run with --config <out>/config.json)
 *   <out>/progress.jsonl     one JSON row per log dump (rollout/, train/, eval/ namespaces)
 *   <out>/student.rldistill  the student checkpoint (src/nn format), rewritten at every evaluation
 *   <out>/summary.json       teacher vs student figures, retention and every evaluation checkpoint
 *   <out>/report.html, .md   (the CLI) the report
 *
 * Retention is computed by `retention` in src/eval/evaluate.ts (one definition for eval and distill).
 */
import type { RunFolder } from "../core/run-dir.js";

/** What the end-of-run steps (headline.ts) need of the run's folder (src/core/run-dir.ts's RunFolder). */
export type RunDir = Pick<RunFolder, "dir" | "path" | "writeJson" | "writeText" | "writeWith">;
export interface EvalFigures {
  mean_return: number;
  std_return: number;
  iqm: number;
  episodes: number;
}

export interface CheckpointRecord {
  /** Fraction of the step budget done, in (0, 1]. */
  progress: number;
  /** Environment steps collected so far. */
  step: number;
  mean_return: number;
  std_return: number;
  /** Greedy-action agreement with the teacher on states the student visits; null when continuous. */
  agreement: number | null;
  js_divergence: number;
}

export interface DistillSummary {
  env: string;
  method: string;
  seed: number;
  /** Environment steps collected (over every resume). */
  steps: number;
  /** Wall time of the run, seconds (over every resume). */
  wall_seconds: number;
  /**
   * True when the run was stopped early (Ctrl-C): the student saved is the one trained so far, and
   * the figures that were not measured for it (its final evaluation) are null.
   */
  interrupted: boolean;
  /** The step a resumed run continued from (absent for a run that was not resumed). */
  resumed_from_step?: number;
  teacher: { name: string; files: string[]; params: number; eval: EvalFigures };
  /** `eval` is null when the run was interrupted before the final evaluation. */
  /** `arch`: the architecture string ("conv8x3,fc32", "32,32"), as --student takes it. */
  student: {
    params: number;
    hidden: number[];
    arch?: string;
    file: string;
    eval: EvalFigures | null;
    weights: string;
  };
  random: { eval: EvalFigures };
  agreement: number | null;
  js_divergence: number | null;
  /** See `retention` in src/eval/evaluate.ts. Null when not measured or the teacher is no better than random. */
  retention: number | null;
  /** Its 95% bootstrap interval over the final evaluation's episodes (`retentionCI`); null with retention. */
  retention_ci95: [number, number] | null;
  checkpoints: CheckpointRecord[];
}
