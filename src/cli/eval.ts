/**
 * `rldistill eval`: evaluates a saved policy (and optionally a teacher beside it) on an env and
 * writes `eval.json` (returns, IQM, CI, success rate, size, FLOPs, latency, agreement, JS, and
 * with --robustness the perturbation suite), and the latency of each inference path (Float32Array
 * forward, tfjs, onnxruntime) at batch 1 and 64 unless --no-latency-paths. A thin shell over
 * `runEvalAsync` in src/eval/run.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkPolicyFitsEnv, type RecordedSpaces } from "../core/compat.js";
import { ConfigError } from "../core/errors.js";
import { onInterrupt } from "../core/interrupt.js";
import { openRunFolder } from "../core/run-dir.js";
import { make, prepareEnv } from "../envs/registry.js";
import { describeNetwork } from "../eval/describe.js";
import { writePolicyVideos } from "../eval/record.js";
import { type EvalFile, runEvalAsync } from "../eval/run.js";
import { formatCI95 } from "../eval/stats.js";
import { loadPolicy, MAGIC, recordedEnvId } from "../nn/checkpoint.js";
import { compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
import { alignRows, type Command, type FlagSpecs, formatFlags, parseArgs, wantsHelp } from "./args.js";
import { readAnyModel } from "./import.js";

const flags: FlagSpecs = {
  model: {
    type: "string",
    help: "the policy to evaluate: an rldistill checkpoint, an ONNX model, an SB3 .zip (see rldistill import)",
  },
  teacher: { type: "string", help: "a teacher to compare against (agreement, JS divergence, retention)" },
  env: { type: "string", help: "environment id (default: the env stored in the model)" },
  episodes: { type: "integer", help: "episodes per policy", defaultText: "100" },
  seed: { type: "integer", help: "seed of the evaluation episodes", defaultText: "0" },
  "num-envs": { type: "integer", help: "envs stepped side by side", defaultText: "1" },
  stochastic: { type: "boolean", help: "sample actions instead of taking the greedy/mean action" },
  robustness: { type: "boolean", help: "also run the robustness suite (noise, sticky actions, physics)" },
  "robustness-episodes": { type: "integer", help: "episodes per perturbation strength", defaultText: "10" },
  "no-latency-paths": {
    type: "boolean",
    help: "skip timing each inference path (float32 forward, tfjs, onnxruntime) at batch 1 and 64",
  },
  "latency-warmup": {
    type: "integer",
    help: "untimed calls before each latency measurement",
    defaultText: "100",
  },
  "latency-iterations": {
    type: "integer",
    help: "timed calls per latency measurement (inference paths: fewer if 2 s run out)",
    defaultText: "1000",
  },
  out: {
    type: "string",
    help: "folder to write eval.json into (e.g. the student's run folder; locked while writing; its run must be on the same env)",
  },
  video: {
    type: "boolean",
    help: "also write one greedy episode of each policy as teacher.gif / student.gif (or model.gif) into --out, from the evaluation's first start",
  },
  "no-video": { type: "boolean", help: "write no GIFs (the default; the same flag as distill's)" },
  json: { type: "boolean", help: "print eval.json to stdout instead of a table" },
  help: { type: "boolean", help: "show this help (-h)" },
};

function fmt(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "-";
  // Divergences of close policies are tiny: fixed notation would print 0.00000.
  return v !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(2) : v.toFixed(digits);
}

/** Policy x inference path x batch: latency per call and per sample, or why a path was skipped. */
function formatInference(file: EvalFile): string[] {
  const rows: string[][] = [["policy", "path", "batch", "p50 us", "p99 us", "mean us/sample"]];
  for (const [name, p] of Object.entries(file.policies)) {
    for (const path of p.inference?.paths ?? []) {
      if (path.skipped !== undefined) rows.push([name, path.path, "-", "skipped", "", ""]);
      const label = path.backend ? `${path.path} (${path.backend})` : path.path;
      for (const l of path.latency)
        rows.push([name, label, String(l.batch), fmt(l.p50Us, 1), fmt(l.p99Us, 1), fmt(l.perSampleUs, 2)]);
    }
  }
  if (rows.length === 1) return [];
  const lines = ["", ...alignRows(rows)];
  for (const [name, p] of Object.entries(file.policies)) {
    if (p.inference?.maxAbsDiff != null)
      lines.push(
        `${name}: outputs of the paths agree to ${fmt(p.inference.maxAbsDiff, 2)} (batch ${p.inference.checkBatch})`,
      );
    for (const path of p.inference?.paths ?? [])
      if (path.skipped !== undefined) lines.push(`${name}: ${path.path} skipped: ${path.skipped}`);
  }
  return lines;
}

/** A compact table of eval.json for terminals. */
export function formatEvalTable(file: EvalFile): string {
  const rows: string[][] = [["policy", "return", "IQM", "95% CI", "success", "params", "p50 us"]];
  for (const [name, p] of Object.entries(file.policies)) {
    const e = p.eval;
    rows.push([
      name,
      `${fmt(e.meanReturn)} +- ${fmt(e.stdReturn)}`,
      fmt(e.iqm),
      `[${fmt(e.ci95[0])}, ${fmt(e.ci95[1])}]`,
      e.successRate === null ? "-" : `${(e.successRate * 100).toFixed(0)}%`,
      p.efficiency ? String(p.efficiency.params) : "-",
      p.latency ? fmt(p.latency.p50Us, 1) : "-",
    ]);
  }
  if (file.random)
    rows.push([
      "random",
      `${fmt(file.random.meanReturn)} +- ${fmt(file.random.stdReturn)}`,
      "",
      "",
      "",
      "",
      "",
    ]);
  const lines = alignRows(rows);
  lines.push(...formatInference(file));
  if (file.similarity) {
    const s = file.similarity;
    lines.push(
      "",
      `${s.student} vs ${s.teacher} on ${s.driver}-driven states: agreement ${fmt(s.agreement, 4)}, JS ${fmt(s.jsDivergence, 5)}`,
    );
  }
  if (file.retention !== null)
    lines.push(
      `retention (random = 0, teacher = 1): ${fmt(file.retention, 4)}${formatCI95(file.retentionCI95)}`,
    );
  if (file.robustness)
    lines.push(`robustness: ${file.robustness.perturbations.length} perturbations in eval.json`);
  return lines.join("\n");
}

/** A checkpoint (with the env and spaces it records), or any model `rldistill import` reads (ONNX, SB3 .zip). */
function loadModel(
  path: string,
  field: string,
): { spec: PolicySpec; env?: string; meta: Record<string, unknown> } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(field, `cannot read ${path}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
  }
  if (bytes.subarray(0, MAGIC.length).toString("latin1") === MAGIC) {
    const loaded = loadPolicy(path);
    return { spec: loaded.spec, env: recordedEnvId(loaded.artifact), meta: loaded.meta };
  }
  return { spec: readAnyModel(path).spec, meta: {} };
}

/** The env a run folder's config.json or summary.json names, if any. */
function folderEnv(dir: string): string | undefined {
  for (const name of ["config.json", "summary.json"]) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    try {
      const env = (JSON.parse(readFileSync(path, "utf8")) as { env?: unknown }).env;
      if (typeof env === "string") return env;
    } catch {
      // An unreadable file says nothing about the env.
    }
  }
  return undefined;
}

function usage(): string {
  return [
    "Usage: rldistill eval --model PATH [--teacher PATH] [--env ID] [--episodes N] [--robustness] [--no-latency-paths] [--out DIR [--video | --no-video]]",
    "",
    "The model (and teacher) are checked against the env's spaces before any episode. Ctrl-C stops",
    "within a second; with --out, eval.json then holds what was measured, marked interrupted.",
    "",
    formatFlags(flags),
  ].join("\n");
}

export const evalCommand: Command = {
  name: "eval",
  summary: "evaluate a policy (and a teacher beside it): returns, agreement, latency, robustness",
  usage,
  async run(argv) {
    if (wantsHelp(argv)) {
      console.log(usage());
      return 0;
    }
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (positionals.length)
      throw new ConfigError("arguments", `unexpected "${positionals.join(" ")}"; use --model PATH`);
    if (typeof f.model !== "string") throw new ConfigError("--model", "required: the path of a saved policy");
    if (f.video && f["no-video"])
      throw new ConfigError("--no-video", "contradicts --video: give one of them");
    if (f.video && typeof f.out !== "string")
      throw new ConfigError("--video", "needs --out DIR: the GIFs are written into that folder");
    const student = loadModel(f.model, "--model");
    const teacher = typeof f.teacher === "string" ? loadModel(f.teacher, "--teacher") : undefined;
    const env = (f.env as string | undefined) ?? student.env ?? teacher?.env;
    if (!env) throw new ConfigError("--env", "required: the model does not record its environment");
    // Validate everything before any work: both policies against the env's spaces, the output folder.
    await prepareEnv(env); // engines that load asynchronously (MuJoCo) before the first make()
    const probe = make(env);
    try {
      checkPolicyFitsEnv(student.spec, probe, `--model ${f.model}`, student.meta as RecordedSpaces);
      if (teacher)
        checkPolicyFitsEnv(
          teacher.spec,
          probe,
          `--teacher ${String(f.teacher)}`,
          teacher.meta as RecordedSpaces,
        );
    } finally {
      probe.close();
    }
    const out = typeof f.out === "string" ? f.out : undefined;
    if (out !== undefined) {
      const runEnv = existsSync(out) ? folderEnv(out) : undefined;
      if (runEnv !== undefined && runEnv !== env)
        throw new ConfigError(
          "--out",
          `${out} holds a run on ${runEnv}; an eval on ${env} there would contradict it (choose another folder)`,
        );
    }
    const policies: Record<string, PolicySpec> = teacher
      ? { teacher: teacher.spec, student: student.spec }
      : { model: student.spec };
    const timing = {
      warmup: (f["latency-warmup"] as number | undefined) ?? 100,
      iterations: (f["latency-iterations"] as number | undefined) ?? 1000,
    };
    const folder =
      out !== undefined
        ? openRunFolder(out, { mode: "add", command: ["rldistill", "eval", ...argv].join(" ") })
        : undefined;
    const stop = onInterrupt({
      message: "rldistill eval: interrupted; keeping what was measured (Ctrl-C again to quit at once)",
    });
    let file: EvalFile;
    try {
      for (const n of folder?.notes ?? []) console.log(`note: ${n}`);
      if (!f.json) {
        const weights = student.meta.weights === "int8" ? "int8 weights" : "float32 weights";
        console.log(`evaluating ${f.model} (${describeNetwork(student.spec)}, ${weights}) on ${env}`);
      }
      file = await runEvalAsync({
        env,
        policies,
        episodes: (f.episodes as number | undefined) ?? 100,
        seed: (f.seed as number | undefined) ?? 0,
        numEnvs: f["num-envs"] as number | undefined,
        deterministic: !f.stochastic,
        latency: timing,
        latencyPaths: f["no-latency-paths"] ? false : timing,
        robustness: f.robustness
          ? { episodes: (f["robustness-episodes"] as number | undefined) ?? 10 }
          : false,
        signal: stop.signal,
      });
      if (folder) {
        folder.writeJson("eval.json", file);
        if (!f.json) console.log(`wrote ${folder.path("eval.json")}`);
      }
      if (folder && f.video && !file.interrupted) {
        const compiled = Object.fromEntries(
          Object.entries(policies).map(([n, spec]) => [n, compileSpec(spec)]),
        );
        const v = writePolicyVideos(compiled, env, folder.dir, { seed: file.seed });
        const gifs = Object.values(v.videos).map((g) => `${folder.path(g.file)} (${g.bytes} bytes)`);
        if (!f.json) console.log(v.skipped ?? `wrote ${gifs.join(", ")}`);
      }
    } finally {
      stop.dispose();
      folder?.release();
    }
    console.log(f.json ? JSON.stringify(file, null, 2) : formatEvalTable(file));
    if (file.interrupted) {
      console.log("interrupted: the figures above are those measured before Ctrl-C");
      return 130;
    }
    return 0;
  },
};
