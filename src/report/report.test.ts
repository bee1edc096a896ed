import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ArtifactError } from "../core/errors.js";
import { fmt, fmtBytes, fmtPct, fmtSI } from "./format.js";
import { escapeHtml, inlineJson, renderHtml } from "./html.js";
import { loadRun, loadRuns, parseProgress } from "./load.js";
import { markdownTable, renderMarkdown } from "./markdown.js";
import { type Block, buildModel } from "./model.js";
import { thin } from "./sections-charts.js";
import { writeDistillRun, writeTrainRun } from "./synthetic-runs.js";
import { writeReport } from "./write.js";

const tmp = mkdtempSync(join(tmpdir(), "rldistill-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function summaryOnly(dir: string, summary: object): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "summary.json"), JSON.stringify(summary));
  return dir;
}

describe("loading run directories", () => {
  it("keeps numeric progress fields, skips lines without a step and a truncated last line", () => {
    const rows = parseProgress(
      [
        '{"step": 1, "train/loss": 0.5, "note": "x", "eval/mean_return": null}',
        "",
        '{"train/loss": 0.4}',
        '{"step": 3, "train/loss": 0.3}',
        '{"step": 4, "train/lo',
        "",
      ].join("\n"),
    );
    expect(rows).toEqual([
      { step: 1, "train/loss": 0.5 },
      { step: 3, "train/loss": 0.3 },
    ]);
  });

  it("refuses a corrupt line before the last one, naming the file and the line", () => {
    const text = ['{"step": 1, "a": 1}', '{"step": 2, "a"', '{"step": 3, "a": 3}'].join("\n");
    expect(() => parseProgress(text, "runs/x/progress.jsonl")).toThrow(ArtifactError);
    expect(() => parseProgress(text, "runs/x/progress.jsonl")).toThrow(
      /runs\/x\/progress\.jsonl, line 2: not valid JSON/,
    );
    expect(() => parseProgress('{"step": 1}\n[1, 2]\n{"step": 3}')).toThrow(
      /progress\.jsonl, line 2: expected a JSON object/,
    );
    // Through loadRun, the error names the file on disk.
    const dir = writeTrainRun(join(tmp, "corrupt"));
    const lines = readFileSync(join(dir, "progress.jsonl"), "utf8").split("\n");
    lines[3] = lines[3]!.slice(0, 20);
    writeFileSync(join(dir, "progress.jsonl"), lines.join("\n"));
    expect(() => loadRun(dir)).toThrow(
      new RegExp(`${join(dir, "progress.jsonl").replace(/[/.]/g, "\\$&")}, line 4`),
    );
  });

  it("requires summary.json, names the file, and detects the run kind", () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty, { recursive: true });
    expect(() => loadRun(empty)).toThrow(/summary\.json/);
    expect(() => loadRun(join(tmp, "nope"))).toThrow(/not a directory/);
    expect(loadRun(writeTrainRun(join(tmp, "t")))).toMatchObject({ kind: "train", name: "t" });
    const d = loadRun(writeDistillRun(join(tmp, "d")));
    expect(d.kind).toBe("distill");
    expect(d.progress).toHaveLength(40);
    expect(d.evalFile).not.toBeNull();
    writeFileSync(join(empty, "summary.json"), "{oops");
    expect(() => loadRun(empty)).toThrow(/not valid JSON/);
  });

  it("makes clashing directory names unique with the parent directory", () => {
    const a = summaryOnly(join(tmp, "a", "run"), { algo: "ppo" });
    const b = summaryOnly(join(tmp, "b", "run"), { algo: "dqn" });
    expect(loadRuns([a, b]).map((r) => r.name)).toEqual(["a/run", "b/run"]);
    expect(() => loadRuns([])).toThrow(/runDirs/);
  });
});

describe("report model", () => {
  it("shows only what a run has: a bare summary gives just the overview", () => {
    const dir = summaryOnly(join(tmp, "bare"), {
      algo: "dqn",
      env: "CartPole-v1",
      eval: { mean_return: 9.5 },
    });
    const model = buildModel(loadRuns([dir]));
    expect(model.sections.map((s) => s.id)).toEqual(["overview"]);
    const row = (model.sections[0]!.blocks[0] as { table: { rows: string[][] } }).table.rows[0]!;
    expect(row.slice(0, 4)).toEqual(["bare", "train", "CartPole-v1", "dqn"]);
    expect(row[6]).toBe("9.50");
  });

  it("has every section for train + distill runs, with teacher and student side by side", () => {
    const runs = loadRuns([writeTrainRun(join(tmp, "m1")), writeDistillRun(join(tmp, "m2"))]);
    const model = buildModel(runs);
    // The story first: headline, (episodes,) against the teacher, robustness; then tables and curves.
    expect(model.sections.map((s) => s.id)).toEqual([
      "headline",
      "checkpoints",
      "robustness",
      "policies",
      "overview",
      "evaluation",
      "learning",
      "config",
    ]);
    const policies = model.sections.find((s) => s.id === "policies")!;
    const rows = (policies.blocks[0] as { table: { rows: string[][] } }).table.rows;
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ["m2", "teacher", "4,610"],
      ["m2", "student", "386"],
    ]);
    expect(rows[1]).toContain("96.2%");
    // Inference paths x batch, teacher and student side by side.
    const inference = policies.blocks.find(
      (b) => b.kind === "table" && b.table.caption?.startsWith("Inference"),
    );
    const inf = (inference as { table: { columns: string[]; rows: string[][] } }).table;
    expect(inf.columns.slice(0, 5)).toEqual([
      "Path",
      "Batch",
      "teacher p50 (µs)",
      "teacher p99 (µs)",
      "teacher µs / sample",
    ]);
    expect(inf.columns[5]).toBe("student p50 (µs)");
    expect(inf.rows.map((r) => r.slice(0, 2))).toEqual([
      ["float32-forward", "1"],
      ["float32-forward", "64"],
      ["tfjs (wasm)", "1"],
      ["tfjs (wasm)", "64"],
      ["onnxruntime", "1"],
      ["onnxruntime", "64"],
    ]);
    expect(inf.rows[1]!.slice(2, 5)).toEqual(["304", "760", "5.70"]);
    const learning = model.sections.find((s) => s.id === "learning")!;
    const charts = learning.blocks.flatMap((b) => (b.kind === "charts" ? b.charts : []));
    // rollout before eval before train before distill; returns, agreement and losses lead a group.
    expect(charts.map((c) => c.title)).toEqual([
      "rollout/ep_rew_mean",
      "eval/mean_return",
      "train/loss",
      "train/entropy",
      "distill/agreement",
      "distill/loss",
      "schedule/beta",
    ]);
    expect(charts[0]!.series.map((s) => s.points.length)).toEqual([25]);
    expect(charts[0]!.runs).toEqual(["m1"]);
    // Constant and bookkeeping series are folded away, constants as a table of their values.
    const fold = learning.blocks.find((b) => b.kind === "details") as Extract<Block, { kind: "details" }>;
    expect(fold.summary).toBe("All metrics: 5 more (1 constant, 4 bookkeeping)");
    const constants = fold.blocks.find((b) => b.kind === "table") as Extract<Block, { kind: "table" }>;
    expect(constants.table.rows).toEqual([["schedule/tau", "–", "1"]]);
    const folded = fold.blocks.flatMap((b) => (b.kind === "charts" ? b.charts.map((c) => c.title) : []));
    expect(folded).toEqual(["rollout/buffer_size", "train/updates", "time/fps", "time/progress"]);
    const robust = model.sections.find((s) => s.id === "robustness")!;
    const rcharts = robust.blocks.flatMap((b) => (b.kind === "charts" ? b.charts : []));
    expect(rcharts.map((c) => c.marker?.x)).toEqual([0, 0, 0.5]);
    expect(rcharts[2]!.series.map((s) => s.name)).toEqual(["teacher", "student"]);
  });

  it("marks a skipped inference path and gives its reason", () => {
    const dir = writeDistillRun(join(tmp, "skip"));
    const file = JSON.parse(readFileSync(join(dir, "eval.json"), "utf8"));
    for (const p of Object.values(file.policies) as { inference: { paths: object[] } }[])
      p.inference.paths[2] = {
        path: "onnxruntime",
        skipped: "onnxruntime-node is not installed",
        latency: [],
        maxAbsDiff: null,
      };
    writeFileSync(join(dir, "eval.json"), JSON.stringify(file));
    const md = renderMarkdown(buildModel(loadRuns([dir])));
    expect(md).toContain("| onnxruntime | – | skipped | – | – | skipped | – | – |");
    expect(md).toContain("teacher: onnxruntime skipped: onnxruntime-node is not installed");
  });

  it("thins long series evenly and keeps both ends", () => {
    const pts = Array.from({ length: 1000 }, (_, i): [number, number] => [i, i * 2]);
    const t = thin(pts, 100);
    expect(t).toHaveLength(100);
    expect(t[0]).toEqual([0, 0]);
    expect(t[99]).toEqual([999, 1998]);
  });
});

describe("rendering", () => {
  it("escapes every string put into HTML, including inside the inlined JSON", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;");
    const json = inlineJson({ s: "</script><script>alert(1)</script>\u2028" });
    expect(json).not.toMatch(/<|>|\u2028/);
    expect(JSON.parse(json)).toEqual({ s: "</script><script>alert(1)</script>\u2028" });
  });

  it("writes one self-contained HTML file and a Markdown summary beside it", () => {
    const evil = summaryOnly(join(tmp, "evil<img src=x onerror=alert(1)>"), { algo: "<b>ppo</b>" });
    const runs = [writeTrainRun(join(tmp, "w1")), writeDistillRun(join(tmp, "w2")), evil];
    const out = writeReport(runs, join(tmp, "out", "report.html"));
    expect(out.markdown).toBe(join(tmp, "out", "report.md"));
    const html = readFileSync(out.html, "utf8");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<b>ppo</b>");
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&#60;b&#62;ppo&#60;/b&#62;");
    // No external resources: no src/href pointing anywhere but in-page anchors.
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|href)\s*=\s*(?!["']?#)/i);
    expect(html).toMatch(/<a href="#overview">/);
    expect(html.match(/<script/g)).toHaveLength(2);
    const md = readFileSync(out.markdown, "utf8");
    expect(md).toContain("## Teacher vs student");
    expect(md).toContain(
      "| w2 | student | 386 | 704 | 1.5 KiB | 542 B | 1.20 | 3.10 | 487.5 ± 21.3 | 96.2% | 0.0213 |",
    );
    expect(md).toContain("| rollout/ep_rew_mean |");
    expect(md).toContain("**Inference latency: w2**");
    expect(md).toContain("| tfjs (wasm) | 64 | 53 | 132.5 | 0.994 | 13.3 | 33.1 | 0.248 |");
    expect(() => writeReport(runs, join(tmp, "report.txt"))).toThrow(/\.html/);
    expect(existsSync(join(tmp, "report.txt"))).toBe(false);
  });

  it("renders Markdown tables with escaped pipes and right-aligned numbers", () => {
    const t = markdownTable({
      columns: ["a|b", "n"],
      numeric: [false, true],
      rows: [["x|y", "1"]],
      highlight: [true],
    });
    expect(t).toBe("| a\\|b | n |\n| --- | ---: |\n| **x\\|y** | 1 |");
    const md = renderMarkdown(buildModel(loadRuns([writeTrainRun(join(tmp, "md"))])));
    expect(md.startsWith("# rldistill report\n")).toBe(true);
    const html = renderHtml(buildModel(loadRuns([writeTrainRun(join(tmp, "md"))])));
    expect(html).toContain('data-chart="chart-1"');
  });

  it("formats numbers for tables", () => {
    expect([fmt(4610), fmt(487.46), fmt(9.5), fmt(0.02134), fmt(-1234.5), fmt(undefined)]).toEqual([
      "4,610",
      "487.5",
      "9.50",
      "0.0213",
      "-1,235",
      "–",
    ]);
    expect([fmtPct(0.9621), fmtBytes(542), fmtBytes(18440), fmtSI(8960), fmtSI(2.5e6)]).toEqual([
      "96.2%",
      "542 B",
      "18.0 KiB",
      "8.96 k",
      "2.5 M",
    ]);
  });
});
