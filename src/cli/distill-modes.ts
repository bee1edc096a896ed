/**
 * The multi-task, lifelong and cross-modal modes of `rldistill distill`, each a thin shell over
 * its library call with its own config (src/distill/multitask, src/distill/crossmodal):
 *
 *   rldistill distill --teacher MinAtar/Breakout-v1=A.rldistill --teacher MinAtar/Freeway-v1=B.rldistill ...
 *       multi-task: one student, a head per task (ENV=PATH pairs; the env names the task)
 *   rldistill distill --lifelong --teacher MinAtar/Breakout-v1=A.rldistill --out runs/s1
 *   rldistill distill --continue-from runs/s1 --teacher MinAtar/Freeway-v1=B.rldistill --out runs/s2
 *       lifelong: one new task per stage, a replay memory (and optionally EWC) keeps the old ones
 *   rldistill distill --env MinAtar/Breakout-v1 --teacher S.rldistill --teacher-view state --student-view pixels
 *       cross-modal: the teacher and the student see different views of the same steps
 *
 * `distill.ts` hands its arguments here when `modeOf` finds one of these modes.
 */
import { describeSchema } from "../core/config.js";
import { ConfigError } from "../core/errors.js";
import { onInterrupt } from "../core/interrupt.js";
import type { RunFolder } from "../core/run-dir.js";
import { CROSSMODAL_SCHEMA, parseCrossModalAssignment } from "../distill/crossmodal/config.js";
import {
  isTaskTeacher,
  LIFELONG_SCHEMA,
  MULTITASK_SCHEMA,
  parseTasksAssignment,
  parseTaskTeacher,
} from "../distill/multitask/config.js";
import { formatMatrix } from "../distill/multitask/forgetting.js";
import { type FlagSpecs, formatFlags, parseArgs, wantsHelp } from "./args.js";
import { readConfigFile, writeRunReport } from "./common.js";

export type DistillMode = "multitask" | "lifelong" | "crossmodal";

const common: FlagSpecs = {
  student: {
    type: "string",
    help: "student architecture (conv16x3,fc128 or 64,64)",
    defaultText: "auto: conv16x3,fc128 on images, 64,64 on vectors",
  },
  steps: {
    type: "integer",
    help: "environment steps (multi-task and lifelong: per task)",
    defaultText: "50000",
  },
  seed: { type: "integer", help: "seed of the whole run", defaultText: "0" },
  out: { type: "string", help: "run folder" },
  loss: { type: "string", help: "distillation loss (kl, mse, nll, js, ...)", defaultText: "kl" },
  tau: { type: "string", help: "temperature or schedule, e.g. 1 or 5:1:linear", defaultText: "1" },
  collector: {
    type: "string",
    choices: ["teacher", "student", "mixed"],
    help: "who acts while collecting",
    defaultText: "mixed",
  },
  config: { type: "string", help: "JSON file of config fields (e.g. a previous run's config.json)" },
  set: { type: "string", repeat: true, help: "any config field, key=value (see the list below)" },
  quiet: { type: "boolean", help: "print only the final table" },
  overwrite: { type: "boolean", help: "empty a run folder that holds an earlier run (else it is refused)" },
  "no-report": { type: "boolean", help: "do not write report.html / report.md into the run folder" },
  help: { type: "boolean", help: "show this help" },
};

const multitaskFlags: FlagSpecs = {
  teacher: {
    type: "string",
    repeat: true,
    help: "a task: ENV=PATH, the env id and its teacher's file (repeat for more tasks)",
  },
  "task-weights": {
    type: "string",
    help: "per-task loss weights in --teacher order, e.g. 1,2,1",
    defaultText: "all 1",
  },
  ...common,
};

const lifelongFlags: FlagSpecs = {
  teacher: {
    type: "string",
    repeat: true,
    help: "the stage's new task: ENV=PATH, the env id and its teacher's file",
  },
  lifelong: {
    type: "boolean",
    help: "the first stage of a lifelong chain (continue it with --continue-from)",
  },
  "continue-from": { type: "string", help: "the previous stage's run folder" },
  memory: {
    type: "integer",
    help: "replay memory rows over all tasks (reservoir sampling); 0 = none",
    defaultText: "20000",
  },
  "replay-ratio": {
    type: "number",
    help: "share of each batch replayed from earlier tasks",
    defaultText: "0.5",
  },
  ewc: { type: "number", help: "EWC penalty weight (0 = off)", defaultText: "0" },
  ...common,
};

const crossFlags: FlagSpecs = {
  env: { type: "string", help: "env id both views come from" },
  teacher: { type: "string", help: "the teacher's model file (trained on its view)" },
  "teacher-view": {
    type: "string",
    help: "what the teacher sees: full, pixels, state (MinAtar), keep:I,J or drop:I,J",
    defaultText: "full",
  },
  "student-view": { type: "string", help: "what the student sees (same choices)", defaultText: "full" },
  "frame-stack": { type: "integer", help: "frames the student stacks", defaultText: "1" },
  ...common,
};

const FLAGS: Record<DistillMode, FlagSpecs> = {
  multitask: multitaskFlags,
  lifelong: lifelongFlags,
  crossmodal: crossFlags,
};

/** The mode the arguments ask for, or undefined for a plain distillation. */
export function modeOf(argv: readonly string[]): DistillMode | undefined {
  const names = argv.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0]!);
  if (names.includes("continue-from") || names.includes("lifelong")) return "lifelong";
  if (["teacher-view", "student-view", "frame-stack"].some((n) => names.includes(n))) return "crossmodal";
  const teachers: string[] = [];
  argv.forEach((a, i) => {
    if (a === "--teacher" && argv[i + 1] !== undefined) teachers.push(argv[i + 1]!);
    else if (a.startsWith("--teacher=")) teachers.push(a.slice("--teacher=".length));
  });
  return teachers.some(isTaskTeacher) ? "multitask" : undefined;
}

const FLAG_FIELDS: Record<string, string> = {
  student: "student",
  steps: "steps",
  seed: "seed",
  out: "out",
  loss: "loss",
  tau: "tau",
  collector: "collector",
  "task-weights": "taskWeights",
  "continue-from": "continueFrom",
  memory: "memorySize",
  "replay-ratio": "replayRatio",
  ewc: "ewc",
  env: "env",
  "teacher-view": "teacherView",
  "student-view": "studentView",
  "frame-stack": "frameStack",
};

/** The config layer of the flags (over --config, under --set). */
export function modeConfig(mode: DistillMode, f: Record<string, unknown>): Record<string, unknown> {
  const layer = f.config ? { ...readConfigFile(f.config as string) } : {};
  for (const [flag, field] of Object.entries(FLAG_FIELDS)) if (f[flag] !== undefined) layer[field] = f[flag];
  if (mode === "crossmodal") {
    if (f.teacher !== undefined) layer.teacher = f.teacher;
  } else if (f.teacher !== undefined) {
    layer.tasks = (f.teacher as string[]).map((t, i) => {
      if (!t.includes("="))
        throw new ConfigError(
          `--teacher[${i}]`,
          `"${t}" has no task: in ${mode} mode every teacher is ENV=PATH (e.g. MinAtar/Breakout-v1=${t}), the env id being the task`,
        );
      return parseTaskTeacher(t, `--teacher[${i}]`);
    });
  }
  for (const a of (f.set as string[] | undefined) ?? []) {
    const [k, v] =
      mode === "crossmodal" ? parseCrossModalAssignment(a) : parseTasksAssignment(a, mode === "lifelong");
    layer[k] = v;
  }
  return layer;
}

export function modeUsage(mode: DistillMode): string {
  const intro: Record<DistillMode, string[]> = {
    multitask: [
      "Usage: rldistill distill --teacher ENV=PATH --teacher ENV=PATH [...] [--student conv16x3,fc128] [flags]",
      "",
      "Multi-task distillation: one student with a shared trunk and one head per task (the env id names the",
      "task), balanced batches over the tasks, per-task loss weights. Observations are padded to one input",
      "(image channels up to the most of any task, MinAtar 10; vectors with zeros). Writes student.rldistill,",
      "students/<task>.rldistill (each task's own policy), summary.json (per-task retention), report.html.",
    ],
    lifelong: [
      "Usage: rldistill distill --lifelong --teacher ENV=PATH --out runs/s1 [flags]",
      "       rldistill distill --continue-from runs/s1 --teacher ENV=PATH --out runs/s2 [flags]",
      "",
      "Lifelong distillation: one new task per stage; a replay memory of stored teacher targets (reservoir",
      "sampling, --memory rows) and optionally EWC (--ewc) keep the earlier tasks. --memory 0 --set replayRatio=0",
      "is naive sequential fine-tuning. summary.json holds the forgetting matrix (retention of every task after",
      "every stage); the run folder is what the next stage continues from.",
    ],
    crossmodal: [
      "Usage: rldistill distill --env ID --teacher PATH --teacher-view VIEW --student-view VIEW [--frame-stack K] [flags]",
      "",
      "Cross-modal distillation: the teacher labels its view of each step, the student learns on its own view",
      "of the same step (MinAtar state -> pixels or pixels -> state; a privileged full-state teacher -> a student",
      "seeing keep:/drop: entries, e.g. CartPole drop:1,3 --frame-stack 4). summary.json reports the env steps",
      "to 90% of the teacher's return (steps_to_target).",
    ],
  };
  const flags = FLAGS[mode];
  const schema =
    mode === "crossmodal" ? CROSSMODAL_SCHEMA : mode === "lifelong" ? LIFELONG_SCHEMA : MULTITASK_SCHEMA;
  return [
    ...intro[mode],
    "",
    formatFlags(flags),
    "",
    "Config fields (--set key=value, or a --config JSON file):",
    describeSchema(schema),
  ].join("\n");
}

export async function runMode(mode: DistillMode, argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(modeUsage(mode));
    return 0;
  }
  const { flags: f, positionals } = parseArgs(argv, FLAGS[mode]);
  if (positionals.length)
    throw new ConfigError("distill", `unexpected argument "${positionals[0]}"; flags start with --`);
  const layer = modeConfig(mode, f);
  const quiet = f.quiet === true;
  // --quiet keeps the lines that say what was built and what happened to the folder.
  const print = (l: string) => {
    if (!quiet || l.startsWith("built:") || l.startsWith("note:")) console.log(l);
  };
  const stop = onInterrupt({
    message: `rldistill distill (${mode}): interrupted; saving the student (Ctrl-C again to quit at once)`,
  });
  let report: string | undefined;
  const opts = {
    print,
    signal: stop.signal,
    overwrite: f.overwrite === true,
    command: ["rldistill", "distill", ...argv].join(" "),
  };
  const finish = (title: string) => async (folder: RunFolder) => {
    if (f["no-report"] !== true) report = await writeRunReport(folder, title);
  };
  try {
    let runDir: string;
    let interrupted: boolean;
    if (mode === "crossmodal") {
      const { distillCrossModal } = await import("../distill/crossmodal/crossmodal.js");
      const title = `rldistill cross-modal: ${String(layer.env)} ${String(layer.teacherView ?? "full")} -> ${String(layer.studentView ?? "full")}`;
      const r = await distillCrossModal(layer, { ...opts, onFinish: finish(title) });
      ({ runDir } = r);
      interrupted = r.summary.interrupted;
      if (quiet)
        console.log(
          `retention ${r.summary.retention?.toFixed(3) ?? "-"}, steps to ${r.summary.target}: ${r.summary.steps_to_target ?? "not reached"}`,
        );
    } else if (mode === "lifelong") {
      const { distillStage } = await import("../distill/multitask/lifelong.js");
      const r = await distillStage(layer, { ...opts, onFinish: finish("rldistill lifelong stage") });
      ({ runDir } = r);
      interrupted = r.summary.interrupted;
      if (quiet) console.log(formatMatrix(r.summary.matrix, r.summary.task_names));
    } else {
      const { distillMultiTask, formatTasksTable } = await import("../distill/multitask/multitask.js");
      const r = await distillMultiTask(layer, { ...opts, onFinish: finish("rldistill multi-task") });
      ({ runDir } = r);
      interrupted = r.summary.interrupted;
      if (quiet) console.log(formatTasksTable(r.summary.tasks));
    }
    console.log(`run folder: ${runDir}`);
    if (report) console.log(`report:     ${report}`);
    return interrupted ? 130 : 0;
  } finally {
    stop.dispose();
  }
}

/** Help of the three modes as one command entry (shown by `rldistill distill --help`). */
export const MODES_HELP = [
  "Modes (each with its own flags and config; add --help to see them):",
  "  --teacher ENV=PATH --teacher ENV=PATH ...         multi-task: one student, a head per task",
  "  --lifelong / --continue-from DIR --teacher ENV=PATH   lifelong: one new task per stage, replay memory, EWC",
  "  --teacher-view V --student-view W [--frame-stack K]   cross-modal: teacher and student see different views",
].join("\n");
