/**
 * The chart sections of a report: learning curves from progress.jsonl, the distillation
 * checkpoints from summary.json, and robustness curves from eval.json. Several runs overlay on
 * the same charts, one colour per run.
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

const GROUP_ORDER = ["rollout", "eval", "train", "distill", "charts", "losses", "time"];

function groupOf(key: string): string {
  const i = key.indexOf("/");
  return i < 0 ? "other" : key.slice(0, i);
}

export function learningSection(runs: RunData[], ids: ChartIds): Section | null {
  const keys = new Set<string>();
  for (const run of runs)
    for (const row of run.progress) for (const k of Object.keys(row)) if (k !== "step") keys.add(k);
  if (!keys.size) return null;
  const groups = new Map<string, string[]>();
  for (const key of [...keys].sort()) groups.set(groupOf(key), [...(groups.get(groupOf(key)) ?? []), key]);
  const rank = (g: string): number => (GROUP_ORDER.includes(g) ? GROUP_ORDER.indexOf(g) : GROUP_ORDER.length);
  const ordered = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  // One grid for all keys, ordered by group: one-chart groups would otherwise leave rows half empty.
  const charts: ChartSpec[] = ordered.flatMap((g) =>
    groups.get(g)!.map((key) => {
      const series: ChartSeries[] = [];
      runs.forEach((run, ri) => {
        const pts: [number, number][] = [];
        for (const row of run.progress) if (row[key] !== undefined) pts.push([row["step"]!, row[key]!]);
        pts.sort((a, b) => a[0] - b[0]);
        if (pts.length) series.push({ name: run.name, points: thin(pts), color: ri });
      });
      return { id: ids.next(), title: key, xLabel: "step", yLabel: key.slice(key.indexOf("/") + 1), series };
    }),
  );
  const blocks: Block[] = [{ kind: "charts", charts }];
  return { id: "learning", title: "Learning curves", blocks };
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
    for (const { run, ri, cks } of withCk) {
      const pts = cks
        .filter((c) => pick(c) !== undefined)
        .map((c): [number, number] => [c.progress, pick(c)!]);
      if (pts.length) series.push({ name: `${run.name} student`, points: pts, color: ri });
      const t = teacher ? num(at(run.summary, "teacher", "eval", "mean_return")) : undefined;
      if (t !== undefined && pts.length) {
        series.push({
          name: `${run.name} teacher`,
          points: [
            [pts[0]![0], t],
            [pts[pts.length - 1]![0], t],
          ],
          color: ri,
          dashed: true,
        });
      }
    }
    return { id: ids.next(), title, xLabel: "distillation progress", yLabel, series };
  };
  const rows = withCk.flatMap(({ run, cks }) =>
    cks.map((c) => [run.name, fmtPct(c.progress), fmt(c.ret), fmtPct(c.agreement), fmt(c.js)]),
  );
  return {
    id: "checkpoints",
    title: "Distillation checkpoints",
    blocks: [
      {
        kind: "charts",
        charts: [
          chart("Student return", "mean return", (c) => c.ret, true),
          chart("Agreement with teacher", "agreement", (c) => c.agreement, false),
          chart("JS divergence", "nats", (c) => c.js, false),
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
    const series: ChartSeries[] = list.map((c) => ({
      name: multiRun ? `${c.run} ${c.policy}` : c.policy,
      points: c.points
        .filter((p) => p.mean !== undefined)
        .map((p): [number, number] => [p.strength, p.mean!]),
      color: multiRun ? c.ri : c.pi,
      dashed: multiRun && c.pi > 0,
    }));
    const nominal = list[0]!.nominal;
    charts.push({
      id: ids.next(),
      title: list[0]!.label,
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
