/**
 * States a task's own student visits, labelled by its teacher, for the replay memory of lifelong
 * stages (`memoryStudentShare`).
 *
 * During a stage the memory stores the states of the stage's collection stream: with the default
 * mixed collector the teacher acts at first, and the student acts later while it is still learning.
 * What an old task must keep is the return of the stage's final student, which depends on the
 * states that student reaches; stored targets from elsewhere can be matched 95-97% of the time while
 * the return falls (issue 13, five-stage run). So at the end of a stage part of the task's rows are
 * replaced by states from greedy episodes of the final student (as DAgger labels the learner's own
 * states, Ross et al. 2011), each labelled with the teacher's outputs.
 */
import type { Rng } from "../../core/rng.js";
import { compileSpec } from "../../nn/fast.js";
import { type ActingEnv, Collector } from "../collect.js";
import type { EnvFactory } from "../evaluation.js";
import type { Teacher } from "../teacher.js";
import type { TaskLayout } from "./layout.js";
import type { MultiHeadStudent } from "./multi-head-student.js";

export interface StudentRowsOptions {
  student: MultiHeadStudent;
  /** The task id (the student's head and the layout's task). */
  task: number;
  layout: TaskLayout;
  teacher: Teacher;
  makeEnv: EnvFactory;
  /** Rows wanted. */
  n: number;
  /** Envs stepped side by side. */
  numEnvs: number;
  /** Env k is first reset with seed + k. */
  seed: number;
  rng: Rng;
}

export interface StudentRows {
  n: number;
  /** [n, layout.inputSize], the task's observations padded as the student reads them. */
  input: Float32Array | Uint8Array;
  /** [n, actions] the teacher's outputs (logits or Q-values) on those states. */
  outputs: Float32Array;
  actions: number;
}

/** `n` states visited by the greedy head `task` of the student, with the teacher's outputs on them. */
export async function studentVisitedRows(o: StudentRowsOptions): Promise<StudentRows> {
  const { layout, task, n } = o;
  const actions = layout.task(task).actions;
  const envs = Array.from({ length: o.numEnvs }, (_, k) => o.makeEnv(k) as ActingEnv);
  const input = layout.allocInput(n);
  const outputs = new Float32Array(n * actions);
  let rows = 0;
  try {
    const collector = new Collector({
      envs,
      teacher: o.teacher,
      student: compileSpec(o.student.specFor(task)),
      mode: "student",
      studentDeterministic: true,
      rng: o.rng,
      seed: o.seed,
    });
    await collector.collect(Math.ceil(n / o.numEnvs), undefined, 0, (s) => {
      const take = Math.min(s.teacher.n, n - rows);
      if (take <= 0) return;
      layout.toInput(task, s.obs, take, input, rows);
      outputs.set(s.teacher.outputs.subarray(0, take * actions), rows * actions);
      rows += take;
    });
  } finally {
    for (const env of envs) env.close();
  }
  return { n: rows, input: input.subarray(0, rows * layout.inputSize), outputs, actions };
}
