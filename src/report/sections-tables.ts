/**
 * The table sections of a report: runs overview, teacher vs student cost and quality (with the
 * latency of each inference path when eval.json has it) and evaluation details (the resolved
 * config is sections-config.ts).
 */
import { fmt, fmtBytes, fmtMeanStd, fmtPct, fmtSI, MISSING } from "./format.js";
import { at, isObject, type JsonObject, num, type RunData } from "./load.js";
import type { Block, Section, Table } from "./model.js";

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function envOf(run: RunData): string | undefined {
  return str(run.summary["env"]) ?? str(at(run.config, "env")) ?? str(at(run.evalFile, "env"));
}

/** Policies recorded in eval.json, in file order. */
function evalPolicies(run: RunData): [string, JsonObject][] {
  const p = at(run.evalFile, "policies");
  return isObject(p) ? Object.entries(p).filter((e): e is [string, JsonObject] => isObject(e[1])) : [];
}

function headline(run: RunData): { mean?: number; std?: number; params?: number } {
  const s = run.summary;
  if (run.kind === "distill") {
    return {
      mean: num(at(s, "student", "eval", "mean_return")),
      std: num(at(s, "student", "eval", "std_return")),
      params: num(at(s, "student", "params")),
    };
  }
  const first = evalPolicies(run)[0]?.[1];
  return {
    mean: num(at(s, "eval", "mean_return")) ?? num(at(first, "eval", "meanReturn")),
    std: num(at(s, "eval", "std_return")) ?? num(at(first, "eval", "stdReturn")),
    params: num(s["params"]) ?? num(at(first, "efficiency", "params")),
  };
}

function table(columns: [string, boolean][], rows: string[][], caption?: string): Table {
  return { caption, columns: columns.map((c) => c[0]), numeric: columns.map((c) => c[1]), rows };
}

export function overviewSection(runs: RunData[]): Section {
  const rows = runs.map((run) => {
    const s = run.summary;
    const h = headline(run);
    // train writes algo/timesteps/wall_s, distill writes method/steps/wall_seconds.
    const method = str(s["method"]) ?? str(at(run.config, "method"));
    const algo = str(s["algo"]) ?? str(at(run.config, "algo"));
    return [
      run.name,
      s["interrupted"] === true ? `${run.kind} (interrupted)` : run.kind,
      envOf(run) ?? MISSING,
      algo ?? (run.kind === "distill" ? `distill${method ? ` (${method})` : ""}` : MISSING),
      fmt(
        num(s["timesteps"]) ??
          num(s["steps"]) ??
          num(at(run.config, "timesteps")) ??
          num(at(run.config, "steps")),
      ),
      fmt(num(s["seed"]) ?? num(at(run.config, "seed"))),
      fmtMeanStd(h.mean, h.std),
      fmt(h.params),
      fmt(num(s["sps"])),
      fmt(num(s["wall_s"]) ?? num(s["wall_seconds"])),
    ];
  });
  const blocks: Block[] = [
    {
      kind: "table",
      table: table(
        [
          ["Run", false],
          ["Kind", false],
          ["Env", false],
          ["Algo", false],
          ["Steps", true],
          ["Seed", true],
          ["Return", true],
          ["Params", true],
          ["SPS", true],
          ["Wall (s)", true],
        ],
        rows,
      ),
    },
  ];
  const distill = runs.filter((r) => r.kind === "distill");
  if (distill.length) {
    const drows = distill.map((run) => {
      const s = run.summary;
      const tp = num(at(s, "teacher", "params"));
      const sp = num(at(s, "student", "params"));
      return [
        run.name,
        fmtMeanStd(num(at(s, "teacher", "eval", "mean_return")), num(at(s, "teacher", "eval", "std_return"))),
        fmtMeanStd(num(at(s, "student", "eval", "mean_return")), num(at(s, "student", "eval", "std_return"))),
        fmtMeanStd(num(at(s, "random", "eval", "mean_return")), num(at(s, "random", "eval", "std_return"))),
        fmtPct(num(s["retention"])),
        fmtPct(num(s["agreement"])),
        fmt(num(s["js_divergence"])),
        fmt(tp),
        fmt(sp),
        tp && sp !== undefined ? fmtPct(sp / tp) : MISSING,
      ];
    });
    blocks.push({
      kind: "table",
      table: table(
        [
          ["Run", false],
          ["Teacher return", true],
          ["Student return", true],
          ["Random return", true],
          ["Retention", true],
          ["Agreement", true],
          ["JS div.", true],
          ["Teacher params", true],
          ["Student params", true],
          ["Student / teacher", true],
        ],
        drows,
        "Distillation",
      ),
    });
  }
  return { id: "overview", title: "Runs", blocks };
}

interface PolicyRow {
  params?: number;
  flops?: number;
  bytes32?: number;
  bytes8?: number;
  p50?: number;
  p99?: number;
  mean?: number;
  std?: number;
  agreement?: number;
  js?: number;
}

/** Per policy of a run, merged from the distill summary and eval.json (eval.json wins). */
function policyRows(run: RunData): Map<string, PolicyRow> {
  const rows = new Map<string, PolicyRow>();
  const put = (name: string, row: PolicyRow): void => {
    const old = rows.get(name) ?? {};
    const merged: PolicyRow = { ...old };
    for (const [k, v] of Object.entries(row)) if (v !== undefined) merged[k as keyof PolicyRow] = v;
    rows.set(name, merged);
  };
  if (run.kind === "distill") {
    for (const role of ["teacher", "student"] as const) {
      const s = run.summary[role];
      // headline.json: measured at the end of the distill run (same act() path for both).
      const h = at(run.headline, role);
      put(role, {
        params: num(at(s, "params")),
        flops: num(at(s, "flops")) ?? num(at(h, "flops_per_action")),
        bytes32: num(at(h, "bytes_float32")),
        bytes8: num(at(h, "bytes_int8")),
        p50: num(at(h, "p50_us")),
        p99: num(at(h, "p99_us")),
        mean: num(at(s, "eval", "mean_return")),
        std: num(at(s, "eval", "std_return")),
      });
    }
    put("student", { agreement: num(run.summary["agreement"]), js: num(run.summary["js_divergence"]) });
  }
  for (const [name, p] of evalPolicies(run)) {
    put(name, {
      params: num(at(p, "efficiency", "params")),
      flops: num(at(p, "efficiency", "flopsPerAction")),
      bytes32: num(at(p, "efficiency", "bytesFloat32")),
      bytes8: num(at(p, "efficiency", "bytesInt8")),
      p50: num(at(p, "latency", "p50Us")),
      p99: num(at(p, "latency", "p99Us")),
      mean: num(at(p, "eval", "meanReturn")),
      std: num(at(p, "eval", "stdReturn")),
    });
  }
  const sim = at(run.evalFile, "similarity");
  if (isObject(sim)) {
    put(str(sim["student"]) ?? "student", { agreement: num(sim["agreement"]), js: num(sim["jsDivergence"]) });
  }
  return rows;
}

/** One measured (or skipped) inference path of one policy, as eval.json's `inference.paths[i]`. */
interface PathTiming {
  skipped?: string;
  backend?: string;
  /** By batch size. */
  latency: Map<number, { p50?: number; p99?: number; perSample?: number }>;
}

function inferenceOf(p: JsonObject): { paths: Map<string, PathTiming>; maxAbsDiff?: number; check?: number } {
  const paths = new Map<string, PathTiming>();
  const list = at(p, "inference", "paths");
  for (const entry of Array.isArray(list) ? list : []) {
    const name = str(at(entry, "path"));
    if (!name) continue;
    const latency = new Map<number, { p50?: number; p99?: number; perSample?: number }>();
    const lats = at(entry, "latency");
    for (const l of Array.isArray(lats) ? lats : []) {
      const batch = num(at(l, "batch"));
      if (batch === undefined) continue;
      latency.set(batch, {
        p50: num(at(l, "p50Us")),
        p99: num(at(l, "p99Us")),
        perSample: num(at(l, "perSampleUs")),
      });
    }
    paths.set(name, { skipped: str(at(entry, "skipped")), backend: str(at(entry, "backend")), latency });
  }
  return {
    paths,
    maxAbsDiff: num(at(p, "inference", "maxAbsDiff")),
    check: num(at(p, "inference", "checkBatch")),
  };
}

/**
 * Per run with `inference` in eval.json: rows of path x batch, columns of p50 / p99 / mean per
 * sample for each policy side by side (teacher and student in file order).
 */
function inferenceBlocks(run: RunData): Block[] {
  const policies = evalPolicies(run)
    .map(([name, p]) => [name, inferenceOf(p)] as const)
    .filter(([, inf]) => inf.paths.size > 0);
  if (!policies.length) return [];
  const pathNames = [...new Set(policies.flatMap(([, inf]) => [...inf.paths.keys()]))];
  const rows: string[][] = [];
  for (const path of pathNames) {
    const batches = [
      ...new Set(policies.flatMap(([, inf]) => [...(inf.paths.get(path)?.latency.keys() ?? [])])),
    ].sort((a, b) => a - b);
    const backend = policies.map(([, inf]) => inf.paths.get(path)?.backend).find((b) => b !== undefined);
    const label = backend ? `${path} (${backend})` : path;
    if (!batches.length) {
      rows.push([label, MISSING, ...policies.flatMap(() => ["skipped", MISSING, MISSING])]);
      continue;
    }
    for (const batch of batches) {
      rows.push([
        label,
        fmt(batch),
        ...policies.flatMap(([, inf]) => {
          const t = inf.paths.get(path);
          const l = t?.latency.get(batch);
          if (!l) return [t?.skipped !== undefined ? "skipped" : MISSING, MISSING, MISSING];
          return [fmt(l.p50), fmt(l.p99), fmt(l.perSample)];
        }),
      ]);
    }
  }
  const cols: [string, boolean][] = [
    ["Path", false],
    ["Batch", true],
    ...policies.flatMap(([name]): [string, boolean][] => [
      [`${name} p50 (µs)`, true],
      [`${name} p99 (µs)`, true],
      [`${name} µs / sample`, true],
    ]),
  ];
  const blocks: Block[] = [{ kind: "table", table: table(cols, rows, `Inference latency: ${run.name}`) }];
  const notes: string[] = [];
  for (const [name, inf] of policies) {
    if (inf.maxAbsDiff !== undefined)
      notes.push(`${name}: outputs of the paths agree to ${fmt(inf.maxAbsDiff)} (batch ${fmt(inf.check)}).`);
    for (const [path, t] of inf.paths) if (t.skipped) notes.push(`${name}: ${path} skipped: ${t.skipped}`);
  }
  blocks.push({
    kind: "note",
    text: `Per call after warm-up; µs / sample is the mean per call divided by the batch. ${notes.join(" ")}`.trim(),
  });
  return blocks;
}

export function policiesSection(runs: RunData[]): Section | null {
  const rows: string[][] = [];
  for (const run of runs) {
    if (run.kind !== "distill" && !run.evalFile) continue;
    for (const [name, p] of policyRows(run)) {
      rows.push([
        run.name,
        name,
        fmt(p.params),
        fmtSI(p.flops),
        fmtBytes(p.bytes32 ?? (p.params === undefined ? undefined : 4 * p.params)),
        fmtBytes(p.bytes8),
        fmt(p.p50),
        fmt(p.p99),
        fmtMeanStd(p.mean, p.std),
        fmtPct(p.agreement),
        fmt(p.js),
      ]);
    }
  }
  if (!rows.length) return null;
  const cols: [string, boolean][] = [
    ["Run", false],
    ["Policy", false],
    ["Params", true],
    ["FLOPs / action", true],
    ["Size (f32)", true],
    ["Size (int8)", true],
    ["act() p50 (µs)", true],
    ["act() p99 (µs)", true],
    ["Return", true],
    ["Agreement", true],
    ["JS div.", true],
  ];
  return {
    id: "policies",
    title: "Teacher vs student",
    blocks: [
      { kind: "table", table: table(cols, rows) },
      {
        kind: "note",
        text: "Agreement and JS divergence compare each student with its teacher on shared states (JS in nats, at most ln 2 = 0.693). FLOPs count 2 per multiply-accumulate.",
      },
      ...runs.flatMap(inferenceBlocks),
    ],
  };
}

export function evaluationSection(runs: RunData[]): Section | null {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const run of runs) {
    const entries: [string, unknown][] = evalPolicies(run).map(([n, p]) => [n, p["eval"]]);
    const random = at(run.evalFile, "random");
    if (isObject(random)) entries.push(["random", random]);
    for (const [name, e] of entries) {
      if (!isObject(e)) continue;
      const ci = Array.isArray(e["ci95"]) ? e["ci95"].map(num) : [];
      rows.push([
        run.name,
        name,
        fmt(num(e["episodes"])),
        fmtMeanStd(num(e["meanReturn"]), num(e["stdReturn"])),
        fmt(num(e["iqm"])),
        ci.length === 2 ? `[${fmt(ci[0])}, ${fmt(ci[1])}]` : MISSING,
        fmtPct(num(e["successRate"])),
        fmt(num(e["meanLength"])),
      ]);
    }
    const retention = num(at(run.evalFile, "retention"));
    if (retention !== undefined)
      notes.push(`${run.name}: retention ${fmtPct(retention)} of the teacher's return over random.`);
  }
  if (!rows.length) return null;
  const cols: [string, boolean][] = [
    ["Run", false],
    ["Policy", false],
    ["Episodes", true],
    ["Return", true],
    ["IQM", true],
    ["95% CI of mean", true],
    ["Success", true],
    ["Mean length", true],
  ];
  const blocks: Block[] = [{ kind: "table", table: table(cols, rows) }];
  for (const text of notes) blocks.push({ kind: "note", text });
  return { id: "evaluation", title: "Evaluation", blocks };
}
