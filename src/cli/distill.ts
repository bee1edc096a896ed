/**
 * `rldistill distill`: distils one or more teachers into a small student on an env. A thin shell
 * over `distill()` (src/distill/distill.ts): flags, --config and --set become one flat config;
 * everything else is the library's.
 *
 * Layers, later winning: defaults < presets/distill.json[env] < --config FILE.json < flags < --set.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeSchema } from "../core/config.js";
import { ConfigError, describeValue } from "../core/errors.js";
import {
  DISTILL_METHODS,
  DISTILL_SCHEMA,
  type DistillConfig,
  parseDistillAssignment,
} from "../distill/config.js";
import { distill } from "../distill/distill.js";
import { formatSmall } from "../distill/loop.js";
import type { DistillSummary } from "../distill/run-dir.js";
import { checkHidden } from "../distill/student.js";
import { formatConv, parseArch } from "../nn/arch.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs } from "./args.js";
import { MODES_HELP, modeOf, runMode } from "./distill-modes.js";

const flags: FlagSpecs = {
  teacher: {
    type: "string",
    repeat: true,
    help: "teacher: rldistill checkpoint, ONNX model, Stable-Baselines3 .zip or torch state_dict (with --teacher-arch); repeat for an ensemble",
  },
  "teacher-output": {
    type: "string",
    repeat: true,
    help: "ONNX teacher: the tensor holding the policy (once for all teachers, or once per teacher)",
  },
  "teacher-kind": {
    type: "string",
    repeat: true,
    help: "what it holds: logits | probs | q | mean[,logstd=NAME|VALUE]",
    defaultText: "from the model",
  },
  "teacher-value": { type: "string", repeat: true, help: "ONNX teacher: the state-value tensor, or none" },
  "teacher-arch": {
    type: "string",
    repeat: true,
    help: "state_dict teacher: [PREFIX:]ACTIVATION of its nn.Sequential, e.g. actor:tanh",
  },
  "obs-norm": {
    type: "string",
    repeat: true,
    help: "VecNormalize statistics as JSON (mean, var, epsilon, clip), folded into the teacher (docs/byom.md)",
  },
  "teacher-temperature": {
    type: "number",
    repeat: true,
    help: "ensemble: one temperature per teacher, turning logits / Q-values into probabilities",
  },
  env: { type: "string", help: "env id, e.g. CartPole-v1 (see `rldistill envs`)" },
  student: {
    type: "string",
    help: "student architecture: dense widths (32,32; an MLP over the flattened observation) or conv<filters>x<kernel>[s<stride>][same] layers first, then dense widths (conv8x3,fc32)",
    defaultText: "preset, else 32,32",
  },
  method: { type: "string", choices: DISTILL_METHODS, help: "how to distil", defaultText: "policy" },
  loss: {
    type: "string",
    help: "distillation loss (kl, reverse-kl, js, nll, mse, gaussian-kl, ...)",
    defaultText: "kl",
  },
  tau: { type: "string", help: "temperature or schedule, e.g. 1 or 5:1:linear", defaultText: "1" },
  alpha: {
    type: "string",
    help: "distillation weight vs RL loss (ppo, dqn): number, schedule, qdagger, dynamic",
    defaultText: "1",
  },
  collector: {
    type: "string",
    choices: ["teacher", "student", "mixed"],
    help: "who acts while collecting",
    defaultText: "mixed",
  },
  steps: { type: "integer", help: "environment steps to collect", defaultText: "preset, else 50000" },
  seed: { type: "integer", help: "seed of the whole run", defaultText: "0" },
  out: { type: "string", help: "run folder", defaultText: "runs/distill-<env>-<method>-s<seed>" },
  "quantize-aware": {
    type: "boolean",
    help: "train through int8 fake quantization (then `rldistill export --quantize int8` ships what was trained)",
  },
  config: { type: "string", help: "JSON file of config fields (e.g. a previous run's config.json)" },
  set: { type: "string", repeat: true, help: "any config field, key=value (see the list below)" },
  quiet: { type: "boolean", help: "print only the final table" },
  "no-report": { type: "boolean", help: "do not write report.html / report.md into the run folder" },
  help: { type: "boolean", help: "show this help" },
};

/**
 * An architecture string (src/nn/arch.ts) as the config's two fields: "32,32" -> student [32, 32];
 * "conv8x3,fc32" -> student [32], studentConvs "conv8x3". Errors name the flag.
 */
export function parseStudent(text: string, field = "--student"): { student: number[]; studentConvs: string } {
  const arch = parseArch(text, field);
  if (arch.convs.length === 0) checkHidden(field, arch.hidden);
  return { student: arch.hidden, studentConvs: arch.convs.map(formatConv).join(",") };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError("--config", `cannot read "${path}": ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError("--config", `${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(
      "--config",
      `${path} must hold a JSON object of config fields, got ${describeValue(value)}`,
    );
  }
  const obj = { ...(value as Record<string, unknown>) };
  if ("teacher" in obj) {
    obj.teachers = Array.isArray(obj.teacher) ? obj.teacher : [obj.teacher];
    delete obj.teacher;
  }
  return obj;
}

/** The config layers the flags describe (without defaults and presets, which `distill()` adds). */
export function configFromArgs(f: Record<string, unknown>): Partial<DistillConfig> {
  const layer: Record<string, unknown> = f.config ? readConfigFile(f.config as string) : {};
  if (f.teacher) layer.teachers = f.teacher;
  const teacherFlags = {
    "teacher-output": "teacherOutput",
    "teacher-kind": "teacherKind",
    "teacher-value": "teacherValue",
    "teacher-arch": "teacherArch",
    "obs-norm": "obsNorm",
    "teacher-temperature": "teacherTemperature",
  } as const;
  // Given once: every teacher; given once per teacher: in the order of --teacher.
  for (const [flag, field] of Object.entries(teacherFlags))
    if (f[flag] !== undefined) layer[field] = (f[flag] as Array<string | number>).join(";");
  for (const key of ["env", "method", "loss", "tau", "alpha", "collector", "steps", "seed", "out"] as const) {
    if (f[key] !== undefined) layer[key] = typeof f[key] === "number" ? f[key] : String(f[key]);
  }
  if (f.student !== undefined) Object.assign(layer, parseStudent(String(f.student)));
  if (f["quantize-aware"] === true) layer.quantizeAware = true;
  for (const a of (f.set as string[] | undefined) ?? []) {
    const [k, v] = parseDistillAssignment(a);
    layer[k] = v;
  }
  return layer as Partial<DistillConfig>;
}

function pct(v: number | null): string {
  return v === null ? "-" : `${(100 * v).toFixed(1)}%`;
}

/** Teacher vs student figures as a small table. */
export function formatSummary(s: DistillSummary, runDir: string): string {
  const rows = [
    ["", "params", "return", "agreement", "JS"],
    [
      "teacher",
      String(s.teacher.params),
      `${s.teacher.eval.mean_return.toFixed(1)} +- ${s.teacher.eval.std_return.toFixed(1)}`,
      "",
      "",
    ],
    [
      "student",
      String(s.student.params),
      `${s.student.eval.mean_return.toFixed(1)} +- ${s.student.eval.std_return.toFixed(1)}`,
      pct(s.agreement),
      formatSmall(s.js_divergence),
    ],
    ["random", "", `${s.random.eval.mean_return.toFixed(1)}`, "", ""],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  lines.push(
    "",
    `retention ${s.retention === null ? "-" : s.retention.toFixed(3)} ((student - random) / (teacher - random)), ` +
      `${(s.teacher.params / Math.max(1, s.student.params)).toFixed(1)}x fewer parameters, ${s.checkpoints.length} checkpoints` +
      (s.interrupted ? " (interrupted)" : ""),
    `run folder: ${runDir}`,
  );
  return lines.join("\n");
}

/** Ctrl-C once: finish the current round, checkpoint and write the summary. Twice: exit now. */
export function installStopHandler(print: (l: string) => void): {
  shouldStop: () => boolean;
  remove: () => void;
} {
  let stop = false;
  const handler = () => {
    if (stop) process.exit(130);
    stop = true;
    print("interrupted: saving the student and summary (Ctrl-C again to quit at once)...");
  };
  process.on("SIGINT", handler);
  return { shouldStop: () => stop, remove: () => process.off("SIGINT", handler) };
}

export const distillCommand: Command = {
  name: "distill",
  summary: "distil teacher policies into a small student (policy, ppo, dqn, feature, residual)",
  usage: () =>
    [
      "Usage: rldistill distill --teacher PATH [--teacher PATH ...] --env ID [--student 32,32] [flags]",
      "",
      "Distils the teacher(s) into a student and writes a run folder: student.rldistill, config.json,",
      "progress.jsonl, summary.json (teacher vs student returns, agreement, JS divergence, retention,",
      "an evaluation every 20% of training) and report.html. Per-env presets make --teacher, --env, --student enough.",
      "",
      formatFlags(flags),
      "",
      MODES_HELP,
      "",
      "Config fields (--set key=value, or a --config JSON file):",
      describeSchema(DISTILL_SCHEMA),
    ].join("\n"),
  async run(argv) {
    const mode = modeOf(argv);
    if (mode) return runMode(mode, argv);
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (f.help) {
      console.log(this.usage());
      return 0;
    }
    if (positionals.length)
      throw new ConfigError("distill", `unexpected argument "${positionals[0]}"; flags start with --`);
    const layer = configFromArgs(f);
    const print = f.quiet ? () => {} : (l: string) => console.log(l);
    const stop = installStopHandler((l) => console.error(l));
    try {
      const { summary, runDir } = await distill(layer, { print, shouldStop: stop.shouldStop });
      console.log(formatSummary(summary, runDir));
      if (f["no-report"] !== true) {
        const { writeReport } = await import("../report/write.js");
        const { html } = writeReport([runDir], join(runDir, "report.html"), {
          title: `rldistill distill: ${summary.env}`,
        });
        console.log(`report:     ${html}`);
      }
      return summary.interrupted ? 130 : 0;
    } finally {
      stop.remove();
    }
  },
};
