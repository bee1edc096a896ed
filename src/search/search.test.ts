import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openRunFolder } from "../core/run-dir.js";
import { loadPolicy } from "../nn/checkpoint.js";
import { writeReport } from "../report/write.js";
import { InlineEngine } from "./queue/engine.js";
import { ThreadEngine } from "./queue/threads.js";
import { search } from "./search.js";
import { LINE_WORLD_MODULE, TINY_SEARCH, writeLineTeacher } from "./testing/line-world.js";

const tmp = () => mkdtempSync(join(tmpdir(), "rldistill-search-"));

/** Keys and figures of every trial, in key order: what must not depend on the engine. */
const fingerprint = (trials: Array<{ key: string; retention: number | null; agreement: number | null }>) =>
  trials.map((t) => `${t.key} ${t.retention} ${t.agreement}`);

describe("search", () => {
  it("finds a small student that meets the target and writes a complete run folder and report", async () => {
    const dir = tmp();
    const teacher = writeLineTeacher(dir);
    const out = join(dir, "s");
    const lines: string[] = [];
    const { summary } = await search(
      { ...TINY_SEARCH, teacher, out, seed: 1 },
      { engine: new InlineEngine(), print: (l) => lines.push(l) },
    );
    expect(summary.interrupted).toBe(false);
    // Hyperband with max/min = 4, eta 2: brackets s = 2, 1, 0 with 3 + 2 + 1 rungs.
    expect(summary.plan.brackets.map((b) => b.rungs.length)).toEqual([3, 2, 1]);
    const w = summary.winner!;
    expect(w).not.toBeNull();
    // The confirmation is real: its mean figures meet the target.
    expect(w.retention!).toBeGreaterThanOrEqual(0.8);
    expect(w.agreement!).toBeGreaterThanOrEqual(0.9);
    // The winner is the smallest full-budget trial that met the target.
    const passing = summary.trials.filter(
      (t) => t.role === "search" && t.steps === 800 && t.retention! >= 0.8 && t.agreement! >= 0.9,
    );
    expect(w.params).toBe(Math.min(...passing.map((t) => t.sizes.params)));
    expect(w.share).toBeCloseTo(w.params / 22, 10);
    expect(summary.confirmations.at(-1)!.passed).toBe(true);
    expect(summary.confirmations.at(-1)!.keys.length).toBe(2);
    // Every trial has its own distill run folder and a result.
    for (const t of summary.trials) {
      for (const f of ["result.json", "summary.json", "student.rldistill", "config.json"])
        expect(existsSync(join(out, "trials", t.key, f))).toBe(true);
    }
    expect(summary.executed).toBe(summary.trials.length);
    const { spec } = loadPolicy(join(out, "student.rldistill"));
    expect(spec.layers[0]!.kind === "dense" && spec.layers[0]!.outSize).toBe(w.candidate.hidden[0]);
    expect(summary.pareto.retention.length).toBeGreaterThan(0);
    const state = JSON.parse(readFileSync(join(out, "state.json"), "utf8"));
    expect(state.brackets[0].rungs.map((r: { steps: number }) => r.steps)).toEqual([200, 400, 800]);
    expect(lines.some((l) => l.includes("confirmation of"))).toBe(true);

    const { html, markdown } = writeReport([out], join(out, "report.html"));
    const page = readFileSync(html, "utf8");
    expect(page).toContain("Architecture search");
    expect(page).toContain("retention against size");
    expect(page).toContain(w.id);
    expect(readFileSync(markdown, "utf8")).toContain("Architecture search");
  });

  it("gives the same trials and winner inline and on 2 worker threads", async () => {
    const dir = tmp();
    const teacher = writeLineTeacher(dir);
    const cfg = { ...TINY_SEARCH, teacher, seed: 2, brackets: 1 };
    const a = await search({ ...cfg, out: join(dir, "a") }, { engine: new InlineEngine() });
    const engine = new ThreadEngine({ workers: 2, modules: [LINE_WORLD_MODULE] });
    try {
      const b = await search({ ...cfg, out: join(dir, "b") }, { engine });
      expect(fingerprint(b.summary.trials)).toEqual(fingerprint(a.summary.trials));
      expect(b.summary.winner?.id).toBe(a.summary.winner?.id);
      expect(new Set(b.summary.trials.map((t) => t.worker)).size).toBeGreaterThan(1);
    } finally {
      await engine.close();
    }
  });

  it("stops when aborted, keeps finished trials, and a resume runs only the rest", async () => {
    const dir = tmp();
    const teacher = writeLineTeacher(dir);
    const cfg = { ...TINY_SEARCH, teacher, seed: 3, brackets: 1 };
    const whole = await search({ ...cfg, out: join(dir, "whole") }, { engine: new InlineEngine() });

    const out = join(dir, "cut");
    const controller = new AbortController();
    let seen = 0;
    const first = await search(
      { ...cfg, out },
      {
        engine: new InlineEngine(),
        signal: controller.signal,
        print: (l) => {
          if (l.startsWith("  mlp-") && ++seen === 3) controller.abort();
        },
      },
    );
    expect(first.summary.interrupted).toBe(true);
    expect(first.summary.trials.length).toBe(3);
    expect(first.summary.winner).toBeNull();
    // The same folder without --resume is refused rather than overwritten.
    await expect(search({ ...cfg, out }, { engine: new InlineEngine() })).rejects.toThrow(/--resume/);

    const second = await search({ out }, { engine: new InlineEngine(), resume: true });
    expect(second.summary.interrupted).toBe(false);
    expect(second.summary.executed).toBe(whole.summary.trials.length - 3);
    expect(fingerprint(second.summary.trials)).toEqual(fingerprint(whole.summary.trials));
    expect(second.summary.winner?.id).toBe(whole.summary.winner?.id);
  });

  it("refuses bad input before any work, naming the field", async () => {
    const dir = tmp();
    const teacher = writeLineTeacher(dir);
    const base = { ...TINY_SEARCH, teacher, out: join(dir, "x") };
    const run = (extra: object) => search({ ...base, ...extra }, { engine: new InlineEngine() });
    await expect(run({ target: "retention=0.9,speed=3" })).rejects.toThrow(/target: unknown metric "speed"/);
    await expect(run({ kinds: "conv" })).rejects.toThrow(
      /conv students cannot be searched here: observations of shape \[2\] are not images/,
    );
    await expect(run({ objective: "flops" })).rejects.toThrow(/search.objective/);
    await expect(run({ widths: [0, 4] })).rejects.toThrow(/search.widths/);
    await expect(run({ distill: { student: [4] } })).rejects.toThrow(/distill.student: is set by the search/);
    await expect(run({ distill: { method: "nope" } })).rejects.toThrow(/method/);
    expect(existsSync(join(dir, "x", "search.json"))).toBe(false);
    // A folder another live run holds (src/core's run.lock) is refused, naming the holder.
    const held = openRunFolder(join(dir, "held"), { mode: "add", command: "another run" });
    try {
      await expect(
        search({ ...base, out: join(dir, "held") }, { engine: new InlineEngine() }),
      ).rejects.toThrow(/is in use by another run of this process \(another run/);
    } finally {
      held.release();
    }
  });

  it("minimises the chosen objective: bytes (int8 counts 1 per weight) or measured latency", async () => {
    const dir = tmp();
    const teacher = writeLineTeacher(dir);
    const cfg = { ...TINY_SEARCH, minSteps: 400, brackets: 1, teacher, seed: 2 };
    const bytes = await search(
      { ...cfg, objective: "bytes", out: join(dir, "bytes") },
      { engine: new InlineEngine() },
    );
    const w = bytes.summary.winner!;
    expect(w.size).toBe(w.bytes);
    const passing = bytes.summary.trials.filter(
      (t) => t.role === "search" && t.steps === 800 && t.retention! >= 0.8 && t.agreement! >= 0.9,
    );
    expect(w.bytes).toBe(Math.min(...passing.map((t) => t.sizes.bytes)));
    const lat = await search(
      { ...cfg, objective: "latency", out: join(dir, "lat") },
      { engine: new InlineEngine() },
    );
    const measured = JSON.parse(readFileSync(join(dir, "lat", "latency.json"), "utf8"));
    for (const t of lat.summary.trials) expect(t.sizes.latencyUs).toBe(measured[t.id]);
    expect(lat.summary.winner?.size).toBe(measured[lat.summary.winner!.id]);
  });
});
