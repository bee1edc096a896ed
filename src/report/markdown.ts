/**
 * Renders a `ReportModel` as GitHub-flavoured Markdown for terminals and pull requests: the same
 * tables as the HTML report; learning curves become a table of the last logged values (charts
 * with a table of their own, checkpoints and robustness, are left to the HTML).
 */
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

function renderBlock(b: Block, sectionId: string): string | null {
  switch (b.kind) {
    case "table":
      return markdownTable(b.table);
    case "note":
      return `_${b.text}_`;
    case "charts":
      if (sectionId !== "learning") return null;
      return (b.heading ? `**${cell(b.heading)}**\n\n` : "") + markdownTable(lastValues(b.charts));
  }
}

export function renderMarkdown(model: ReportModel): string {
  const out: string[] = [`# ${model.title}`, ""];
  for (const r of model.runs) out.push(`- **${cell(r.name)}** (${r.kind}): \`${r.dir}\``);
  for (const s of model.sections) {
    out.push("", `## ${s.title}`);
    for (const b of s.blocks) {
      const text = renderBlock(b, s.id);
      if (text) out.push("", text);
    }
  }
  out.push("");
  return out.join("\n");
}
