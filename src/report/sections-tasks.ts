/**
 * Report sections of multi-task, lifelong and cross-modal distillation runs (summary.json with
 * `kind` "multitask", "lifelong" or "crossmodal", written by src/distill/multitask and
 * src/distill/crossmodal): per-task tables and retention curves, the forgetting matrix with its
 * per-stage chart, and the cross-modal student's return against env steps with the 90% mark.
 *
 * It reads the summaries as plain JSON (the report sits below src/distill and imports nothing from it).
 */
import { fmt, fmtPct, MISSING } from "./format.js";
import { at, isObject, type JsonObject, num, type RunData } from "./load.js";
import type { Block, ChartIds, ChartSeries, ChartSpec, Section } from "./model.js";

export const TASK_RUN_KINDS = ["multitask", "lifelong", "crossmodal"] as const;

function shortTask(env: string): string {
  return env.replace(/^MinAtar\//, "");
}

function objects(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function sectionId(prefix: string, run: RunData): string {
  return `${prefix}-${run.name}`.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** One row per task: teacher, student and random returns, retention, agreement. */
function tasksTable(tasks: JsonObject[], caption: string): Block {
  return {
    kind: "table",
    table: {
      caption,
      columns: [
        "Task",
        "Teacher return",
        "Student return",
        "Random return",
        "Retention",
        "Agreement",
        "Teacher params",
        "Task policy params",
      ],
      numeric: [false, true, true, true, true, true, true, true],
      rows: tasks.map((t) => [
        String(t["env"] ?? MISSING),
        fmt(num(at(t, "teacher", "eval", "mean_return"))),
        fmt(num(at(t, "student", "mean_return"))),
        fmt(num(at(t, "random", "eval", "mean_return"))),
        fmt(num(t["retention"])),
        fmtPct(num(at(t, "student", "agreement"))),
        fmt(num(at(t, "teacher", "params"))),
        fmt(num(at(t, "student", "params"))),
      ]),
    },
  };
}

/** Retention of each task at each checkpoint of the run, against env steps. */
function retentionChart(
  run: RunData,
  ids: ChartIds,
  checkpoints: JsonObject[],
  title: string,
): ChartSpec | null {
  if (checkpoints.length === 0) return null;
  const names = Object.keys(
    isObject(checkpoints[0]!["tasks"]) ? (checkpoints[0]!["tasks"] as JsonObject) : {},
  );
  const series: ChartSeries[] = names.map((name, i) => ({
    name: shortTask(name),
    points: checkpoints
      .map((c) => [num(c["step"]), num(at(c, "tasks", name, "retention"))] as const)
      .filter((p): p is readonly [number, number] => p[0] !== undefined && p[1] !== undefined)
      .map(([x, y]) => [x, y] as [number, number]),
    color: i,
    style: i,
  }));
  const steps = checkpoints.map((c) => num(c["step"])).filter((x): x is number => x !== undefined);
  if (steps.length)
    series.push({
      name: "teacher (1.0)",
      points: [
        [Math.min(...steps), 1],
        [Math.max(...steps), 1],
      ],
      color: 9,
      style: 0,
      reference: true,
    });
  return { id: ids.next(), title, runs: [run.name], xLabel: "env steps", yLabel: "retention", series };
}

function multitaskSection(run: RunData, ids: ChartIds): Section {
  const s = run.summary;
  const tasks = objects(s["tasks"]);
  const blocks: Block[] = [
    {
      kind: "note",
      text:
        `${tasks.length} tasks in one student (${String(at(s, "student", "arch") ?? MISSING)} trunk, a head per task${at(s, "student", "task_embedding") === true ? ", task embedding" : ""}, input [${String(at(s, "student", "input_shape") ?? MISSING)}]): ` +
        `${fmt(num(at(s, "student", "params")))} parameters, ${fmtPct(num(s["param_ratio"]))} of the teachers' ${fmt(num(s["teachers_params"]))}; ` +
        `mean retention ${fmt(num(s["mean_retention"]))}, lowest ${fmt(num(s["min_retention"]))}` +
        (s["interrupted"] === true ? " (interrupted)." : "."),
    },
    tasksTable(tasks, "Per task (final evaluation)"),
  ];
  const chart = retentionChart(run, ids, objects(s["evaluations"]), "Retention per task during training");
  if (chart) blocks.push({ kind: "charts", charts: [chart] });
  return { id: sectionId("multitask", run), title: `Multi-task: ${run.name}`, blocks };
}

function lifelongSection(run: RunData, ids: ChartIds): Section {
  const s = run.summary;
  const names = Array.isArray(s["task_names"]) ? s["task_names"].map(String) : [];
  const matrix = Array.isArray(s["matrix"]) ? (s["matrix"] as unknown[][]) : [];
  const blocks: Block[] = [
    {
      kind: "note",
      text:
        `Stage ${fmt(num(s["stage"]))}: ${String(s["task"] ?? MISSING)} learnt after ${names.length - 1} earlier task(s); ` +
        `replay memory ${fmt(num(at(s, "memory", "rows")))} of ${fmt(num(at(s, "memory", "capacity")))} rows, replay ratio ${fmt(num(at(s, "memory", "replay_ratio")))}, EWC ${fmt(num(s["ewc"]))}` +
        (num(at(s, "memory", "capacity")) === 0 && !num(s["ewc"]) ? " (naive sequential fine-tuning)." : "."),
    },
    {
      kind: "table",
      table: {
        caption: "Forgetting matrix: retention of each task (columns) after each stage (rows)",
        columns: ["After", ...names.map(shortTask)],
        numeric: [false, ...names.map(() => true)],
        rows: matrix.map((row, k) => [`stage ${k + 1}`, ...names.map((_, j) => fmt(num(row[j])))]),
      },
    },
  ];
  const f = at(s, "forgetting");
  if (isObject(f)) {
    const col = (key: string) => (Array.isArray(f[key]) ? (f[key] as unknown[]) : []);
    blocks.push({
      kind: "table",
      table: {
        caption: "Per task after the last stage",
        columns: [
          "Task",
          "Final retention",
          "Forgetting (best earlier - final)",
          "Backward transfer (final - when learnt)",
        ],
        numeric: [false, true, true, true],
        rows: names.map((n, j) => [
          n,
          fmt(num(col("final")[j])),
          fmt(num(col("forgetting")[j])),
          fmt(num(col("backwardTransfer")[j])),
        ]),
      },
    });
  }
  const series: ChartSeries[] = names.map((n, j) => ({
    name: shortTask(n),
    points: matrix
      .map((row, k) => [k + 1, num(row[j])] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined)
      .map(([x, y]) => [x, y] as [number, number]),
    color: j,
    style: j,
  }));
  const charts: ChartSpec[] = [
    {
      id: ids.next(),
      title: "Retention of every task after each stage",
      runs: [run.name],
      xLabel: "stage",
      yLabel: "retention",
      series,
    },
  ];
  const during = retentionChart(
    run,
    ids,
    objects(s["evaluations"]),
    `Retention during stage ${fmt(num(s["stage"]))}`,
  );
  if (during) charts.push(during);
  blocks.push(
    { kind: "charts", charts },
    tasksTable(objects(s["tasks"]), "Per task (final evaluation of this stage)"),
  );
  return {
    id: sectionId("lifelong", run),
    title: `Lifelong stage ${fmt(num(s["stage"]))}: ${run.name}`,
    blocks,
  };
}

function crossmodalSection(run: RunData, ids: ChartIds): Section {
  const s = run.summary;
  const teacherReturn = num(at(s, "teacher", "eval", "mean_return"));
  const randomReturn = num(at(s, "random", "eval", "mean_return"));
  const target = num(s["target"]) ?? 0.9;
  const evals = objects(s["evaluations"]);
  const stack = num(s["frame_stack"]) ?? 1;
  const blocks: Block[] = [
    {
      kind: "note",
      text:
        `${String(s["env"] ?? MISSING)}: the teacher sees ${String(s["teacher_view"])} ([${String(at(s, "teacher", "obs_shape") ?? "")}]), ` +
        `the student ${String(s["student_view"])}${stack > 1 ? ` stacked over ${stack} frames` : ""} ([${String(at(s, "student", "obs_shape") ?? "")}]). ` +
        `${fmt(target * 100)}% of the teacher ${s["steps_to_target"] === null || s["steps_to_target"] === undefined ? "was not reached" : `was reached at ${fmt(num(s["steps_to_target"]))} env steps`}.`,
    },
    {
      kind: "table",
      table: {
        columns: ["", "View", "Params", "Return", "Retention", "Agreement", `Steps to ${fmt(target * 100)}%`],
        numeric: [false, false, true, true, true, true, true],
        rows: [
          [
            "teacher",
            String(s["teacher_view"]),
            fmt(num(at(s, "teacher", "params"))),
            fmt(teacherReturn),
            "",
            "",
            "",
          ],
          [
            "student",
            `${String(s["student_view"])}${stack > 1 ? ` x${stack}` : ""}`,
            fmt(num(at(s, "student", "params"))),
            fmt(num(at(s, "student", "eval", "mean_return"))),
            fmt(num(s["retention"])),
            fmtPct(num(s["agreement"])),
            fmt(num(s["steps_to_target"])),
          ],
          ["random", "", "", fmt(randomReturn), "", "", ""],
        ],
      },
    },
  ];
  const pts = evals
    .map((e) => [num(e["step"]), num(e["mean_return"])] as const)
    .filter((p): p is readonly [number, number] => p[0] !== undefined && p[1] !== undefined)
    .map(([x, y]) => [x, y] as [number, number]);
  if (pts.length) {
    const xs = pts.map((p) => p[0]);
    const line = (y: number): [number, number][] => [
      [Math.min(...xs), y],
      [Math.max(...xs), y],
    ];
    const series: ChartSeries[] = [{ name: "student", points: pts, color: 0, style: 0 }];
    if (teacherReturn !== undefined)
      series.push({ name: "teacher", points: line(teacherReturn), color: 2, style: 0, reference: true });
    if (teacherReturn !== undefined && randomReturn !== undefined)
      series.push({
        name: `${fmt(target * 100)}% of the teacher`,
        points: line(randomReturn + target * (teacherReturn - randomReturn)),
        color: 3,
        style: 1,
        reference: true,
      });
    blocks.push({
      kind: "charts",
      charts: [
        {
          id: ids.next(),
          title: "Student return on its own view",
          runs: [run.name],
          xLabel: "env steps",
          yLabel: "return",
          series,
        },
      ],
    });
  }
  return { id: sectionId("crossmodal", run), title: `Cross-modal: ${run.name}`, blocks };
}

/** The sections of the task runs among `runs` (the hook model.ts calls). */
export function taskSections(runs: RunData[], ids: ChartIds): Section[] {
  return runs.flatMap((r) => {
    const kind = r.summary["kind"];
    if (kind === "multitask") return [multitaskSection(r, ids)];
    if (kind === "lifelong") return [lifelongSection(r, ids)];
    if (kind === "crossmodal") return [crossmodalSection(r, ids)];
    return [];
  });
}
