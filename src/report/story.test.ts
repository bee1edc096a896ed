/**
 * The sections a report opens with (headline figures, episodes side by side) and how runs stay
 * apart in comparisons. GIFs are real: recorded from CartPole with src/eval's recorder.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Policy } from "../core/policy.js";
import { recordEpisodes } from "../eval/record.js";
import { MISSING } from "./format.js";
import { renderHtml } from "./html.js";
import { loadRuns } from "./load.js";
import { renderMarkdown } from "./markdown.js";
import { type Block, buildModel, type ReportModel } from "./model.js";
import { writeDistillRun, writeTrainRun } from "./synthetic-runs.js";

const tmp = mkdtempSync(join(tmpdir(), "rldistill-story-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const balance: Policy = {
  act: (o: Float32Array) => (o[2]! + 0.5 * o[3]! + 0.01 * o[0]! + 0.1 * o[1]! > 0 ? 1 : 0),
};
const left: Policy = { act: () => 0 };
const gifs = {
  teacher: recordEpisodes(balance, "CartPole-v1", { seed: 0, maxFrames: 20 }).gif,
  student: recordEpisodes(left, "CartPole-v1", { seed: 0, maxFrames: 20 }).gif,
};

function blocks<K extends Block["kind"]>(
  model: ReportModel,
  section: string,
  kind: K,
): Extract<Block, { kind: K }>[] {
  const s = model.sections.find((x) => x.id === section);
  return (s?.blocks ?? []).filter((b): b is Extract<Block, { kind: K }> => b.kind === kind);
}

describe("headline panel", () => {
  it("shows size ratio, retention, agreement, speed-up and int8 bytes, eval.json first", () => {
    const model = buildModel(loadRuns([writeDistillRun(join(tmp, "h-eval"))]));
    expect(model.sections[0]!.id).toBe("headline");
    const [panel] = blocks(model, "headline", "headline");
    expect(panel!.cards.map((c) => [c.label, c.value])).toEqual([
      ["Size", "8.4%"],
      ["Retention", "97.3%"],
      ["Agreement", "96.2%"],
      ["Speed-up", "3.8×"],
      ["int8 student", "542 B"],
    ]);
    expect(panel!.cards[0]!.detail).toBe("of the teacher's parameters: 386 vs 4,610, 11.9× fewer");
    expect(panel!.cards[3]!.detail).toMatch(/1\.20 vs 4\.60 µs.*\(eval\.json\)/);
  });

  it("a run fresh from distill takes its figures from headline.json: no dash", () => {
    const model = buildModel(loadRuns([writeDistillRun(join(tmp, "h-only"), { noEval: true })]));
    const [panel] = blocks(model, "headline", "headline");
    expect(panel!.cards.map((c) => c.value)).toEqual(["8.4%", "97.3%", "96.2%", "4.0×", "542 B"]);
    expect(panel!.cards[3]!.detail).toMatch(/1\.10 vs 4\.40 µs.*\(headline\.json\)/);
    // The teacher vs student table is complete too.
    const [table] = blocks(model, "policies", "table");
    for (const row of table!.table.rows.slice(0, 2)) expect(row.slice(2, 8), row[1]).not.toContain(MISSING);
  });

  it("says what was not measured in an old run folder without headline.json", () => {
    const dir = writeDistillRun(join(tmp, "h-old"), { noEval: true });
    rmSync(join(dir, "headline.json"));
    const [panel] = blocks(buildModel(loadRuns([dir])), "headline", "headline");
    expect(panel!.cards.map((c) => c.value)).toEqual(["8.4%", "97.3%", "96.2%", MISSING, MISSING]);
    expect(panel!.cards[3]!.detail).toMatch(
      /not measured: this run folder has no headline\.json or eval\.json/,
    );
  });

  it("train runs have no headline", () => {
    expect(buildModel(loadRuns([writeTrainRun(join(tmp, "h-train"))])).sections[0]!.id).toBe("overview");
  });
});

describe("episodes", () => {
  it("embeds teacher and student GIFs as data: URIs, teacher first, with what each episode did", () => {
    const dir = writeDistillRun(join(tmp, "e1"), {
      videos: { student: gifs.student, teacher: gifs.teacher },
    });
    const model = buildModel(loadRuns([dir]));
    expect(model.sections.map((s) => s.id).slice(0, 2)).toEqual(["headline", "episodes"]);
    const [videos] = blocks(model, "episodes", "videos");
    expect(videos!.videos.map((v) => [v.name, v.width, v.height, v.caption])).toEqual([
      ["teacher", 600, 400, "teacher: return 500, 500 steps"],
      ["student", 600, 400, "student: return 487, 487 steps"],
    ]);
    const src = videos!.videos[0]!.src;
    expect(src.startsWith("data:image/gif;base64,")).toBe(true);
    expect(Buffer.compare(Buffer.from(src.slice(22), "base64"), gifs.teacher)).toBe(0);
    const notes = blocks(model, "episodes", "note").map((n) => n.text);
    expect(notes).toEqual([
      "e1: greedy episodes from the same start (seed 201000; the first episode an evaluation with this seed runs).",
    ]);

    const html = renderHtml(model);
    expect(html.match(/<img src="data:image\/gif;base64,/g)).toHaveLength(2);
    expect(html.indexOf('data-policy="teacher"')).toBeLessThan(html.indexOf('data-policy="student"'));
    // Nothing but in-page anchors and the embedded images: the file stands alone.
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|href)\s*=\s*(?!["']?(#|data:image\/gif;base64,))/i);
    const md = renderMarkdown(model);
    expect(md).toContain(`![teacher: return 500, 500 steps](<${join(dir, "teacher.gif")}>)`);
    expect(md).toContain("| Speed-up | 3.8× |");
  });

  it("finds teacher.gif / student.gif without videos.json, and skips files that are not GIFs", () => {
    const dir = join(tmp, "e2");
    writeDistillRun(dir, { noEval: true });
    writeFileSync(join(dir, "teacher.gif"), gifs.teacher);
    writeFileSync(join(dir, "student.gif"), "not a gif");
    const model = buildModel(loadRuns([dir]));
    expect(blocks(model, "episodes", "videos")[0]!.videos.map((v) => v.caption)).toEqual(["teacher"]);
    expect(blocks(model, "episodes", "note").map((n) => n.text)).toEqual([
      "e2: not GIF files, left out: student.gif.",
    ]);
  });

  it("says why a run has no GIFs", () => {
    const dir = writeDistillRun(join(tmp, "e3"), { noEval: true });
    writeFileSync(
      join(dir, "videos.json"),
      JSON.stringify({
        seed: 0,
        videos: {},
        skipped: "LineWorld-v0 cannot render (no render()), so no GIF was written",
      }),
    );
    const model = buildModel(loadRuns([dir]));
    expect(blocks(model, "episodes", "videos")).toEqual([]);
    expect(blocks(model, "episodes", "note")[0]!.text).toMatch(/^e3: LineWorld-v0 cannot render/);
  });
});

describe("comparisons of several runs", () => {
  it("give each run its own colour and line style in every chart, and name the runs", () => {
    mkdirSync(join(tmp, "cmp"), { recursive: true });
    const a = writeDistillRun(join(tmp, "cmp", "a"));
    const b = writeDistillRun(join(tmp, "cmp", "b"));
    const model = buildModel(loadRuns([a, b]));
    for (const section of ["learning", "checkpoints"]) {
      for (const chart of blocks(model, section, "charts").flatMap((x) => x.charts)) {
        expect(chart.runs, chart.title).toEqual(["a", "b"]);
        const lines = chart.series.filter((s) => !s.reference);
        expect(
          lines.map((s) => [s.color, s.style]),
          chart.title,
        ).toEqual([
          [0, 0],
          [1, 1],
        ]);
      }
    }
    // The teacher's return is a reference line per run, in the run's colour.
    const [ret] = blocks(model, "checkpoints", "charts")[0]!.charts;
    expect(ret!.series.filter((s) => s.reference).map((s) => [s.name, s.color])).toEqual([
      ["a teacher", 0],
      ["b teacher", 1],
    ]);
    // Robustness: colour per run, style per policy.
    const rob = blocks(model, "robustness", "charts")[0]!.charts[0]!;
    expect(rob.series.map((s) => [s.name, s.color, s.style])).toEqual([
      ["a teacher", 0, 0],
      ["a student", 0, 1],
      ["b teacher", 1, 0],
      ["b student", 1, 1],
    ]);
    expect(blocks(model, "headline", "headline").map((h) => [h.run, h.color])).toEqual([
      ["a", 0],
      ["b", 1],
    ]);
    expect(readFileSync(join(a, "summary.json"), "utf8")).toContain("student");
  });
});
