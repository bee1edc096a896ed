/**
 * SIGKILL, which no handler sees, in the middle of a save: the file being saved is its previous
 * whole version (or absent), the lock is stale and the partial file hidden; the next run into the
 * folder reports the stale lock, removes the partial file, and --resume continues from the newest
 * state that loads, with the logs cut back to it.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isTempFile } from "../../src/core/atomic-write.js";
import { LOCK_FILE } from "../../src/core/run-dir.js";
import { startCli } from "../../src/testing/cli-child.js";
import { checkRunFolder } from "./folder-check.js";

const root = mkdtempSync(join(tmpdir(), "rldistill-fault-kill-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A partial (temporary) file whose name contains `name` is in `dir`. */
const partial = (dir: string, name: string) =>
  existsSync(dir) && readdirSync(dir).some((f) => isTempFile(f) && f.includes(name));

describe("SIGKILL during a save", () => {
  it("train: killed while writing a checkpoint; resume picks the newest whole one", async () => {
    const out = join(root, "train");
    // Every checkpoint write sleeps 3 s between its temporary file and the rename: the kill lands there.
    const run = startCli(
      [
        "train",
        "--algo",
        "dqn",
        "--env",
        "CartPole-v1",
        "--timesteps",
        "3000",
        "--out",
        out,
        "--quiet",
        "--no-report",
        "--set",
        "hiddenSizes=16",
        "--set",
        "learningStarts=100",
        "--eval-freq",
        "0",
        "--checkpoint-freq",
        "500",
        "--final-eval-episodes",
        "1",
      ],
      { env: { RLDISTILL_FAULT_WRITE: "delay:rl_model_1000:3000" } },
    );
    await run.waitFor(() => partial(join(out, "checkpoints"), "rl_model_1000"));
    run.kill("SIGKILL");
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(out, "checkpoints/rl_model_1000_steps.rldistill"))).toBe(false);
    expect(existsSync(join(out, LOCK_FILE))).toBe(true);
    expect(checkRunFolder(out, { killed: true })).toEqual([]);

    const resumed = startCli(["train", "--resume", out, "--quiet", "--no-report"]);
    const r = await resumed.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/note: removed a stale lock of pid \d+ .*no longer runs/);
    expect(r.stdout).toMatch(/note: removed 1 partial file/);
    expect(r.stdout).toMatch(
      /note: resuming from checkpoints\/rl_model_500_steps\.rldistill at step 500 of 3000/,
    );
    expect(checkRunFolder(out)).toEqual([]);
  });

  it("distill: killed while writing the student; the previous student stays whole", async () => {
    const out = join(root, "distill");
    const run = startCli(
      [
        "distill",
        "--teacher",
        "models/cartpole-ppo.rldistill",
        "--env",
        "CartPole-v1",
        "--student",
        "8",
        "--timesteps",
        "4000",
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
      ],
      // The second save of the student (at 40%) sleeps: the first one (20%) is on disk by then.
      { env: { RLDISTILL_FAULT_WRITE: "delay:student.rldistill:4000:1" } },
    );
    await run.waitFor(() => existsSync(join(out, "student.rldistill")) && partial(out, "student.rldistill"));
    run.kill("SIGKILL");
    await run.done;
    expect(checkRunFolder(out, { killed: true })).toEqual([]);
    const r = await startCli(["distill", "--resume", out, "--quiet", "--no-report"]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/note: resuming from student\.rldistill at step \d+ of 4000/);
    expect(checkRunFolder(out)).toEqual([]);
  });
});
