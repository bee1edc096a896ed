/**
 * Ctrl-C for every long command, through a real child process: SIGINT at a random point (seeded:
 * the same points every run), then exit code 130, the time from the signal to the exit, and a run
 * folder whose files all load and claim nothing that did not happen. A second Ctrl-C exits at
 * once. (Timing figures are printed; the bound asserted is loose, the machine is shared: the
 * claim "within a second" rests on the printed figures and bench/interrupt.ts.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/core/rng.js";
import { type CliResult, progressRows, startCli } from "../../src/testing/cli-child.js";
import { checkRunFolder } from "./folder-check.js";

const root = mkdtempSync(join(tmpdir(), "rldistill-fault-int-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const rng = new Rng(16); // the interruption points, the same in every run
const CARTPOLE_PPO = "models/cartpole-ppo.rldistill";
/** Generous: the suite runs beside everything else on 2 shared cores. */
const EXIT_BOUND_MS = 15_000;

/**
 * Starts `args`, waits for the line that says the work began (`built:`; eval: `evaluating`), a
 * random delay, then SIGINT.
 */
async function interruptAt(args: string[], maxDelayMs: number): Promise<CliResult & { delay: number }> {
  const run = startCli(args);
  await run.waitFor(() => /^(built:|evaluating )/m.test(run.stdout()));
  const delay = Math.floor(rng.random() * maxDelayMs);
  await new Promise((r) => setTimeout(r, delay));
  run.interrupt();
  const result = await run.done;
  console.log(
    `  ${args[0]} interrupted ${delay} ms after start: exit ${result.code} in ${result.msToExit!.toFixed(0)} ms`,
  );
  return { ...result, delay };
}

function expectStopped(r: CliResult, out: string): void {
  expect(r.code, r.stderr).toBe(130);
  expect(r.msToExit!).toBeLessThan(EXIT_BOUND_MS);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(checkRunFolder(out)).toEqual([]);
}

const summaryOf = (out: string) => JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));

describe("Ctrl-C stops every long command, saves what it has and exits 130", () => {
  it("train (PPO and DQN): the model and a summary that says interrupted", async () => {
    for (const algo of ["ppo", "dqn"]) {
      const out = join(root, `train-${algo}`);
      const r = await interruptAt(
        [
          "train",
          "--algo",
          algo,
          "--env",
          "CartPole-v1",
          "--timesteps",
          "10000000",
          "--out",
          out,
          "--quiet",
          "--set",
          "hiddenSizes=32,32",
          "--eval-freq",
          "0",
          "--checkpoint-freq",
          "2000",
        ],
        1500,
      );
      expectStopped(r, out);
      const s = summaryOf(out);
      expect(s.interrupted).toBe(true);
      expect(s.num_timesteps).toBeLessThan(10_000_000);
      expect(r.stdout).toMatch(new RegExp(`continue with: rldistill train --resume ${out}`));
      expect(readdirSync(out)).toContain("report.html");
    }
  });

  it("distill (policy and ppo methods): the student and a summary without unmeasured figures", async () => {
    for (const method of ["policy", "ppo"]) {
      const out = join(root, `distill-${method}`);
      const r = await interruptAt(
        [
          "distill",
          "--teacher",
          CARTPOLE_PPO,
          "--env",
          "CartPole-v1",
          "--method",
          method,
          "--student",
          "16",
          "--timesteps",
          "10000000",
          "--out",
          out,
          "--set",
          "finalEpisodes=3",
          "--set",
          "evalEvery=0.00002",
          "--set",
          "evalEpisodes=2",
          "--set",
          "similarityStates=500",
        ],
        2500,
      );
      expectStopped(r, out);
      if (readdirSync(out).includes("summary.json")) {
        expect(summaryOf(out)).toMatchObject({ interrupted: true, retention: null, agreement: null });
        expect(readdirSync(out)).toContain("report.html");
        expect(r.stdout).toMatch(/continue with: rldistill distill --resume/);
      } else {
        // Stopped while the teacher was still being evaluated: nothing trained, nothing claimed.
        expect(r.stderr).toMatch(/interrupted/);
        expect(readdirSync(out).sort()).toEqual(["config.json", "progress.jsonl"]);
      }
    }
  });

  it("quickstart", async () => {
    const out = join(root, "quickstart");
    const r = await interruptAt(["quickstart", "--out", out, "--timesteps", "10000000"], 2000);
    expectStopped(r, out);
  });

  it("eval with the robustness suite: eval.json keeps the perturbations finished", async () => {
    const out = join(root, "eval");
    const r = await interruptAt(
      [
        "eval",
        "--model",
        CARTPOLE_PPO,
        "--episodes",
        "20",
        "--robustness",
        "--robustness-episodes",
        "30",
        "--no-latency-paths",
        "--out",
        out,
      ],
      2500,
    );
    expectStopped(r, out);
    const file = JSON.parse(readFileSync(join(out, "eval.json"), "utf8"));
    expect(file.interrupted).toBe(true);
  });

  it("federated: finished rounds kept, and no crash on the way out", async () => {
    // Ctrl-C here used to end in "Session already disposed" (a teacher's onnxruntime session
    // released twice) thrown through tfjs-wasm's handler: exit code 7 and a screen of minified code.
    const out = join(root, "federated");
    const client = (length: string) => `length=${length}@${CARTPOLE_PPO}`;
    // biome-ignore format: flag pairs
    const run = startCli([
      "federated", "--env", "CartPole-v1", "--client", client("0.5"), "--client", client("0.6"), "--rounds", "100",
      "--local-steps", "2048", "--workers", "0", "--student", "8", "--out", out,
    ]);
    await run.waitFor(() => /^round 1:/m.test(run.stdout()));
    run.interrupt();
    const r = await run.done;
    console.log(`  federated interrupted after round 1: exit ${r.code} in ${r.msToExit!.toFixed(0)} ms`);
    expectStopped(r, out);
    expect(r.stderr).toMatch(/finished rounds are kept; continue with rldistill federated --resume/);
  });

  it("a second Ctrl-C exits at once, every file whole", async () => {
    const out = join(root, "twice");
    // The wrap-up is made slow on purpose (the summary's write sleeps 4 s before its rename), so
    // the second Ctrl-C arrives while the first is still being handled.
    const run = startCli(
      [
        "distill",
        "--teacher",
        CARTPOLE_PPO,
        "--env",
        "CartPole-v1",
        "--student",
        "16",
        "--timesteps",
        "10000000",
        "--out",
        out,
        "--set",
        "finalEpisodes=3",
      ],
      { env: { RLDISTILL_FAULT_WRITE: "delay:summary.json:4000" } },
    );
    await run.waitFor(() => progressRows(out) >= 2);
    run.interrupt();
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(-run.child.pid!, "SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted again: exiting now/);
    // It stopped before the report; what it had written is whole.
    expect(readdirSync(out)).not.toContain("report.html");
    expect(checkRunFolder(out)).toEqual([]);
  });
});
