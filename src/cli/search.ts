/**
 * `rldistill search`: the smallest student that meets a target, a thin shell over `search()`
 * (src/search/search.ts). Trials run in local worker threads (`--workers N`, the default) or on a
 * BullMQ queue (`--queue redis://HOST:PORT`, run `rldistill worker --queue ...` anywhere).
 * Ctrl-C stops at once and keeps every finished trial; `--resume DIR` continues.
 */
import { join } from "node:path";
import { describeSchema, parseAssignment } from "../core/config.js";
import { ConfigError } from "../core/errors.js";
import { onInterrupt } from "../core/interrupt.js";
import { parseDistillAssignment } from "../distill/config.js";
import { SEARCH_SCHEMA, type SearchConfig } from "../search/config.js";
import { OBJECTIVES } from "../search/space.js";
import { alignRows, type Command, type FlagSpecs, formatFlags, parseArgs } from "./args.js";
import { engineFromFlags } from "./engine-flags.js";

const flags: FlagSpecs = {
  teacher: { type: "string", help: "teacher checkpoint (.rldistill) or ONNX file" },
  env: { type: "string", help: "env id, e.g. CartPole-v1" },
  objective: { type: "string", choices: OBJECTIVES, help: "size to minimise", defaultText: "params" },
  target: {
    type: "string",
    help: "e.g. retention=0.99,agreement=0.97",
    defaultText: "per env (presets/search.json)",
  },
  seed: { type: "integer", help: "seed of sampling and trials", defaultText: "0" },
  out: { type: "string", help: "run folder", defaultText: "runs/search-<env>-s<seed>" },
  resume: { type: "string", help: "continue the search in this folder (its search.json gives the config)" },
  workers: {
    type: "integer",
    help: "local worker threads running trials (0 = this thread)",
    defaultText: "1",
  },
  queue: { type: "string", help: "redis://HOST:PORT: put trials on a BullMQ queue for `rldistill worker`" },
  "queue-name": { type: "string", help: "BullMQ queue name", defaultText: "rldistill-trials" },
  "max-steps": {
    type: "integer",
    help: "full distillation budget of a trial",
    defaultText: "distill preset",
  },
  "min-steps": { type: "integer", help: "smallest trial budget", defaultText: "max-steps / eta^3" },
  set: { type: "string", repeat: true, help: "any search field, key=value (see below)" },
  "distill-set": {
    type: "string",
    repeat: true,
    help: "a distill config field for every trial, key=value (e.g. method=ppo)",
  },
  module: {
    type: "string",
    repeat: true,
    help: "ES module to import first, here and in worker threads (custom env registrations)",
  },
  quiet: { type: "boolean", help: "print only the result" },
  "no-report": { type: "boolean", help: "do not write report.html / report.md" },
  help: { type: "boolean", help: "show this help" },
};

export function searchConfigFromArgs(f: Record<string, unknown>): Partial<SearchConfig> {
  const layer: Record<string, unknown> = {};
  for (const key of ["teacher", "env", "objective", "target", "seed", "out"] as const)
    if (f[key] !== undefined) layer[key] = f[key];
  if (f["max-steps"] !== undefined) layer.maxSteps = f["max-steps"];
  if (f["min-steps"] !== undefined) layer.minSteps = f["min-steps"];
  for (const a of (f.set as string[] | undefined) ?? []) {
    const [k, v] = parseAssignment(SEARCH_SCHEMA, a, "search");
    layer[k] = v;
  }
  const distill: Record<string, unknown> = {};
  for (const a of (f["distill-set"] as string[] | undefined) ?? []) {
    const [k, v] = parseDistillAssignment(a);
    distill[k] = v;
  }
  layer.distill = distill;
  return layer as Partial<SearchConfig>;
}

export const searchCommand: Command = {
  name: "search",
  summary: "find the smallest student that meets a target (Hyperband over architectures, workers or a queue)",
  usage: () =>
    [
      "Usage: rldistill search --teacher PATH --env ID [--objective params|bytes|latency] [--target retention=0.99,agreement=0.97] [flags]",
      "       rldistill search --resume DIR [--workers N | --queue redis://HOST:PORT]",
      "",
      "Samples student architectures (depth, widths, activation, float32 or int8) and runs Hyperband over the",
      "distillation budget; the smallest full-budget student that meets the target is confirmed with fresh seeds",
      "and more episodes. Writes a run folder: every trial under trials/, summary.json, the winning",
      "student.rldistill and report.html (Pareto fronts of size against retention and agreement).",
      "",
      formatFlags(flags),
      "",
      "Search fields (--set key=value):",
      describeSchema(SEARCH_SCHEMA),
    ].join("\n"),
  async run(argv) {
    const { flags: f, positionals } = parseArgs(argv, flags);
    if (f.help) {
      console.log(this.usage());
      return 0;
    }
    if (positionals.length)
      throw new ConfigError("search", `unexpected argument "${positionals[0]}"; flags start with --`);
    const resume = f.resume !== undefined;
    const layer = resume ? { out: String(f.resume) } : searchConfigFromArgs(f);
    const engine = await engineFromFlags(f);
    const print = f.quiet ? () => {} : (l: string) => console.log(l);
    const { search } = await import("../search/search.js");
    // Loaded with the command, not after a Ctrl-C (a module imported after SIGINT can lose tsx's esbuild).
    const { writeReport } = await import("../report/write.js");
    const abort = onInterrupt({
      message: "interrupted: stopping and saving (Ctrl-C again to quit at once)...",
    });
    try {
      const { summary, runDir } = await search(layer, { engine, resume, print, signal: abort.signal });
      if (summary.interrupted) {
        console.error(
          `interrupted: ${summary.trials.length} finished trials kept; continue with rldistill search --resume ${runDir}`,
        );
        return 130;
      }
      const w = summary.winner;
      const rows = [["", "id", "params", "bytes", "share", "retention", "agreement"]];
      if (w)
        rows.push([
          "winner",
          w.id,
          String(w.params),
          String(w.bytes),
          `1/${Math.round(1 / w.share)}`,
          w.retention?.toFixed(3) ?? "-",
          w.agreement === null ? "-" : `${(100 * w.agreement).toFixed(1)}%`,
        ]);
      rows.push(["teacher", "", String(summary.teacher.params), "", "1", "1", ""]);
      console.log(alignRows(rows).join("\n"));
      console.log(
        `${summary.trials.length} trials (${summary.executed} run now, ${summary.reused} from the folder), ${summary.wall_seconds.toFixed(1)} s on ${summary.engine}`,
      );
      if (!w) console.log(`no student met ${summary.target}`);
      console.log(`run folder: ${runDir}`);
      if (f["no-report"] !== true) {
        const { html } = writeReport([runDir], join(runDir, "report.html"), {
          title: `rldistill search: ${summary.env}`,
        });
        console.log(`report:     ${html}`);
      }
      return w ? 0 : 1;
    } finally {
      abort.dispose();
      await engine.close();
    }
  },
};
