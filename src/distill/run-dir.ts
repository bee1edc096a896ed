/**
 * The run folder of a distillation:
 *
 *   <out>/config.json      the resolved flat config (re-run with --config <out>/config.json)
 *   <out>/progress.jsonl   one JSON row per log dump (rollout/, train/, eval/ namespaces)
 *   <out>/student.rldistill  the student checkpoint (src/nn format), rewritten at every evaluation
 *   <out>/summary.json     teacher vs student figures, retention and every evaluation checkpoint
 *
 * Files are written to a temporary name and renamed, so a run stopped mid-write (Ctrl-C, a crash)
 * never leaves a half-written JSON behind.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConsoleWriter, JsonlWriter, Logger, type LogWriter } from "../core/logger.js";

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
  steps: number;
  wall_seconds: number;
  /** True when the run was stopped early (Ctrl-C): the figures are those of the last student. */
  interrupted: boolean;
  teacher: { name: string; files: string[]; params: number; eval: EvalFigures };
  /** `arch`: the architecture string ("conv8x3,fc32", "32,32"), as --student takes it. */
  student: { params: number; hidden: number[]; arch?: string; file: string; eval: EvalFigures };
  random: { eval: EvalFigures };
  agreement: number | null;
  js_divergence: number;
  /**
   * (G_student - G_random) / (G_teacher - G_random): the share of the teacher's improvement over
   * uniform random actions that the student keeps. Measuring from the random return (not from 0)
   * makes it meaningful for negative returns (Acrobot, Pendulum: teacher -80, random -500, student
   * -85 gives 0.988, where G_s / G_t would give 1.06). 1 = as good as the teacher; it can exceed 1.
   * Null when the teacher is no better than random.
   */
  retention: number | null;
  checkpoints: CheckpointRecord[];
}

/** See `DistillSummary.retention`. */
export function retentionOf(student: number, teacher: number, random: number): number | null {
  const span = teacher - random;
  return span === 0 || !Number.isFinite(span) ? null : (student - random) / span;
}

export class RunDir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes text atomically (temporary file, then rename). */
  writeText(name: string, text: string): void {
    const target = this.path(name);
    const tmp = `${target}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, target);
  }

  writeJson(name: string, value: unknown): void {
    this.writeText(name, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** A logger writing progress.jsonl, plus the console when `console` is given. */
  logger(console?: (line: string) => void): Logger {
    const writers: LogWriter[] = [new JsonlWriter(this.path("progress.jsonl"))];
    if (console) writers.push(new ConsoleWriter(console));
    return new Logger(writers);
  }
}
