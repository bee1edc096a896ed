/**
 * Two runs started at once into one folder: one takes the folder, the other is refused in one line
 * naming the holder (or, if it came second, the files already there); the folder holds one run's
 * files only.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadArtifact } from "../../src/nn/checkpoint.js";
import { startCli } from "../../src/testing/cli-child.js";
import { checkRunFolder } from "./folder-check.js";

const root = mkdtempSync(join(tmpdir(), "rldistill-fault-two-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("two runs into one folder", () => {
  it("distill: one runs, the other is refused; nothing mixes", async () => {
    const out = join(root, "shared");
    const args = (seed: number) => [
      "distill",
      "--teacher",
      "models/cartpole-ppo.rldistill",
      "--env",
      "CartPole-v1",
      "--student",
      "8",
      "--timesteps",
      "2000",
      "--seed",
      String(seed),
      "--out",
      out,
      "--quiet",
      "--no-report",
      "--set",
      "evalEpisodes=1",
      "--set",
      "similarityStates=100",
      "--set",
      "finalEpisodes=2",
    ];
    const runs = await Promise.all([startCli(args(1)).done, startCli(args(2)).done]);
    const codes = runs.map((r) => r.code).sort();
    expect(codes, runs.map((r) => r.stderr).join("\n")).toEqual([0, 2]);
    const refused = runs.find((r) => r.code === 2)!;
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /shared (is in use by pid \d+ on .*|already holds files .*--resume .*--overwrite)/,
    );
    expect(checkRunFolder(out)).toEqual([]);
    // Every file is the winner's: config, summary and student name the same seed.
    const winner = runs.findIndex((r) => r.code === 0) === 0 ? 1 : 2;
    const json = (f: string) => JSON.parse(readFileSync(join(out, f), "utf8"));
    expect(json("config.json").seed).toBe(winner);
    expect(json("summary.json").seed).toBe(winner);
    expect(loadArtifact(join(out, "student.rldistill")).meta?.seed).toBe(winner);
  });

  it("train: the same", async () => {
    const out = join(root, "train");
    const args = (seed: number) => [
      "train",
      "--algo",
      "ppo",
      "--env",
      "CartPole-v1",
      "--timesteps",
      "2048",
      "--seed",
      String(seed),
      "--out",
      out,
      "--quiet",
      "--no-report",
      "--eval-freq",
      "0",
      "--final-eval-episodes",
      "1",
    ];
    const runs = await Promise.all([startCli(args(1)).done, startCli(args(2)).done]);
    expect(runs.map((r) => r.code).sort(), runs.map((r) => r.stderr).join("\n")).toEqual([0, 2]);
    expect(checkRunFolder(out)).toEqual([]);
    const winner = runs.findIndex((r) => r.code === 0) === 0 ? 1 : 2;
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).seed).toBe(winner);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).seed).toBe(winner);
  });
});
