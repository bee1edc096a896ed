/**
 * Renders a `ReportModel` as GitHub-flavoured Markdown for terminals and pull requests: the same
 * tables as the HTML report; learning curves become a table of the last logged values (charts
 * with a table of their own, checkpoints and robustness, are left to the HTML); the headline
 * figures become a table per run, and the episode GIFs links to their files.
 */
import { join } from "node:path";
import { fmt, MISSING } from "./format.js";
import type { Block, ChartSpec, ReportModel, Table } from "./model.js";

function cell(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

export function markdownTable(t: Table): string {
  const lines: string[] = [];
  if (t.caption) lines.push(`**${cell(t.caption)}**`, "");
  lines.push(`| ${t.columns.map(cell).join(" | ")} |`);
  lines.push(`|${t.numeric.map((n) => (n ? " ---: " : " --- ")).join("|")}|`);
  t.rows.forEach((row, r) => {
    const cells = row.map(cell);
    if (t.highlight?.[r]) cells[0] = `**${cells[0]}**`;
    lines.push(`| ${cells.join(" | ")} |`);
  });
  return lines.join("\n");
}

/** Last value of each chart's series, one row per chart. */
function lastValues(charts: ChartSpec[]): Table {
  const names = [...new Set(charts.flatMap((c) => c.series.map((s) => s.name)))];
  const rows = charts.map((c) => [
    c.title,
    ...names.map((n) => {
      const pts = c.series.find((s) => s.name === n)?.points;
      const last = pts?.[pts.length - 1];
      return last ? `${fmt(last[1])} @ ${fmt(last[0])}` : MISSING;
    }),
  ]);
  return {
    columns: ["Key", ...names.map((n) => `${n} (last @ step)`)],
    numeric: [false, ...names.map(() => true)],
    rows,
  };
}

function renderBlock(b: Block, sectionId: string, model: ReportModel): string | null {
  switch (b.kind) {
    case "table":
      return markdownTable(b.table);
    case "note":
      return `_${b.text}_`;
    case "charts":
      if (sectionId !== "learning") return null;
      return (b.heading ? `**${cell(b.heading)}**\n\n` : "") + markdownTable(lastValues(b.charts));
    case "headline":
      return `**${cell(b.run)}**\n\n${markdownTable({
        columns: ["Figure", "Value", "What it compares"],
        numeric: [false, true, false],
        rows: b.cards.map((c) => [c.label, c.value, c.detail]),
      })}`;
    case "videos": {
      // Linked by path: Markdown viewers do not show data: URIs.
      const dir = model.runs.find((r) => r.name === b.run)?.dir ?? ".";
      const images = b.videos.map((v) => `![${cell(v.caption)}](<${join(dir, v.file)}>)`);
      return `**${cell(b.run)}**\n\n${images.join(" ")}`;
    }
    case "details": {
      const inner = b.blocks
        .map((x) => renderBlock(x, sectionId, model))
        .filter((t): t is string => t !== null);
      return inner.length ? [`**${cell(b.summary)}**`, ...inner].join("\n\n") : null;
    }
  }
}

export function renderMarkdown(model: ReportModel): string {
  const out: string[] = [`# ${model.title}`, ""];
  for (const r of model.runs) out.push(`- **${cell(r.name)}** (${r.kind}): \`${r.dir}\``);
  for (const s of model.sections) {
    out.push("", `## ${s.title}`);
    for (const b of s.blocks) {
      const text = renderBlock(b, s.id, model);
      if (text) out.push("", text);
    }
  }
  out.push("");
  return out.join("\n");
}
