import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { InlineEngine } from "../search/queue/engine.js";
import { search } from "../search/search.js";
import { LINE_ENV, LINE_WORLD_MODULE, TINY_SEARCH, writeLineTeacher } from "../search/testing/line-world.js";
import { main } from "./main.js";
import { searchConfigFromArgs } from "./search.js";

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await main(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const tiny = [
  "--set",
  "maxSteps=800",
  "--set",
  "minSteps=200",
  "--set",
  "eta=2",
  "--seed",
  "1",
  "--set",
  "depths=1",
  "--set",
  "widths=1,2,4,8",
  "--set",
  "trialEpisodes=4",
  "--set",
  "similarityStates=200",
  "--set",
  "confirmSeeds=2",
  "--set",
  "confirmEpisodes=8",
  "--target",
  "retention=0.8,agreement=0.9",
  ...Object.entries(TINY_SEARCH.distill).flatMap(([k, v]) => ["--distill-set", `${k}=${v}`]),
];

describe("rldistill search", () => {
  it("turns flags into one config layer", () => {
    const layer = searchConfigFromArgs({
      env: "CartPole-v1",
      "max-steps": 9000,
      set: ["eta=4"],
      "distill-set": ["method=ppo"],
    });
    expect(layer).toMatchObject({ env: "CartPole-v1", maxSteps: 9000, eta: 4, distill: { method: "ppo" } });
    expect(() => searchConfigFromArgs({ set: ["speed=1"] })).toThrow(/search.speed: unknown option/);
    expect(() => searchConfigFromArgs({ "distill-set": ["loss=3"] })).not.toThrow();
  });

  it("runs, prints the winner, writes the report; --resume reruns nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rldistill-cli-search-"));
    const teacher = writeLineTeacher(dir);
    const out = join(dir, "s");
    const first = await runCli([
      "search",
      "--teacher",
      teacher,
      "--env",
      LINE_ENV,
      "--out",
      out,
      "--workers",
      "0",
      "--quiet",
      ...tiny,
    ]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/winner\s+mlp-\d+-/);
    expect(existsSync(join(out, "report.html"))).toBe(true);
    expect(existsSync(join(out, "student.rldistill"))).toBe(true);
    const again = await runCli(["search", "--resume", out, "--workers", "0", "--quiet", "--no-report"]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/\(0 run now, \d+ from the folder\)/);
  });

  it("refuses bad flags with the field's name", async () => {
    const r = await runCli(["search", "--teacher", "x", "--env", LINE_ENV, "--objective", "flops"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--objective: "flops" is not allowed; allowed: params, bytes, latency/);
    const q = await runCli([
      "search",
      "--teacher",
      "x",
      "--env",
      LINE_ENV,
      "--queue",
      "redis://h:1",
      "--workers",
      "2",
    ]);
    expect(q.code).toBe(2);
    expect(q.err).toMatch(/--workers: with --queue/);
    const h = await runCli(["search", "--help"]);
    expect(h.out).toContain("confirmEpisodes");
  });

  it("Ctrl-C (SIGINT) stops the search, keeps finished trials and exits 130; --resume finishes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rldistill-cli-search-int-"));
    const teacher = writeLineTeacher(dir);
    const out = join(dir, "s");
    const main = fileURLToPath(new URL("./main.ts", import.meta.url));
    // biome-ignore format: flag pairs
    const child = spawn(process.execPath, [
      "--import", "tsx", main, "search", "--teacher", teacher, "--env", LINE_ENV, "--out", out, "--workers", "1",
      "--module", fileURLToPath(LINE_WORLD_MODULE), ...tiny,
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (d) => {
        stdout += d;
        if (/^ {2}mlp-/m.test(stdout)) resolve();
      }),
    );
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/interrupted: \d+ finished trials kept; continue with rldistill search --resume/);
    const cut = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(cut.interrupted).toBe(true);
    expect(cut.trials.length).toBeGreaterThanOrEqual(1);
    const done = await search({ out }, { resume: true, engine: new InlineEngine() });
    expect(done.summary.interrupted).toBe(false);
    expect(done.summary.reused).toBeGreaterThanOrEqual(cut.trials.length);
  });
});
