/** Reports: one self-contained HTML file and a Markdown summary from run directories. */
export { renderHtml } from "./html.js";
export { loadRun, loadRuns, type RunData, type RunKind } from "./load.js";
export { renderMarkdown } from "./markdown.js";
export {
  type Block,
  buildModel,
  type ChartSeries,
  type ChartSpec,
  type ReportModel,
  type Section,
  type Table,
} from "./model.js";
export { writeDistillRun, writeTrainRun } from "./synthetic-runs.js";
export { type ReportOptions, type WrittenReport, writeReport } from "./write.js";
