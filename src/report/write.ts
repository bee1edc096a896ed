/**
 * `writeReport(runDirs, outFile)`: one self-contained HTML report comparing the runs, plus a
 * Markdown summary beside it (`report.html` -> `report.md`). What the CLI's `report` command calls.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import { renderHtml } from "./html.js";
import { loadRuns } from "./load.js";
import { renderMarkdown } from "./markdown.js";
import { buildModel } from "./model.js";

export interface ReportOptions {
  /** Page title. Default "rldistill report". */
  title?: string;
}

export interface WrittenReport {
  html: string;
  markdown: string;
}

export function writeReport(
  runDirs: readonly string[],
  outFile: string,
  opts: ReportOptions = {},
): WrittenReport {
  const ext = extname(outFile).toLowerCase();
  if (ext !== ".html" && ext !== ".htm") throw new ConfigError("out", `must end in .html, got ${outFile}`);
  const model = buildModel(loadRuns(runDirs), opts.title);
  const html = resolve(outFile);
  const markdown = html.slice(0, -ext.length) + ".md";
  mkdirSync(dirname(html), { recursive: true });
  writeFileSync(html, renderHtml(model));
  writeFileSync(markdown, renderMarkdown(model));
  return { html, markdown };
}
