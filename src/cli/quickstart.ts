/**
 * `rldistill quickstart`: distils the shipped CartPole-v1 PPO teacher (models/) into a tiny
 * student with the CartPole preset, then prints teacher vs student (parameters, return,
 * agreement, latency) and where the run folder and report are. Under a minute on 2 cores.
 * `--env MinAtar/Breakout-v1` does the same with the shipped Breakout CNN teacher and a small
 * conv student, in a few minutes.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../core/errors.js";
import { onInterrupt } from "../core/interrupt.js";
import type { Policy } from "../core/policy.js";
import type { AnySpace } from "../core/spaces.js";
import { distill } from "../distill/distill.js";
import { type Teacher, teacherPolicy } from "../distill/teacher.js";
import { loadTeacher } from "../distill/teachers/load.js";
import { SpecTeacher } from "../distill/teachers/spec-teacher.js";
import { make } from "../envs/registry.js";
import { measureActLatencies } from "../eval/latency.js";
import { collectStates } from "../eval/similarity.js";
import { compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs, wantsHelp } from "./args.js";
import { writeRunReport } from "./common.js";
import { formatSummary, parseStudent } from "./distill.js";

/** What the quickstart runs on CartPole-v1 (the default), written once. */
export const QUICKSTART = {
  student: [16],
  steps: 20_000,
  seed: 0,
  out: "runs/quickstart",
} as const;

interface QuickstartSetup {
  /** A models/ file whose name contains every one of these words. */
  teacherWords: readonly string[];
  student: string;
  steps: number;
  out: string;
  /** Further config fields (the env's distill preset applies too). */
  extra?: Record<string, unknown>;
  /** How long it takes on 2 cores, for --help. */
  duration: string;
}

/** The quickstart of each env that has a shipped teacher for it. */
export const QUICKSTARTS: Record<string, QuickstartSetup> = {
  "CartPole-v1": {
    teacherWords: ["cartpole", "ppo"],
    student: QUICKSTART.student.join(","),
    steps: QUICKSTART.steps,
    out: QUICKSTART.out,
    duration: "under a minute",
  },
  "MinAtar/Breakout-v1": {
    teacherWords: ["minatar", "breakout"],
    student: "conv8x3,fc32",
    steps: 60_000,
    out: "runs/quickstart-breakout",
    extra: { studentActivation: "relu" },
    duration: "a few minutes",
  },
};

const flags: FlagSpecs = {
  out: { type: "string", help: "run folder", defaultText: "runs/quickstart, runs/quickstart-breakout" },
  seed: { type: "integer", help: "seed", defaultText: String(QUICKSTART.seed) },
  env: {
    type: "string",
    choices: Object.keys(QUICKSTARTS),
    help: "env whose shipped teacher (models/) to distil",
    defaultText: "CartPole-v1",
  },
  student: {
    type: "string",
    help: "student architecture (e.g. 32,32 or conv8x3,fc32)",
    defaultText: Object.entries(QUICKSTARTS)
      .map(([env, q]) => `${q.student} on ${env}`)
      .join(", "),
  },
  timesteps: {
    type: "integer",
    aliases: ["steps"],
    help: "environment steps (the step budget)",
    defaultText: "per env, see above",
  },
  overwrite: { type: "boolean", help: "replace an earlier run in --out (else the folder is refused)" },
  teacher: { type: "string", help: "teacher file (default: the env's shipped teacher in models/)" },
  quiet: { type: "boolean", help: "print only the final table" },
  help: { type: "boolean", help: "show this help (-h)" },
};

/** The package's models/ folder (beside src/ and dist/). */
export function modelsDir(): string {
  return fileURLToPath(new URL("../../models/", import.meta.url));
}

/** The shipped teacher of a quickstart env: the models/ file whose name contains all its words. */
export function shippedTeacher(env: string, dir = modelsDir()): string {
  const words = QUICKSTARTS[env]?.teacherWords;
  if (!words)
    throw new ConfigError(
      "--env",
      `no quickstart for ${env}; allowed: ${Object.keys(QUICKSTARTS).join(", ")}`,
    );
  const files = existsSync(dir) ? readdirSync(dir) : [];
  const hit = files
    .filter((f) => words.every((w) => f.toLowerCase().includes(w)) && /\.rldistill$/i.test(f))
    .sort()[0];
  if (!hit) {
    throw new ConfigError(
      "teacher",
      `no shipped ${env} teacher (*${words.join("*")}*.rldistill) in ${dir}; pass --teacher PATH`,
    );
  }
  return join(dir, hit);
}

/** The shipped CartPole-v1 PPO teacher: a models/ file whose name mentions cartpole and ppo. */
export function shippedCartPoleTeacher(dir = modelsDir()): string {
  return shippedTeacher("CartPole-v1", dir);
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines.join("\n");
}

interface PathLatency {
  teacher?: number;
  student: number;
}

/**
 * p50 latency (us) of one greedy action, batch 1, of teacher and student through the same path,
 * on the same CartPole states, in turns (`measureActLatencies`), on each of two paths:
 * - `act`: the compiled forward of each acting network (`compileSpec`, float64 loops, no critic),
 *   what students act with and what the standalone runtime reproduces;
 * - `simd`: the float32 SIMD kernels that label distillation batches (`SpecTeacher.predictSync`),
 *   each network without its critic.
 * A teacher that is not a PolicySpec (ONNX) has neither path and is left out rather than timed
 * differently.
 */
async function actLatencies(
  envId: string,
  teacherFile: string,
  studentSpec: PolicySpec,
): Promise<{ act: PathLatency; simd: PathLatency }> {
  const env = make(envId);
  const loaded = await loadTeacher(teacherFile, { env });
  const spaces = {
    observationSpace: env.observationSpace as AnySpace,
    actionSpace: env.actionSpace as AnySpace,
  };
  env.close();
  const student = compileSpec(studentSpec);
  const onSimd = (name: string, spec: PolicySpec) =>
    teacherPolicy(new SpecTeacher({ ...spec, valueLayers: undefined }, { name, ...spaces, backend: "simd" }));
  const act: Record<string, Pick<Policy, "act">> = { student };
  const simd: Record<string, Pick<Policy, "act">> = { student: onSimd("student", studentSpec) };
  if (loaded instanceof SpecTeacher) {
    act.teacher = compileSpec(loaded.spec);
    simd.teacher = onSimd("teacher", loaded.spec);
  }
  (loaded as Teacher).dispose?.();
  const states = collectStates(student, envId, { steps: 256, seed: 0 });
  const time = (policies: Record<string, Pick<Policy, "act">>): PathLatency => {
    const lat = measureActLatencies(policies, states.obs, states.obsSize, { warmup: 500, iterations: 5000 });
    return { teacher: lat.teacher?.p50Us, student: lat.student!.p50Us };
  };
  return { act: time(act), simd: time(simd) };
}

export const quickstartCommand: Command = {
  name: "quickstart",
  summary:
    "distil the shipped CartPole-v1 PPO teacher into a tiny student (under a minute); --env MinAtar/Breakout-v1 for pixels",
  usage: () =>
    [
      "Usage: rldistill quickstart [--env ID] [--out DIR] [--overwrite] [--seed S]",
      "",
      "A second quickstart into the same --out needs --overwrite. Ctrl-C stops within a second and saves the student.",
      "",
      ...Object.entries(QUICKSTARTS).flatMap(([env, q]) => [
        `--env ${env}${env === "CartPole-v1" ? " (default)" : ""}: distils the shipped teacher (models/*${q.teacherWords.join("*")}*) into a`,
        `${q.student} student over ${q.steps} environment steps (${q.duration} on 2 cores) and compares them. Same as:`,
        `  rldistill distill --teacher models/<${q.teacherWords.join(" ")}> --env ${env} --student ${q.student} --timesteps ${q.steps}` +
          Object.entries(q.extra ?? {})
            .map(([k, v]) => ` --set ${k}=${v}`)
            .join(""),
        "",
      ]),
      formatFlags(flags),
    ].join("\n"),
  async run(argv) {
    if (wantsHelp(argv)) {
      console.log(this.usage());
      return 0;
    }
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (positionals.length)
      throw new ConfigError("quickstart", `unexpected argument "${positionals[0]}"; flags start with --`);
    const envId = (f.env as string | undefined) ?? "CartPole-v1";
    const setup = QUICKSTARTS[envId]!;
    const teacherFile = (f.teacher as string | undefined) ?? shippedTeacher(envId);
    const student = parseStudent(f.student !== undefined ? String(f.student) : setup.student);
    const quiet = f.quiet === true;
    const print = (l: string) => {
      if (!quiet || l.startsWith("built:") || l.startsWith("note:")) console.log(l);
    };
    const stop = onInterrupt({
      message:
        "rldistill quickstart: interrupted; saving the student and summary (Ctrl-C again to quit at once)",
    });
    let report: string | undefined;
    let result: Awaited<ReturnType<typeof distill>>;
    try {
      result = await distill(
        {
          ...setup.extra,
          teachers: [teacherFile],
          env: envId,
          ...student,
          steps: (f.timesteps as number | undefined) ?? setup.steps,
          seed: (f.seed as number | undefined) ?? QUICKSTART.seed,
          out: (f.out as string | undefined) ?? setup.out,
        },
        {
          print,
          signal: stop.signal,
          overwrite: f.overwrite === true,
          command: ["rldistill", "quickstart", ...argv].join(" "),
          onFinish: async (folder) => {
            try {
              report = await writeRunReport(folder, "rldistill quickstart");
            } catch (err) {
              report = `not written (${(err as Error).message})`;
            }
          },
        },
      );
    } finally {
      stop.dispose();
    }
    const { summary: s, runDir, studentSpec } = result;
    if (s.interrupted || !s.student.eval) {
      console.log(formatSummary(s, runDir));
      if (report) console.log(`report:     ${report}`);
      return 130;
    }
    const studentEval = s.student.eval;
    const lat = await actLatencies(envId, teacherFile, studentSpec);
    const ret = (e: { mean_return: number; std_return: number }) =>
      `${e.mean_return.toFixed(1)} +- ${e.std_return.toFixed(1)}`;
    console.log(
      formatTable([
        ["", "teacher", "student"],
        ["parameters", String(s.teacher.params), String(s.student.params)],
        ["return", ret(s.teacher.eval), ret(studentEval)],
        ["agreement", "", s.agreement === null ? "-" : `${(100 * s.agreement).toFixed(1)}%`],
        ["latency p50 (us), act", lat.act.teacher?.toFixed(2) ?? "-", lat.act.student.toFixed(2)],
        ["latency p50 (us), simd", lat.simd.teacher?.toFixed(2) ?? "-", lat.simd.student.toFixed(2)],
      ]),
    );
    console.log(
      lat.act.teacher === undefined
        ? "\nlatency: the student's greedy action at batch 1 (the teacher is not a PolicySpec, so not timed the same way)"
        : "\nlatency: one greedy action at batch 1, each row the same path for both networks (no critic):\n" +
            "  act  = compileSpec, the float64 forward students act with (and the standalone runtime reproduces)\n" +
            "  simd = the float32 SIMD kernels that label distillation batches (SpecTeacher.predictSync)",
    );
    console.log(
      `\nretention ${s.retention?.toFixed(3) ?? "-"}, ${s.checkpoints.length} checkpoints, ${s.wall_seconds.toFixed(1)} s`,
    );
    console.log(`run folder: ${runDir}`);
    if (report) console.log(`report:     ${report}`);
    return 0;
  },
};
