/**
 * `rldistill distill`: distils one or more teachers into a small student on an env. A thin shell
 * over `distill()` (src/distill/distill.ts): flags, --config and --set become one flat config;
 * everything else is the library's.
 *
 * Layers, later winning: defaults < presets/distill.json[env] < --config FILE.json < flags < --set.
 */
import { ConfigError } from "../core/errors.js";
import { onInterrupt } from "../core/interrupt.js";
import { loadPreset } from "../core/presets.js";
import {
  DISTILL_METHODS,
  DISTILL_SCHEMA,
  type DistillConfig,
  describeDistillFields,
  parseDistillAssignment,
} from "../distill/config.js";
import { distill } from "../distill/distill.js";
import { formatSmall } from "../distill/loop.js";
import type { DistillSummary } from "../distill/run-dir.js";
import { checkHidden } from "../distill/student.js";
import { formatConv, parseArch } from "../nn/arch.js";
import { alignRows, type Command, type FlagSpecs, formatFlags, parseArgs, wantsHelp } from "./args.js";
import { readConfigFile, writeRunReport } from "./common.js";
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
  tau: { type: "string", help: "temperature (> 0) or schedule, e.g. 1 or 5:1:linear", defaultText: "1" },
  alpha: {
    type: "string",
    help: "methods ppo, dqn: distillation weight in [0, 1] vs the RL loss: number, schedule, qdagger, dynamic",
    defaultText: "1",
  },
  collector: {
    type: "string",
    choices: ["teacher", "student", "mixed"],
    help: "who acts while collecting (not method ppo, which collects its own rollouts)",
    defaultText: "mixed",
  },
  timesteps: {
    type: "integer",
    aliases: ["steps"],
    help: "environment steps to collect (the step budget; config field `steps`)",
    defaultText: "preset, else 50000",
  },
  seed: { type: "integer", help: "seed of the whole run", defaultText: "0" },
  out: { type: "string", help: "run folder", defaultText: "runs/distill-<env>-<method>-s<seed>" },
  overwrite: {
    type: "boolean",
    help: "empty --out first if it holds an earlier run (else such a folder is refused)",
  },
  resume: {
    type: "string",
    help: "continue the run in this folder from its last student (settings come back; --timesteps may grow)",
  },
  "quantize-aware": {
    type: "boolean",
    help: "train through int8 fake quantization (then `rldistill export --quantize int8` ships what was trained)",
  },
  config: { type: "string", help: "JSON file of config fields (e.g. a previous run's config.json)" },
  set: { type: "string", repeat: true, help: "any config field, key=value (see the list below)" },
  quiet: { type: "boolean", help: "print only what was built and the final table" },
  "no-report": { type: "boolean", help: "do not write report.html / report.md into the run folder" },
  "no-video": {
    type: "boolean",
    help: "do not record teacher.gif / student.gif at the end (config video=false; the report then shows no episodes)",
  },
  help: { type: "boolean", help: "show this help (-h)" },
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

/** A --config file: a previous run's config.json works (its `resumes` record is dropped). */
function configFileLayer(path: string): Record<string, unknown> {
  const obj = { ...readConfigFile(path) };
  delete obj.resumes;
  if ("teacher" in obj) {
    obj.teachers = Array.isArray(obj.teacher) ? obj.teacher : [obj.teacher];
    delete obj.teacher;
  }
  return obj;
}

/** The config layers the flags describe (without defaults and presets, which `distill()` adds). */
export function configFromArgs(f: Record<string, unknown>): Partial<DistillConfig> {
  const layer: Record<string, unknown> = f.config ? configFileLayer(f.config as string) : {};
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
  for (const key of ["env", "method", "loss", "tau", "alpha", "collector", "seed", "out"] as const) {
    if (f[key] !== undefined) layer[key] = typeof f[key] === "number" ? f[key] : String(f[key]);
  }
  if (f.timesteps !== undefined) layer.steps = f.timesteps;
  if (f.resume !== undefined) {
    if (f.out !== undefined && f.out !== f.resume)
      throw new ConfigError(
        "--out",
        `a resumed run continues in its own folder (${String(f.resume)}); leave --out out`,
      );
    layer.out = f.resume;
  }
  if (f.student !== undefined) Object.assign(layer, parseStudent(String(f.student)));
  if (f["quantize-aware"] === true) layer.quantizeAware = true;
  if (f["no-video"] === true) layer.video = false;
  for (const a of (f.set as string[] | undefined) ?? []) {
    const [k, v] = parseDistillAssignment(a);
    layer[k] = v;
  }
  return layer as Partial<DistillConfig>;
}

function pct(v: number | null): string {
  return v === null ? "-" : `${(100 * v).toFixed(1)}%`;
}

function ret(e: { mean_return: number; std_return: number } | null): string {
  return e === null ? "-" : `${e.mean_return.toFixed(1)} +- ${e.std_return.toFixed(1)}`;
}

/** Teacher vs student figures as a small table ("-" where a figure was not measured). */
export function formatSummary(s: DistillSummary, runDir: string): string {
  const lines = alignRows([
    ["", "params", "return", "agreement", "JS"],
    ["teacher", String(s.teacher.params), ret(s.teacher.eval), "", ""],
    [
      "student",
      String(s.student.params),
      ret(s.student.eval),
      pct(s.agreement),
      s.js_divergence === null ? "-" : formatSmall(s.js_divergence),
    ],
    ["random", "", `${s.random.eval.mean_return.toFixed(1)}`, "", ""],
  ]);
  const last = s.checkpoints.at(-1);
  lines.push(
    "",
    `retention ${s.retention === null ? "-" : s.retention.toFixed(3)} ((student - random) / (teacher - random)), ` +
      `${(s.teacher.params / Math.max(1, s.student.params)).toFixed(1)}x fewer parameters, ${s.checkpoints.length} checkpoints` +
      (s.interrupted ? " (interrupted)" : ""),
  );
  if (s.interrupted) {
    lines.push(
      `interrupted at step ${s.steps}: the student trained so far is saved; it was not evaluated` +
        (last ? ` (last evaluation, step ${last.step}: return ${last.mean_return.toFixed(1)})` : ""),
      `continue with: rldistill distill --resume ${runDir}`,
    );
  }
  lines.push(`run folder: ${runDir}`);
  return lines.join("\n");
}

/** Help: the flags, then every config field, with the values of --env's preset when given. */
function usage(argv: readonly string[] = []): string {
  let f: Record<string, unknown> = {};
  try {
    f = parseArgs(argv, flags).flags;
  } catch {
    // Help is shown whatever else is wrong with the line.
  }
  const env = typeof f.env === "string" ? f.env : undefined;
  let preset: Record<string, unknown> = {};
  let note = "(add --env ID to see the values that env's preset in presets/distill.json sets)";
  if (env) {
    try {
      preset = loadPreset("distill", env, DISTILL_SCHEMA).config;
      note = Object.keys(preset).length
        ? `(values marked "${env} preset" come from presets/distill.json)`
        : `(presets/distill.json has no ${env} entry: the defaults apply)`;
    } catch (err) {
      note = `(the ${env} preset does not load: ${(err as Error).message})`;
    }
  }
  return [
    "Usage: rldistill distill --teacher PATH [--teacher PATH ...] --env ID [--student 32,32] [flags]",
    "       rldistill distill --resume DIR [--timesteps N]",
    "",
    "Distils the teacher(s) into a student and writes a run folder: student.rldistill, config.json,",
    "progress.jsonl, summary.json (teacher vs student returns, agreement, JS divergence, retention,",
    "an evaluation every 20% of training) and report.html. Per-env presets make --teacher, --env,",
    "--student enough. A folder holding an earlier run needs --resume or --overwrite. Ctrl-C stops",
    "within a second and saves the student (Ctrl-C twice: exit at once).",
    "",
    formatFlags(flags),
    "",
    MODES_HELP,
    "",
    `Config fields (--set key=value, or a --config JSON file); each method takes its own ${note}:`,
    describeDistillFields(preset, `${env} preset`),
  ].join("\n");
}

export const distillCommand: Command = {
  name: "distill",
  summary: "distil teacher policies into a small student (policy, ppo, dqn, feature, residual)",
  usage,
  async run(argv) {
    const mode = modeOf(argv);
    if (mode) return runMode(mode, argv);
    if (wantsHelp(argv)) {
      console.log(usage(argv));
      return 0;
    }
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (positionals.length)
      throw new ConfigError("distill", `unexpected argument "${positionals[0]}"; flags start with --`);
    if (f.resume !== undefined && f.overwrite === true)
      throw new ConfigError("--overwrite", "cannot be combined with --resume");
    const layer = configFromArgs(f);
    const quiet = f.quiet === true;
    // --quiet keeps the lines that say what was built and what happened to the folder.
    const print = (l: string) => {
      if (!quiet || l.startsWith("built:") || l.startsWith("note:")) console.log(l);
    };
    const stop = onInterrupt({
      message:
        "rldistill distill: interrupted; saving the student and summary (Ctrl-C again to quit at once)",
    });
    let report: string | undefined;
    try {
      const { summary, runDir } = await distill(layer, {
        print,
        signal: stop.signal,
        overwrite: f.overwrite === true,
        resume: f.resume !== undefined,
        command: ["rldistill", "distill", ...argv].join(" "),
        onFinish: async (folder, s) => {
          if (f["no-report"] !== true) report = await writeRunReport(folder, `rldistill distill: ${s.env}`);
        },
      });
      console.log(formatSummary(summary, runDir));
      if (report) console.log(`report:     ${report}`);
      return summary.interrupted ? 130 : 0;
    } finally {
      stop.dispose();
    }
  },
};
