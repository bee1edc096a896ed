/**
 * The forgetting matrix of lifelong distillation: R[k][j] is the retention of task j measured
 * right after stage k (tasks arrive one per stage, task j in stage j; entries before a task
 * arrived are null). From it (Chaudhry et al. 2018, "Riemannian Walk"; Lopez-Paz and Ranzato 2017,
 * "Gradient Episodic Memory"):
 *
 * - final retention of task j: R[K][j], K the last stage;
 * - forgetting of task j: the best retention it ever had before the last stage minus its final
 *   one, max_{k < K} R[k][j] - R[K][j] (>= 0 when it only got worse);
 * - backward transfer of task j: R[K][j] - R[j][j] (negative = forgotten since it was learnt);
 * - the old tasks at stage K are those learnt before it (j < K).
 *
 * Retention itself is (G_student - G_random) / (G_teacher - G_random) (src/distill/run-dir.ts).
 */
import { ConfigError } from "../../core/errors.js";

/** Rows: stages in order; columns: tasks in arrival order; null where a task had not arrived. */
export type ForgettingMatrix = ReadonlyArray<ReadonlyArray<number | null>>;

export interface ForgettingFigures {
  /** Retention of every task after the last stage (null where not measured). */
  final: Array<number | null>;
  /** Per task learnt before the last stage: best earlier retention minus final; null for the newest task. */
  forgetting: Array<number | null>;
  /** Per task learnt before the last stage: final retention minus retention right after learning it. */
  backwardTransfer: Array<number | null>;
  /** Mean forgetting over the old tasks (null when there are none). */
  meanForgetting: number | null;
  /** Mean final retention over every task. */
  meanFinal: number | null;
  /** The lowest final retention among old tasks (null when there are none). */
  minOld: number | null;
}

/** Checks the shape: stage k has at least k + 1 columns measured for tasks 0..k. */
export function checkMatrix(m: ForgettingMatrix): void {
  m.forEach((row, k) => {
    if (row.length < k + 1)
      throw new ConfigError("forgetting", `stage ${k} has ${row.length} tasks; it must hold tasks 0..${k}`);
    for (let j = 0; j < row.length; j++) {
      const v = row[j];
      if (v !== null && v !== undefined && !Number.isFinite(v))
        throw new ConfigError("forgetting", `R[${k}][${j}] is not a finite number`);
    }
  });
}

function mean(values: Array<number | null>): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

export function forgettingFigures(m: ForgettingMatrix): ForgettingFigures {
  checkMatrix(m);
  if (m.length === 0)
    return {
      final: [],
      forgetting: [],
      backwardTransfer: [],
      meanForgetting: null,
      meanFinal: null,
      minOld: null,
    };
  const K = m.length - 1;
  const tasks = Math.max(...m.map((r) => r.length));
  const final = Array.from({ length: tasks }, (_, j) => m[K]![j] ?? null);
  const forgetting: Array<number | null> = [];
  const backwardTransfer: Array<number | null> = [];
  for (let j = 0; j < tasks; j++) {
    const now = final[j];
    if (j >= K || now === null || now === undefined) {
      forgetting.push(null);
      backwardTransfer.push(null);
      continue;
    }
    let best = Number.NEGATIVE_INFINITY;
    for (let k = j; k < K; k++) {
      const v = m[k]![j];
      if (v !== null && v !== undefined) best = Math.max(best, v);
    }
    forgetting.push(best === Number.NEGATIVE_INFINITY ? null : best - now);
    const learnt = m[j]![j];
    backwardTransfer.push(learnt === null || learnt === undefined ? null : now - learnt);
  }
  const old = final.slice(0, K).filter((v): v is number => v !== null);
  return {
    final,
    forgetting,
    backwardTransfer,
    meanForgetting: mean(forgetting),
    meanFinal: mean(final),
    minOld: old.length ? Math.min(...old) : null,
  };
}

/** The matrix as text rows (stages down, tasks across), for the console and the Markdown report. */
export function formatMatrix(m: ForgettingMatrix, taskNames: readonly string[]): string {
  const names = taskNames.map((n) => n.replace(/^MinAtar\//, "").replace(/-v\d+$/, ""));
  const w = Math.max(8, ...names.map((n) => n.length));
  const head = ["after".padEnd(9), ...names.map((n) => n.padStart(w))].join(" ");
  const rows = m.map((row, k) =>
    [
      `stage ${k + 1}`.padEnd(9),
      ...names.map((_, j) =>
        (row[j] === null || row[j] === undefined ? "-" : row[j]!.toFixed(3)).padStart(w),
      ),
    ].join(" "),
  );
  return [head, ...rows].join("\n");
}
