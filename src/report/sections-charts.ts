/**
 * The chart sections of a report: learning curves from progress.jsonl, the distillation
 * checkpoints from summary.json, and robustness curves from eval.json. Several runs overlay on
 * the same charts, each run with its own colour and line style (dash pattern and marker shape).
 */
import { fmt, fmtMeanStd, fmtPct, MISSING } from "./format.js";
import { at, isObject, num, type RunData } from "./load.js";
import type { Block, ChartIds, ChartSeries, ChartSpec, Section } from "./model.js";

/** Most points one series keeps; long runs are thinned evenly (the last point always kept). */
export const MAX_POINTS = 400;

export function thin(points: [number, number][], max = MAX_POINTS): [number, number][] {
  if (points.length <= max) return points;
  const out: [number, number][] = [];
  const stride = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * stride)]!);
  return out;
}

const GROUP_ORDER = ["rollout", "eval", "train", "distill", "charts", "losses", "schedule", "time"];

function groupOf(key: string): string {
  const i = key.indexOf("/");
  return i < 0 ? "other" : key.slice(0, i);
}

/**
 * Logged keys that count or time the run rather than measure learning (`rollout/buffer_size`,
 * `train/updates`, `time/progress`, `time/fps`, ...): their curves go into "All metrics".
 */
export const BOOKKEEPING_KEYS = [
  "buffer_size",
  "updates",
  "n_updates",
  "progress",
  "total_timesteps",
  "time_elapsed",
  "iterations",
  "episodes",
] as const;

/**
 * Keys shown first in their group, and kept when another key repeats their values (CartPole's
 * episode length is its return; a loss with one term is that term).
 */
const LEADING_LEAVES = ["ep_rew_mean", "mean_return", "mean_reward", "agreement", "loss"];

export function isBookkeeping(key: string): boolean {
  const leaf = key.slice(key.lastIndexOf("/") + 1);
  return groupOf(key) === "time" || (BOOKKEEPING_KEYS as readonly string[]).includes(leaf);
}

/** Each run's [step, value] points of one key, step ascending. */
function seriesOf(run: RunData, key: string): [number, number][] {
  const pts: [number, number][] = [];
  for (const row of run.progress) if (row[key] !== undefined) pts.push([row["step"]!, row[key]!]);
  return pts.sort((a, b) => a[0] - b[0]);
}

/** The one value a key takes in every row of a run, or undefined when it changes. */
function constantOf(points: [number, number][]): number | undefined {
  if (!points.length) return undefined;
  const v = points[0]![1];
  return points.every((p) => p[1] === v) ? v : undefined;
}

function sameSeries(a: [number, number][], b: [number, number][]): boolean {
  return a.length === b.length && a.every((p, i) => p[0] === b[i]![0] && p[1] === b[i]![1]);
}

/**
 * Curves of every logged key, the keys that tell something first. Folded into a collapsed "All
 * metrics" part: keys constant within every run (a fixed schedule, a setting), bookkeeping keys
 * (see BOOKKEEPING_KEYS), and keys with the very same values as one already shown (a loss that is
 * its only term). Each run keeps its colour and line style in every chart.
 */
export function learningSection(runs: RunData[], ids: ChartIds): Section | null {
  const keys = new Set<string>();
  for (const run of runs)
    for (const row of run.progress) for (const k of Object.keys(row)) if (k !== "step") keys.add(k);
  if (!keys.size) return null;
  const rank = (g: string): number => (GROUP_ORDER.includes(g) ? GROUP_ORDER.indexOf(g) : GROUP_ORDER.length);
  const lead = (k: string): number => (LEADING_LEAVES.includes(k.slice(k.indexOf("/") + 1)) ? 0 : 1);
  const ordered = [...keys].sort(
    (a, b) =>
      rank(groupOf(a)) - rank(groupOf(b)) ||
      groupOf(a).localeCompare(groupOf(b)) ||
      lead(a) - lead(b) ||
      a.localeCompare(b),
  );
  const points = new Map(ordered.map((k) => [k, runs.map((r) => seriesOf(r, k))]));
  const chart = (key: string): ChartSpec => {
    const series: ChartSeries[] = [];
    const shown: string[] = [];
    points.get(key)!.forEach((pts, ri) => {
      if (!pts.length) return;
      series.push({ name: runs[ri]!.name, points: thin(pts), color: ri, style: ri });
      shown.push(runs[ri]!.name);
    });
    return {
      id: ids.next(),
      title: key,
      runs: shown,
      xLabel: "step",
      yLabel: key.slice(key.indexOf("/") + 1),
      series,
    };
  };

  const main: string[] = [];
  const bookkeeping: string[] = [];
  const repeats: [string, string][] = [];
  const constants: string[] = [];
  for (const key of ordered) {
    const per = points.get(key)!;
    const withData = per.filter((p) => p.length);
    if (withData.every((p) => constantOf(p) !== undefined)) constants.push(key);
    else if (isBookkeeping(key)) bookkeeping.push(key);
    else {
      const twin = main.find((k) => per.every((p, ri) => sameSeries(p, points.get(k)![ri]!)));
      if (twin) repeats.push([key, twin]);
      else main.push(key);
    }
  }

  const folded: Block[] = [];
  if (constants.length) {
    folded.push({
      kind: "table",
      table: {
        caption: "Constant within each run",
        columns: ["Key", ...runs.map((r) => r.name)],
        numeric: [false, ...runs.map(() => true)],
        rows: constants.map((k) => [k, ...points.get(k)!.map((p) => fmt(constantOf(p)))]),
      },
    });
  }
  if (repeats.length)
    folded.push({
      kind: "note",
      text: `Same values as a chart above: ${repeats.map(([k, twin]) => `${k} = ${twin}`).join(", ")}.`,
    });
  const foldedCharts = [...bookkeeping, ...repeats.map(([k]) => k)];
  if (foldedCharts.length) folded.push({ kind: "charts", charts: foldedCharts.map(chart) });

  const blocks: Block[] = [];
  if (main.length) blocks.push({ kind: "charts", charts: main.map(chart) });
  if (folded.length) {
    const n = constants.length + foldedCharts.length;
    blocks.push({
      kind: "details",
      summary: `All metrics: ${n} more (${[
        constants.length ? `${constants.length} constant` : "",
        bookkeeping.length ? `${bookkeeping.length} bookkeeping` : "",
        repeats.length ? `${repeats.length} repeated` : "",
      ]
        .filter(Boolean)
        .join(", ")})`,
      blocks: folded,
    });
  }
  return { id: "learning", title: "Training curves", blocks };
}

interface Checkpoint {
  progress: number;
  ret?: number;
  agreement?: number;
  js?: number;
}

function checkpointsOf(run: RunData): Checkpoint[] {
  const list = run.summary["checkpoints"];
  if (!Array.isArray(list)) return [];
  return list
    .filter(isObject)
    .map((c) => ({
      progress: num(c["progress"]) ?? Number.NaN,
      ret: num(c["mean_return"]),
      agreement: num(c["agreement"]),
      js: num(c["js_divergence"]),
    }))
    .filter((c) => Number.isFinite(c.progress))
    .sort((a, b) => a.progress - b.progress);
}

export function checkpointSection(runs: RunData[], ids: ChartIds): Section | null {
  const withCk = runs.map((run, ri) => ({ run, ri, cks: checkpointsOf(run) })).filter((r) => r.cks.length);
  if (!withCk.length) return null;
  const chart = (
    title: string,
    yLabel: string,
    pick: (c: Checkpoint) => number | undefined,
    teacher: boolean,
  ): ChartSpec => {
    const series: ChartSeries[] = [];
    const shown: string[] = [];
    for (const { run, ri, cks } of withCk) {
      const pts = cks
        .filter((c) => pick(c) !== undefined)
        .map((c): [number, number] => [c.progress, pick(c)!]);
      if (!pts.length) continue;
      shown.push(run.name);
      series.push({ name: `${run.name} student`, points: pts, color: ri, style: ri });
      const t = teacher ? num(at(run.summary, "teacher", "eval", "mean_return")) : undefined;
      if (t !== undefined) {
        series.push({
          name: `${run.name} teacher`,
          points: [
            [pts[0]![0], t],
            [pts[pts.length - 1]![0], t],
          ],
          color: ri,
          style: ri,
          reference: true,
        });
      }
    }
    return { id: ids.next(), title, runs: shown, xLabel: "distillation progress", yLabel, series };
  };
  const rows = withCk.flatMap(({ run, cks }) =>
    cks.map((c) => [run.name, fmtPct(c.progress), fmt(c.ret), fmtPct(c.agreement), fmt(c.js)]),
  );
  return {
    id: "checkpoints",
    title: "Against the teacher over training",
    blocks: [
      {
        kind: "charts",
        charts: [
          chart("Return: student, and the teacher's (dashed)", "mean return", (c) => c.ret, true),
          chart("Agreement with the teacher", "agreement", (c) => c.agreement, false),
          chart("JS divergence from the teacher", "nats", (c) => c.js, false),
        ],
      },
      {
        kind: "table",
        table: {
          columns: ["Run", "Progress", "Return", "Agreement", "JS div."],
          numeric: [false, true, true, true, true],
          rows,
        },
      },
    ],
  };
}

interface RobustCurve {
  run: string;
  ri: number;
  policy: string;
  pi: number;
  label: string;
  points: { strength: number; mean?: number; std?: number }[];
  nominal?: number;
}

/** Robustness curves of every run, keyed by perturbation name. */
function robustnessCurves(runs: RunData[]): Map<string, RobustCurve[]> {
  const byName = new Map<string, RobustCurve[]>();
  runs.forEach((run, ri) => {
    const perts = at(run.evalFile, "robustness", "perturbations");
    if (!Array.isArray(perts)) return;
    for (const p of perts) {
      if (!isObject(p) || typeof p["name"] !== "string" || !isObject(p["results"])) continue;
      const label = typeof p["label"] === "string" ? p["label"] : p["name"];
      Object.entries(p["results"]).forEach(([policy, list], pi) => {
        if (!Array.isArray(list)) return;
        const points = list
          .filter(isObject)
          .map((e) => ({
            strength: num(e["strength"]) ?? Number.NaN,
            mean: num(e["meanReturn"]),
            std: num(e["stdReturn"]),
          }))
          .filter((e) => Number.isFinite(e.strength));
        const name = p["name"] as string;
        const nominal = num(p["nominal"]);
        byName.set(name, [
          ...(byName.get(name) ?? []),
          { run: run.name, ri, policy, pi, label, points, nominal },
        ]);
      });
    }
  });
  return byName;
}

export function robustnessSection(runs: RunData[], ids: ChartIds): Section | null {
  const curves = robustnessCurves(runs);
  if (!curves.size) return null;
  const multiRun = new Set([...curves.values()].flat().map((c) => c.run)).size > 1;
  const charts: ChartSpec[] = [];
  const columns = new Map<string, number>();
  const rowsByKey = new Map<string, Map<number, string>>();
  for (const [name, list] of curves) {
    // One run: a colour and style per policy. Several: colour per run, style per policy.
    const series: ChartSeries[] = list.map((c) => ({
      name: multiRun ? `${c.run} ${c.policy}` : c.policy,
      points: c.points
        .filter((p) => p.mean !== undefined)
        .map((p): [number, number] => [p.strength, p.mean!]),
      color: multiRun ? c.ri : c.pi,
      style: c.pi,
    }));
    const nominal = list[0]!.nominal;
    charts.push({
      id: ids.next(),
      title: list[0]!.label,
      runs: [...new Set(list.map((c) => c.run))],
      xLabel: `strength (${name})`,
      yLabel: "mean return",
      series,
      marker: nominal === undefined ? undefined : { x: nominal, label: "nominal" },
    });
    for (const c of list) {
      const col = multiRun ? `${c.run} ${c.policy}` : c.policy;
      if (!columns.has(col)) columns.set(col, columns.size);
      for (const p of c.points) {
        const key = `${name}\u0000${p.strength}`;
        const row = rowsByKey.get(key) ?? new Map<number, string>();
        row.set(columns.get(col)!, fmtMeanStd(p.mean, p.std));
        rowsByKey.set(key, row);
      }
    }
  }
  const rows = [...rowsByKey.entries()].map(([key, cells]) => {
    const [name, strength] = key.split("\u0000") as [string, string];
    return [name, fmt(Number(strength)), ...[...columns.keys()].map((_, i) => cells.get(i) ?? MISSING)];
  });
  return {
    id: "robustness",
    title: "Robustness",
    blocks: [
      { kind: "charts", charts },
      {
        kind: "table",
        collapsed: true,
        table: {
          caption: "Mean ± std return per perturbation strength",
          columns: ["Perturbation", "Strength", ...columns.keys()],
          numeric: [false, true, ...[...columns.keys()].map(() => true)],
          rows,
        },
      },
    ],
  };
}
