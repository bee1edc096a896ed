/**
 * A full disk, simulated by writes that throw ENOSPC (the atomic writer's test hook,
 * RLDISTILL_FAULT_WRITE): one line on stderr, exit code 2, no stack trace, and a folder whose files
 * all load and claim nothing (no summary for a run that could not write one).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startCli } from "../../src/testing/cli-child.js";
import { checkRunFolder } from "./folder-check.js";

const root = mkdtempSync(join(tmpdir(), "rldistill-fault-disk-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function oneLine(stderr: string, re: RegExp): void {
  const lines = stderr.trim().split("\n");
  expect(lines.at(-1)).toMatch(re);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("a full disk", () => {
  it("train: the disk fills up as the summary is written", async () => {
    const out = join(root, "train");
    const r = await startCli(
      [
        "train",
        "--algo",
        "ppo",
        "--env",
        "CartPole-v1",
        "--timesteps",
        "1024",
        "--out",
        out,
        "--quiet",
        "--eval-freq",
        "0",
        "--final-eval-episodes",
        "1",
      ],
      { env: { RLDISTILL_FAULT_WRITE: "ENOSPC:summary.json" } },
    ).done;
    expect(r.code).toBe(2);
    oneLine(r.stderr, /^rldistill train: cannot write .*summary\.json: no space left on device \(ENOSPC\)$/);
    expect(existsSync(join(out, "summary.json"))).toBe(false);
    expect(existsSync(join(out, "model.rldistill"))).toBe(true);
    expect(checkRunFolder(out)).toEqual([]);
  });

  it("distill: the disk fills up mid-run, as a progress row is appended", async () => {
    const out = join(root, "distill");
    const r = await startCli(
      [
        "distill",
        "--teacher",
        "models/cartpole-ppo.rldistill",
        "--env",
        "CartPole-v1",
        "--student",
        "8",
        "--timesteps",
        "20000",
        "--out",
        out,
        "--quiet",
        "--set",
        "evalEpisodes=1",
        "--set",
        "similarityStates=100",
      ],
      { env: { RLDISTILL_FAULT_WRITE: "ENOSPC:progress.jsonl:6" } },
    ).done;
    expect(r.code).toBe(2);
    oneLine(
      r.stderr,
      /^rldistill distill: cannot write .*progress\.jsonl: no space left on device \(ENOSPC\)$/,
    );
    expect(readdirSync(out)).not.toContain("summary.json");
    expect(checkRunFolder(out)).toEqual([]);
  });

  it("a folder that cannot be made (--out under /proc): one line, not a hang", async () => {
    // Node's recursive mkdirSync spins forever where mkdir answers ENOENT under an existing parent.
    const run = startCli([
      "train",
      "--algo",
      "ppo",
      "--env",
      "CartPole-v1",
      "--out",
      "/proc/rldistill-no/run",
    ]);
    const hung = setTimeout(() => run.kill("SIGKILL"), 30_000);
    const r = await run.done;
    clearTimeout(hung);
    expect(r.signal, "the command hung and was killed").toBeNull();
    expect(r.code).toBe(2);
    oneLine(
      r.stderr,
      /^rldistill train: cannot mkdir \/proc\/rldistill-no: no such file or directory \(ENOENT\)$/,
    );
  });
});
