/**
 * The report as plain data - sections of tables and charts - built once from the runs and then
 * rendered to HTML (html.ts) and Markdown (markdown.ts), so both always show the same figures.
 */
import type { RunData } from "./load.js";
import { checkpointSection, learningSection, robustnessSection } from "./sections-charts.js";
import { searchSections } from "./sections-search.js";
import { configSection, evaluationSection, overviewSection, policiesSection } from "./sections-tables.js";

export interface ChartSeries {
  name: string;
  /** [x, y] pairs, x ascending. */
  points: [number, number][];
  /** Index into the palette, so one run keeps its colour across charts. */
  color: number;
  dashed?: boolean;
  /** Points only, no line (trials of a search). */
  scatter?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** An x position to mark with a labelled vertical line (the nominal setting of a perturbation). */
  marker?: { x: number; label: string };
}

export interface Table {
  caption?: string;
  columns: string[];
  /** Right-align (numeric) columns. */
  numeric: boolean[];
  rows: string[][];
  /** Rows to emphasise (config keys that differ between runs). */
  highlight?: boolean[];
}

export type Block =
  | { kind: "table"; table: Table; collapsed?: boolean }
  | { kind: "charts"; heading?: string; charts: ChartSpec[] }
  | { kind: "note"; text: string };

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

export interface ReportModel {
  title: string;
  runs: { name: string; dir: string; kind: string }[];
  sections: Section[];
}

/** Hands out chart ids unique within one report. */
export class ChartIds {
  private n = 0;
  next(): string {
    return `chart-${++this.n}`;
  }
}

/** Every section that has something to show, in reading order. */
export function buildModel(runs: RunData[], title = "rldistill report"): ReportModel {
  const ids = new ChartIds();
  const sections = [
    overviewSection(runs),
    policiesSection(runs),
    evaluationSection(runs),
    learningSection(runs, ids),
    checkpointSection(runs, ids),
    robustnessSection(runs, ids),
    ...searchSections(runs, ids),
    configSection(runs),
  ].filter((s): s is Section => s !== null && s.blocks.length > 0);
  return { title, runs: runs.map((r) => ({ name: r.name, dir: r.dir, kind: r.kind })), sections };
}
