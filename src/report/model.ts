/**
 * The report as plain data - sections of tables and charts - built once from the runs and then
 * rendered to HTML (html.ts) and Markdown (markdown.ts), so both always show the same figures.
 */
import type { RunData } from "./load.js";
import { checkpointSection, learningSection, robustnessSection } from "./sections-charts.js";
import { configSection } from "./sections-config.js";
import { searchSections } from "./sections-search.js";
import { episodesSection, headlineSection } from "./sections-story.js";
import { evaluationSection, overviewSection, policiesSection } from "./sections-tables.js";
import { taskSections } from "./sections-tasks.js";

export interface ChartSeries {
  name: string;
  /** [x, y] pairs, x ascending. */
  points: [number, number][];
  /** Index into the palette, so one run keeps its colour across charts. */
  color: number;
  /**
   * Index into the line styles (dash pattern and marker shape; 0 = solid with circles), so that
   * overlapping series stay apart even without colour.
   */
  style: number;
  /** A flat reference level (e.g. the teacher's return): thin, dashed, no markers, drawn first. */
  reference?: boolean;
  /** Points only, no line (trials of a search). */
  scatter?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** The runs the chart shows, named under its title. */
  runs: string[];
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** An x position to mark with a labelled vertical line (the nominal setting of a perturbation). */
  marker?: { x: number; label: string };
}

/** One figure of the headline panel. */
export interface HeadlineCard {
  label: string;
  /** The figure, formatted; MISSING when it was not measured. */
  value: string;
  /** What it compares, with the raw numbers. */
  detail: string;
}

/** One recorded episode, embedded in the page. */
export interface EpisodeVideo {
  /** Policy name (teacher, student, model). */
  name: string;
  /** data:image/gif;base64,... so the report needs no other file. */
  src: string;
  width: number;
  height: number;
  caption: string;
  /** File name in the run folder (what the Markdown links to). */
  file: string;
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
  | { kind: "note"; text: string }
  | { kind: "headline"; run: string; color: number; cards: HeadlineCard[] }
  | { kind: "videos"; run: string; color: number; videos: EpisodeVideo[] }
  /** Blocks folded away under a one-line summary (e.g. "All metrics"). */
  | { kind: "details"; summary: string; blocks: Block[] };

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

/**
 * Every section that has something to show, story first: the headline figures, the episodes side
 * by side, how the student closed in on the teacher, robustness; then the tables and the curves.
 */
export function buildModel(runs: RunData[], title = "rldistill report"): ReportModel {
  const ids = new ChartIds();
  const sections = [
    headlineSection(runs),
    episodesSection(runs),
    checkpointSection(runs, ids),
    robustnessSection(runs, ids),
    ...searchSections(runs, ids),
    ...taskSections(runs, ids),
    policiesSection(runs),
    overviewSection(runs),
    evaluationSection(runs),
    learningSection(runs, ids),
    configSection(runs),
  ].filter((s): s is Section => s !== null && s.blocks.length > 0);
  return { title, runs: runs.map((r) => ({ name: r.name, dir: r.dir, kind: r.kind })), sections };
}
