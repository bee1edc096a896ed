/**
 * Renders a `ReportModel` as one self-contained HTML file: inline CSS, the chart specs as inlined
 * JSON, the chart script of chart-script.ts, and the episode GIFs as data: URIs. No external
 * resource is referenced.
 */
import { CHART_SCRIPT, PALETTE } from "./chart-script.js";
import type { Block, ChartSpec, ReportModel, Table } from "./model.js";

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON safe to inline in a `<script>` element: `<`, `>` and `&` escaped so a string such as
 * "</script>" cannot end the element, and U+2028/U+2029 escaped for older parsers.
 */
export function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --soft: #f6f8fa; --accent: #0969da; --hl: #fff8d6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 64px; }
header h1 { font-size: 24px; margin: 0 0 6px; }
header .runs { margin: 0; padding: 0; list-style: none; color: var(--muted); }
header .runs code { font-size: 12px; }
nav { position: sticky; top: 0; background: rgba(255,255,255,0.95); border-bottom: 1px solid var(--line); padding: 8px 0; margin: 16px 0 8px; z-index: 1; }
nav a { color: var(--accent); text-decoration: none; margin-right: 18px; font-weight: 500; }
nav a:hover { text-decoration: underline; }
section { margin-top: 28px; }
h2 { font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 6px; margin: 0 0 14px; }
h3 { font-size: 15px; margin: 18px 0 8px; color: var(--muted); font-weight: 600; }
.table-wrap { overflow-x: auto; margin: 8px 0 12px; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 8px 10px 4px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; text-align: left; }
th { background: var(--soft); font-weight: 600; font-size: 13px; }
td.num, th.num { text-align: right; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
tbody tr:last-child td { border-bottom: none; }
tr.hl td { background: var(--hl) !important; }
td code { font-size: 12px; }
p.note { color: var(--muted); margin: 4px 0 12px; font-size: 13px; }
details { margin: 8px 0; }
details summary { cursor: pointer; color: var(--accent); font-weight: 500; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px 8px; background: var(--bg); }
.card h4 { margin: 0 0 4px; font-size: 13px; font-weight: 600; overflow-wrap: anywhere; }
.chart-svg { width: 100%; height: auto; display: block; }
.chart-svg .grid line { stroke: #eaeef2; }
.chart-svg .axis, .chart-svg .xtick { stroke: #8c959f; }
.chart-svg .tick { font-size: 11px; fill: var(--muted); }
.chart-svg .label { font-size: 12px; fill: var(--muted); }
.chart-svg .marker { stroke: #8c959f; stroke-dasharray: 3 3; }
.chart-svg .marker-label { font-size: 11px; fill: var(--muted); stroke: #fff; stroke-width: 3px; paint-order: stroke; }
.chart-svg .empty { font-size: 14px; fill: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--fg); padding: 2px 4px 0; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; vertical-align: middle; flex: none; }
.card .runs-of { margin: 0 0 4px; font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
.run-tag { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; margin: 14px 0 8px; }
.run-tag .dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
.headline { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
.figure { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--soft); }
.figure .label { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
.figure .value { font-size: 28px; font-weight: 650; line-height: 1.25; font-variant-numeric: tabular-nums; }
.figure .detail { font-size: 12px; color: var(--muted); }
.episodes { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.episodes figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: var(--bg); }
.episodes img { display: block; width: 100%; max-width: var(--shown-width); height: auto; }
.episodes img.pixelated { image-rendering: pixelated; }
.episodes figcaption { font-size: 13px; margin-top: 6px; }
.episodes figcaption strong { text-transform: capitalize; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
`;

function renderTable(t: Table): string {
  const cls = (i: number): string => (t.numeric[i] ? ' class="num"' : "");
  const head = t.columns.map((c, i) => `<th${cls(i)}>${escapeHtml(c)}</th>`).join("");
  const body = t.rows
    .map((row, r) => {
      const tr = t.highlight?.[r] ? '<tr class="hl">' : "<tr>";
      return tr + row.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join("") + "</tr>";
    })
    .join("\n");
  const caption = t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : "";
  return `<div class="table-wrap"><table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function renderChart(c: ChartSpec): string {
  const runs = c.runs.length
    ? `<p class="runs-of">${c.runs.length > 1 ? "runs" : "run"}: ${escapeHtml(c.runs.join(", "))}</p>`
    : "";
  return `<div class="card"><h4>${escapeHtml(c.title)}</h4>${runs}<div class="chart" data-chart="${escapeHtml(c.id)}"></div></div>`;
}

/** The run a block belongs to, in its chart colour. */
function runTag(run: string, color: number): string {
  return `<div class="run-tag"><span class="dot" style="background:${PALETTE[color % PALETTE.length]}"></span>${escapeHtml(run)}</div>`;
}

function renderHeadline(b: Extract<Block, { kind: "headline" }>): string {
  const cards = b.cards
    .map(
      (c) =>
        `<div class="figure"><div class="label">${escapeHtml(c.label)}</div><div class="value">${escapeHtml(c.value)}</div><div class="detail">${escapeHtml(c.detail)}</div></div>`,
    )
    .join("\n");
  return `${runTag(b.run, b.color)}<div class="headline" data-run="${escapeHtml(b.run)}">${cards}</div>`;
}

/** GIFs shown at most 360 px wide; small ones (MinAtar's cells) are enlarged with hard edges. */
function renderVideos(b: Extract<Block, { kind: "videos" }>): string {
  const figures = b.videos
    .map((v) => {
      const small = v.width < 200;
      const shown = small ? Math.min(360, v.width * Math.floor(360 / v.width)) : Math.min(360, v.width);
      return `<figure data-policy="${escapeHtml(v.name)}" style="width:${shown + 18}px"><img src="${escapeHtml(v.src)}" alt="${escapeHtml(`${v.name} episode`)}" width="${v.width}" height="${v.height}"${small ? ' class="pixelated"' : ""} style="--shown-width:${shown}px"><figcaption>${escapeHtml(v.caption)}</figcaption></figure>`;
    })
    .join("\n");
  return `${runTag(b.run, b.color)}<div class="episodes" data-run="${escapeHtml(b.run)}">${figures}</div>`;
}

function renderBlock(b: Block): string {
  switch (b.kind) {
    case "table": {
      const html = renderTable(b.table);
      if (!b.collapsed) return html;
      const label = b.table.caption ?? `Show table (${b.table.rows.length} rows)`;
      return `<details><summary>${escapeHtml(label)}</summary>${html}</details>`;
    }
    case "charts": {
      const heading = b.heading ? `<h3>${escapeHtml(b.heading)}</h3>` : "";
      return `${heading}<div class="charts">${b.charts.map(renderChart).join("\n")}</div>`;
    }
    case "note":
      return `<p class="note">${escapeHtml(b.text)}</p>`;
    case "headline":
      return renderHeadline(b);
    case "videos":
      return renderVideos(b);
    case "details":
      return `<details class="fold"><summary>${escapeHtml(b.summary)}</summary>${b.blocks.map(renderBlock).join("\n")}</details>`;
  }
}

/** Chart specs of every charts block, folded ones included. */
function chartsOf(blocks: Block[], out: Record<string, ChartSpec>): Record<string, ChartSpec> {
  for (const b of blocks) {
    if (b.kind === "charts") for (const c of b.charts) out[c.id] = c;
    if (b.kind === "details") chartsOf(b.blocks, out);
  }
  return out;
}

export function renderHtml(model: ReportModel): string {
  const charts: Record<string, ChartSpec> = {};
  for (const s of model.sections) chartsOf(s.blocks, charts);
  const runs = model.runs
    .map(
      (r) =>
        `<li><strong>${escapeHtml(r.name)}</strong> (${escapeHtml(r.kind)}) <code>${escapeHtml(r.dir)}</code></li>`,
    )
    .join("\n");
  const nav = model.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join("");
  const sections = model.sections
    .map(
      (s) =>
        `<section id="${escapeHtml(s.id)}">\n<h2>${escapeHtml(s.title)}</h2>\n${s.blocks.map(renderBlock).join("\n")}\n</section>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(model.title)}</h1>
<ul class="runs">
${runs}
</ul>
</header>
<nav>${nav}</nav>
${sections}
<footer>Generated by rldistill. Self-contained: no network access needed to view.</footer>
</main>
<script type="application/json" id="report-data">${inlineJson({ charts })}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}
