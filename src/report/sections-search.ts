/**
 * The report sections of src/search's run folders. An architecture search (summary.json with
 * `kind: "search"`, src/search/search.ts): the winner and its confirmation, the Pareto fronts of
 * size against retention and against agreement as charts, and every trial in a table. A federated
 * run (`kind: "federated"`, src/search/federated): per-client retention and agreement of the global
 * student beside the centralised one, and the rounds (who was averaged, late or absent).
 *
 * It reads the summary as plain JSON (the report sits below src/search and imports nothing from it).
 */
import { fmt, fmtBytes, fmtPct, MISSING } from "./format.js";
import { at, isObject, type JsonObject, num, type RunData } from "./load.js";
import type { Block, ChartIds, ChartSeries, ChartSpec, Section } from "./model.js";

interface TrialRow {
  key: string;
  id: string;
  role: string;
  steps: number;
  seed: number;
  params: number;
  bytes: number;
  latency?: number;
  retention?: number;
  agreement?: number;
  worker: string;
  wall?: number;
}

export function isSearchRun(run: RunData): boolean {
  return run.summary["kind"] === "search";
}

function trialsOf(s: JsonObject): TrialRow[] {
  const list = s["trials"];
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).map((t) => ({
    key: String(t["key"] ?? ""),
    id: String(t["id"] ?? ""),
    role: String(t["role"] ?? ""),
    steps: num(t["steps"]) ?? 0,
    seed: num(t["seed"]) ?? 0,
    params: num(at(t, "sizes", "params")) ?? 0,
    bytes: num(at(t, "sizes", "bytes")) ?? 0,
    latency: num(at(t, "sizes", "latencyUs")),
    retention: num(t["retention"]),
    agreement: num(t["agreement"]),
    worker: String(t["worker"] ?? ""),
    wall: num(t["wall_seconds"]),
  }));
}

function sizeOf(t: TrialRow, objective: string): number | undefined {
  return objective === "bytes" ? t.bytes : objective === "latency" ? t.latency : t.params;
}

const SIZE_LABEL: Record<string, string> = {
  params: "log10(parameters)",
  bytes: "log10(bytes)",
  latency: "log10(p50 latency, us)",
};

function frontChart(
  ids: ChartIds,
  trials: TrialRow[],
  front: Set<string>,
  metric: "retention" | "agreement",
  objective: string,
  maxSteps: number | undefined,
  target: number | undefined,
): ChartSpec {
  const pt = (t: TrialRow): [number, number] | null => {
    const x = sizeOf(t, objective);
    const y = t[metric];
    return x !== undefined && x > 0 && y !== undefined ? [Math.log10(x), y] : null;
  };
  const pts = (list: TrialRow[]) =>
    list
      .map(pt)
      .filter((p): p is [number, number] => p !== null)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const search = trials.filter((t) => t.role === "search");
  const full = search.filter((t) => t.steps === maxSteps);
  const series: ChartSeries[] = [
    {
      name: "shorter budgets",
      points: pts(search.filter((t) => t.steps !== maxSteps)),
      color: 9,
      style: 1,
      scatter: true,
    },
    { name: "full budget", points: pts(full), color: 0, style: 0, scatter: true },
    { name: "Pareto front", points: pts(full.filter((t) => front.has(t.key))), color: 2, style: 0 },
  ];
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  if (target !== undefined && xs.length) {
    series.push({
      name: `target ${target}`,
      points: [
        [Math.min(...xs), target],
        [Math.max(...xs), target],
      ],
      color: 3,
      style: 0,
      reference: true,
    });
  }
  return {
    id: ids.next(),
    title: `${metric} against size`,
    runs: [],
    xLabel: SIZE_LABEL[objective] ?? "log10(size)",
    yLabel: metric,
    series,
  };
}

function targetValue(text: unknown, metric: string): number | undefined {
  if (typeof text !== "string") return undefined;
  const m = new RegExp(`${metric}=([0-9.eE+-]+)`).exec(text);
  return m ? Number(m[1]) : undefined;
}

export function searchSection(run: RunData, ids: ChartIds): Section {
  const s = run.summary;
  const objective = typeof s["objective"] === "string" ? s["objective"] : "params";
  const trials = trialsOf(s);
  const maxSteps = num(at(s, "plan", "maxSteps"));
  const teacherParams = num(at(s, "teacher", "params"));
  const winner = isObject(s["winner"]) ? s["winner"] : null;
  const blocks: Block[] = [];
  const searchTrials = trials.filter((t) => t.role === "search").length;
  blocks.push({
    kind: "note",
    text:
      `Minimise ${objective} subject to ${String(s["target"] ?? MISSING)}; ` +
      `${searchTrials} search trials and ${trials.length - searchTrials} confirmation runs` +
      (s["interrupted"] === true ? " (interrupted: resume with rldistill search --resume)" : "") +
      ". " +
      (winner
        ? `Smallest confirmed student: ${String(winner["id"])}, ${fmt(num(winner["params"]))} parameters ` +
          `(${fmtPct(num(winner["share"]))} of the teacher's ${fmt(teacherParams)}), ${fmtBytes(num(winner["bytes"]))}.`
        : "No candidate met the target at the full budget and in confirmation."),
  });
  const front = (metric: string) => {
    const keys = at(s, "pareto", metric);
    return new Set(Array.isArray(keys) ? keys.map(String) : []);
  };
  const charts = [
    frontChart(
      ids,
      trials,
      front("retention"),
      "retention",
      objective,
      maxSteps,
      targetValue(s["target"], "retention"),
    ),
  ];
  if (trials.some((t) => t.agreement !== undefined))
    charts.push(
      frontChart(
        ids,
        trials,
        front("agreement"),
        "agreement",
        objective,
        maxSteps,
        targetValue(s["target"], "agreement"),
      ),
    );
  for (const c of charts) c.runs = [run.name];
  blocks.push({ kind: "charts", heading: "Pareto fronts (full-budget trials)", charts });
  const confirmations = Array.isArray(s["confirmations"]) ? s["confirmations"].filter(isObject) : [];
  if (confirmations.length) {
    blocks.push({
      kind: "table",
      table: {
        caption: "Confirmation (mean over seeds)",
        columns: ["Candidate", "Runs", "Retention", "Agreement", "Passed"],
        numeric: [false, true, true, true, false],
        rows: confirmations.map((c) => [
          String(c["id"]),
          String(Array.isArray(c["keys"]) ? c["keys"].length : MISSING),
          fmt(num(c["retention"])),
          fmtPct(num(c["agreement"])),
          c["passed"] === true ? "yes" : "no",
        ]),
      },
    });
  }
  const sorted = [...trials].sort(
    (a, b) => a.params - b.params || a.steps - b.steps || (a.key < b.key ? -1 : 1),
  );
  blocks.push({
    kind: "table",
    collapsed: true,
    table: {
      caption: `All trials (${trials.length})`,
      columns: [
        "Candidate",
        "Role",
        "Steps",
        "Seed",
        "Params",
        "Bytes",
        "Retention",
        "Agreement",
        "Wall (s)",
        "Worker",
      ],
      numeric: [false, false, true, true, true, true, true, true, true, false],
      rows: sorted.map((t) => [
        t.id,
        t.role,
        fmt(t.steps),
        fmt(t.seed),
        fmt(t.params),
        fmt(t.bytes),
        fmt(t.retention),
        fmtPct(t.agreement),
        fmt(t.wall),
        t.worker,
      ]),
    },
  });
  return {
    id: `search-${run.name}`.replace(/[^A-Za-z0-9_-]/g, "-"),
    title: `Architecture search: ${run.name}`,
    blocks,
  };
}

function figuresOf(v: unknown): {
  retention?: number;
  agreement?: number;
  student?: number;
  teacher?: number;
} {
  return {
    retention: num(at(v, "retention")),
    agreement: num(at(v, "agreement")),
    student: num(at(v, "student_return")),
    teacher: num(at(v, "teacher_return")),
  };
}

export function federatedSection(run: RunData, ids: ChartIds): Section {
  const s = run.summary;
  const clients = Array.isArray(s["clients"]) ? s["clients"].filter(isObject) : [];
  const rounds = Array.isArray(s["rounds"]) ? s["rounds"].filter(isObject) : [];
  const list = (v: unknown) => (Array.isArray(v) && v.length ? v.join(", ") : MISSING);
  const ratio = num(s["ratio"]);
  const blocks: Block[] = [
    {
      kind: "note",
      text:
        `${s["mode"] === "soft-labels" ? "Soft labels on the server's public states" : "FedAvg"} over ${clients.length} clients, ${rounds.length} rounds; mean retention federated ${fmt(num(at(s, "meanRetention", "federated")))}, ` +
        `centralised ${fmt(num(at(s, "meanRetention", "centralised")))}` +
        (ratio === undefined ? "." : ` (federated keeps ${fmtPct(ratio)} of centralised; goal 95%).`),
    },
  ];
  const fed = clients.map((c) => figuresOf(c["federated"]));
  const cen = clients.map((c) => figuresOf(c["centralised"]));
  const series = (
    name: string,
    f: typeof fed,
    color: number,
    pick: "retention" | "agreement",
  ): ChartSeries => ({
    name,
    color,
    style: color,
    scatter: true,
    points: f.flatMap((x, i): [number, number][] => (x[pick] === undefined ? [] : [[i, x[pick]!]])),
  });
  const charts: ChartSpec[] = (["retention", "agreement"] as const)
    .filter((m) => fed.some((x) => x[m] !== undefined))
    .map((m) => ({
      id: ids.next(),
      title: `${m} by client`,
      runs: [run.name],
      xLabel: "client",
      yLabel: m,
      series: [series("federated", fed, 0, m), series("centralised", cen, 1, m)],
    }));
  if (charts.length) blocks.push({ kind: "charts", charts });
  blocks.push({
    kind: "table",
    table: {
      caption: "Global student on each client, against its local teacher",
      columns: [
        "Client",
        "Env kwargs",
        "Teacher return",
        "Return",
        "Retention",
        "Agreement",
        "Centralised retention",
        "Centralised agreement",
      ],
      numeric: [true, false, true, true, true, true, true, true],
      rows: clients.map((c, i) => [
        String(c["client"] ?? i),
        JSON.stringify(c["envKwargs"] ?? {}),
        fmt(fed[i]!.teacher),
        fmt(fed[i]!.student),
        fmt(fed[i]!.retention),
        fmtPct(fed[i]!.agreement),
        fmt(cen[i]!.retention),
        fmtPct(cen[i]!.agreement),
      ]),
    },
  });
  blocks.push({
    kind: "table",
    collapsed: true,
    table: {
      caption: `Rounds (${rounds.length})`,
      columns: ["Round", "Sampled", "Averaged", "Missed the deadline", "Absent", "Samples"],
      numeric: [true, false, false, false, false, true],
      rows: rounds.map((r) => [
        fmt(num(r["round"])),
        list(r["sampled"]),
        list(r["returned"]),
        list(r["stragglers"]),
        list(r["absent"]),
        fmt(num(r["samples"])),
      ]),
    },
  });
  return {
    id: `federated-${run.name}`.replace(/[^A-Za-z0-9_-]/g, "-"),
    title: `Federated distillation: ${run.name}`,
    blocks,
  };
}

/** One section per search or federated run among `runs` (the hook model.ts calls). */
export function searchSections(runs: RunData[], ids: ChartIds): Section[] {
  return runs.flatMap((r) =>
    r.summary["kind"] === "search"
      ? [searchSection(r, ids)]
      : r.summary["kind"] === "federated"
        ? [federatedSection(r, ids)]
        : [],
  );
}
