/**
 * `rldistill eval`: evaluates a saved policy (and optionally a teacher beside it) on an env and
 * writes `eval.json` (returns, IQM, CI, success rate, size, FLOPs, latency, agreement, JS, and
 * with --robustness the perturbation suite). A thin shell over `runEval` in src/eval/run.ts.
 */
import { mkdirSync } from "node:fs";
import { ConfigError } from "../core/errors.js";
import { type EvalFile, runEval, writeEvalFile } from "../eval/run.js";
import { loadPolicy, recordedEnvId } from "../nn/checkpoint.js";
import type { PolicySpec } from "../nn/spec.js";
import { type Command, type FlagSpecs, formatFlags, parseArgs } from "./args.js";

const flags: FlagSpecs = {
  model: { type: "string", help: "the policy to evaluate (student, or any saved rldistill model)" },
  teacher: { type: "string", help: "a teacher to compare against (agreement, JS divergence, retention)" },
  env: { type: "string", help: "environment id (default: the env stored in the model)" },
  episodes: { type: "integer", help: "episodes per policy", defaultText: "100" },
  seed: { type: "integer", help: "seed of the evaluation episodes", defaultText: "0" },
  "num-envs": { type: "integer", help: "envs stepped side by side", defaultText: "1" },
  stochastic: { type: "boolean", help: "sample actions instead of taking the greedy/mean action" },
  robustness: { type: "boolean", help: "also run the robustness suite (noise, sticky actions, physics)" },
  "robustness-episodes": { type: "integer", help: "episodes per perturbation strength", defaultText: "10" },
  out: { type: "string", help: "directory to write eval.json into" },
  json: { type: "boolean", help: "print eval.json to stdout instead of a table" },
  help: { type: "boolean", help: "show this help" },
};

function fmt(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "-";
  // Divergences of close policies are tiny: fixed notation would print 0.00000.
  return v !== 0 && Math.abs(v) < 10 ** -digits ? v.toExponential(2) : v.toFixed(digits);
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
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  if (file.similarity) {
    const s = file.similarity;
    lines.push(
      "",
      `${s.student} vs ${s.teacher} on ${s.driver}-driven states: agreement ${fmt(s.agreement, 4)}, JS ${fmt(s.jsDivergence, 5)}`,
    );
  }
  if (file.retention !== null) lines.push(`retention (random = 0, teacher = 1): ${fmt(file.retention, 4)}`);
  if (file.robustness)
    lines.push(`robustness: ${file.robustness.perturbations.length} perturbations in eval.json`);
  return lines.join("\n");
}

export const evalCommand: Command = {
  name: "eval",
  summary: "evaluate a policy (and a teacher beside it): returns, agreement, latency, robustness",
  usage: () =>
    `Usage: rldistill eval --model PATH [--teacher PATH] [--env ID] [--episodes N] [--robustness] [--out DIR]\n\n${formatFlags(flags)}`,
  async run(argv) {
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (f.help) {
      console.log(this.usage());
      return 0;
    }
    if (positionals.length)
      throw new ConfigError("arguments", `unexpected "${positionals.join(" ")}"; use --model PATH`);
    if (typeof f.model !== "string") throw new ConfigError("--model", "required: the path of a saved policy");
    const student = loadPolicy(f.model);
    const teacher = typeof f.teacher === "string" ? loadPolicy(f.teacher) : undefined;
    const env = (f.env as string | undefined) ?? recordedEnvId(student.artifact);
    if (!env) throw new ConfigError("--env", "required: the model does not record its environment");
    const policies: Record<string, PolicySpec> = teacher
      ? { teacher: teacher.spec, student: student.spec }
      : { model: student.spec };
    const file = runEval({
      env,
      policies,
      episodes: (f.episodes as number | undefined) ?? 100,
      seed: (f.seed as number | undefined) ?? 0,
      numEnvs: f["num-envs"] as number | undefined,
      deterministic: !f.stochastic,
      robustness: f.robustness ? { episodes: (f["robustness-episodes"] as number | undefined) ?? 10 } : false,
    });
    if (typeof f.out === "string") {
      mkdirSync(f.out, { recursive: true });
      const path = writeEvalFile(f.out, file);
      if (!f.json) console.log(`wrote ${path}`);
    }
    console.log(f.json ? JSON.stringify(file, null, 2) : formatEvalTable(file));
    return 0;
  },
};
