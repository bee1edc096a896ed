import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConsoleWriter, CsvWriter, JsonlWriter, Logger, truncateProgress } from "./logger.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "rldistill-logger-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("Logger", () => {
  it("writes one JSONL object and one CSV row per dump, widening the CSV header for new keys", () => {
    const dir = tmp();
    const logger = new Logger([
      new JsonlWriter(join(dir, "progress.jsonl")),
      new CsvWriter(join(dir, "progress.csv")),
    ]);
    logger.record("train/loss", 0.5);
    logger.recordMean("rollout/ep_rew_mean", 10);
    logger.recordMean("rollout/ep_rew_mean", 20);
    logger.dump(100);
    logger.dump(150); // nothing recorded: no row
    logger.record("train/loss", 0.25);
    logger.record("eval/mean_reward", 42);
    logger.dump(200);
    logger.close();
    const lines = readFileSync(join(dir, "progress.jsonl"), "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { step: 100, "train/loss": 0.5, "rollout/ep_rew_mean": 15 },
      { step: 200, "train/loss": 0.25, "eval/mean_reward": 42 },
    ]);
    expect(readFileSync(join(dir, "progress.csv"), "utf8")).toBe(
      "step,train/loss,rollout/ep_rew_mean,eval/mean_reward\n100,0.5,15,\n200,0.25,,42\n",
    );
    expect(logger.last).toEqual({ step: 200, "train/loss": 0.25, "eval/mean_reward": 42 });
  });

  it("appends to existing files when resuming", () => {
    const dir = tmp();
    const first = new Logger([new JsonlWriter(join(dir, "p.jsonl")), new CsvWriter(join(dir, "p.csv"))]);
    first.record("a/x", 1);
    first.dump(1);
    const second = new Logger([
      new JsonlWriter(join(dir, "p.jsonl"), { append: true }),
      new CsvWriter(join(dir, "p.csv"), { append: true }),
    ]);
    second.record("a/x", 2);
    second.record("a/y", "s,t");
    second.dump(2);
    expect(readFileSync(join(dir, "p.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    expect(readFileSync(join(dir, "p.csv"), "utf8")).toBe('step,a/x,a/y\n1,1,\n2,2,"s,t"\n');
  });

  it("prints an SB3-style table grouped by namespace", () => {
    const lines: string[] = [];
    const logger = new Logger([new ConsoleWriter((l) => lines.push(l))]);
    logger.record("train/approx_kl", 0.000123);
    logger.record("rollout/ep_rew_mean", 22.5);
    logger.dump(2048);
    const text = lines.join("\n");
    expect(text).toContain("| rollout/");
    expect(text).toMatch(/\|\s+ep_rew_mean\s+\| 22\.5\s+\|/);
    expect(text).toMatch(/\|\s+approx_kl\s+\| 1\.230e-4\s+\|/);
    expect(text).toMatch(/\|\s+total_timesteps\s+\| 2048\s+\|/);
  });
});

describe("truncateProgress", () => {
  it("cuts jsonl and csv logs back to a step, dropping a torn last line", () => {
    const dir = mkdtempSync(join(tmpdir(), "rldistill-trunc-"));
    const jsonl = join(dir, "progress.jsonl");
    writeFileSync(jsonl, '{"step":10,"a":1}\n{"step":20,"a":2}\n{"step":30,"a":3}\n{"step":40,"a"');
    expect(truncateProgress(jsonl, 20)).toBe(2);
    expect(readFileSync(jsonl, "utf8")).toBe('{"step":10,"a":1}\n{"step":20,"a":2}\n');
    const csv = join(dir, "progress.csv");
    writeFileSync(csv, "step,a,b\n10,1,\n20,2,5\n30,3,6\n");
    expect(truncateProgress(csv, 25)).toBe(1);
    expect(readFileSync(csv, "utf8")).toBe("step,a,b\n10,1,\n20,2,5\n");
    expect(truncateProgress(join(dir, "missing.jsonl"), 5)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});
