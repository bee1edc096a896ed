import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.js";
import { PPO } from "../rl/ppo.js";
import { trainCommand } from "./train.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const main = fileURLToPath(new URL("./main.ts", import.meta.url));
/**
 * The CLI runs in plain node with tsx as a loader (`node --import tsx`), as the installed bin runs
 * in plain node: the `tsx` binary adds a parent process that relays signals and SIGKILLs a child
 * whose acknowledgement is 60 ms late (on a loaded machine it was: the run was killed mid-save and
 * printed nothing, the flake of issue 16).
 */
const node = (args: string[]) =>
  spawn(process.execPath, ["--import", "tsx", main, ...args], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    // Its own process group, so the test can send SIGINT to the group as a terminal's Ctrl-C does.
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });

/** Runs `rldistill train` in-process with console output silenced; returns the exit code. */
async function train(args: string[]): Promise<number> {
  const log = console.log;
  console.log = () => {};
  try {
    return await trainCommand.run(args);
  } finally {
    console.log = log;
  }
}

function errorOf(f: () => Promise<unknown>): Promise<Error> {
  return f().then(
    () => {
      throw new Error("expected an error");
    },
    (e: Error) => e,
  );
}

describe("rldistill train: flags and config", () => {
  it("names bad flags, fields and values", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--algo", "a2c", "--env", "CartPole-v1"], /--algo: "a2c" is not allowed; allowed: ppo, dqn/],
      [["--env", "CartPole-v1"], /--algo: required; allowed: ppo, dqn/],
      [["--algo", "ppo"], /--env: required/],
      [
        ["--algo", "ppo", "--env", "CartPole-v1", "--set", "lr=0.1"],
        /ppo\.lr: unknown option; allowed: learningRate, numEnvs/,
      ],
      [
        ["--algo", "ppo", "--env", "CartPole-v1", "--set", "numEnvs=two"],
        /ppo\.numEnvs: expected an integer >= 1, got "two"/,
      ],
      [
        ["--algo", "dqn", "--env", "CartPole-v1", "--set", "loss=l1"],
        /dqn\.loss: expected one of mse, huber, got "l1"/,
      ],
      [["--algo", "ppo", "--env", "Nope-v0", "--timesteps", "10"], /unknown env id "Nope-v0"/],
      [
        ["--algo", "ppo", "--env", "CartPole-v1", "--timesteps", "0", "--out", join(dir, "x")],
        /timesteps: expected an integer >= 1/,
      ],
      [["--algo", "ppo", "--env", "CartPole-v1", "--bogus"], /--bogus: unknown flag/],
      [["--resume", join(dir, "missing")], /resume: cannot read/],
      [
        [
          "--algo",
          "ppo",
          "--env",
          "CartPole-v1",
          "--timesteps",
          "10",
          "--out",
          join(dir, "y"),
          "--eval-freq",
          "0",
          "--stop-on-reward",
          "1",
        ],
        /stopOnReward: needs periodic evaluation/,
      ],
    ];
    for (const [args, re] of cases) {
      const err = await errorOf(() => train(args));
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toMatch(re);
    }
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ clipCoef: -1 }));
    expect(
      (await errorOf(() => train(["--algo", "ppo", "--env", "CartPole-v1", "--config", bad]))).message,
    ).toMatch(/ppo\.clipCoef: expected a number > 0, got -1/);
  });

  it("writes the run folder: config layers, logs, models and summary", async () => {
    const out = join(dir, "run");
    const cfg = join(dir, "cfg.json");
    writeFileSync(cfg, JSON.stringify({ numSteps: 16, learningRate: 0.002 }));
    const code = await train([
      "--algo",
      "ppo",
      "--env",
      "Acrobot-v1",
      "--timesteps",
      "256",
      "--seed",
      "3",
      "--out",
      out,
      "--config",
      cfg,
      "--set",
      "numEnvs=2",
      "--set",
      "hiddenSizes=16,16",
      "--set",
      "learningRate=0.003",
      "--eval-freq",
      "128",
      "--eval-episodes",
      "2",
      "--final-eval-episodes",
      "3",
      "--quiet",
    ]);
    expect(code).toBe(0);
    for (const f of [
      "config.json",
      "progress.jsonl",
      "progress.csv",
      "model.rldistill",
      "best_model.rldistill",
      "summary.json",
      "report.html",
      "report.md",
    ]) {
      expect(existsSync(join(out, f))).toBe(true);
    }
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    // default < preset (Acrobot: gaeLambda 0.94, entCoef 0, normalizeObs) < --config < --set
    expect(config.config).toMatchObject({
      numSteps: 16,
      numEnvs: 2,
      learningRate: 0.003,
      hiddenSizes: [16, 16],
      entCoef: 0,
      gaeLambda: 0.94,
      normalizeObs: true,
      clipCoef: 0.2,
    });
    expect(config).toMatchObject({ algo: "ppo", env: "Acrobot-v1", seed: 3, timesteps: 256 });
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary).toMatchObject({
      algo: "ppo",
      env: "Acrobot-v1",
      timesteps: 256,
      num_timesteps: 256,
      seed: 3,
      interrupted: false,
    });
    expect(summary.params).toBe(PPO.load(join(out, "model.rldistill")).paramCount());
    expect(summary.sps).toBeGreaterThan(0);
    expect(summary.wall_s).toBeGreaterThan(0);
    expect(summary.eval).toMatchObject({ episodes: 3 });
    expect(summary.eval.mean_return).toBeTypeOf("number");
    expect(summary.eval.std_return).toBeTypeOf("number");
    const rows = readFileSync(join(out, "progress.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.step)).toEqual([32, 64, 96, 128, 160, 192, 224, 256]);
    expect(rows.some((r) => "eval/mean_reward" in r)).toBe(true);
    expect(readFileSync(join(out, "progress.csv"), "utf8").split("\n")[0]).toMatch(/^step,/);
  });
});

describe("rldistill train: Ctrl-C and --resume", () => {
  it("SIGINT saves the model and exits; --resume continues the step counter", async () => {
    const out = join(dir, "sigint");
    const child = node([
      "train",
      "--algo",
      "dqn",
      "--env",
      "CartPole-v1",
      "--timesteps",
      "1000000",
      "--seed",
      "1",
      "--out",
      out,
      "--set",
      "learningStarts=500",
      "--eval-freq",
      "0",
      "--final-eval-episodes",
      "2",
      "--quiet",
    ]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    // Interrupt once training has produced its first log rows (a few thousand steps in).
    await new Promise<void>((resolve, reject) => {
      const start = Date.now();
      const timer = setInterval(() => {
        const file = join(out, "progress.jsonl");
        if (existsSync(file) && readFileSync(file, "utf8").split("\n").length > 3) {
          clearInterval(timer);
          process.kill(-child.pid!, "SIGINT");
          resolve();
        } else if (Date.now() - start > 60_000) {
          clearInterval(timer);
          child.kill("SIGKILL");
          reject(new Error(`no progress after 60 s: ${stderr}`));
        }
      }, 100);
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(130);
    expect(stderr).toMatch(/interrupted; saving/);
    expect(stdout).toMatch(/continue with: rldistill train --resume/);
    const first = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(first.interrupted).toBe(true);
    expect(first.num_timesteps).toBeGreaterThan(3000);
    expect(first.num_timesteps).toBeLessThan(1_000_000);

    const code2 = await train([
      "--resume",
      out,
      "--timesteps",
      String(first.num_timesteps + 500),
      "--final-eval-episodes",
      "2",
      "--quiet",
    ]);
    expect(code2).toBe(0);
    const second = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(second).toMatchObject({
      interrupted: false,
      resumed_from_step: first.num_timesteps,
      num_timesteps: first.num_timesteps + 500,
    });
    const steps = readFileSync(join(out, "progress.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).step);
    // One log, appended: steps keep increasing across the interruption.
    expect(steps.every((s: number, i: number) => i === 0 || s > steps[i - 1])).toBe(true);
    expect(steps.at(-1)).toBe(first.num_timesteps + 500);
  });
});

describe("rldistill train: run folders and resume bookkeeping", () => {
  const small = ["--algo", "ppo", "--env", "CartPole-v1", "--set", "numEnvs=2", "--set", "numSteps=16"];
  const quiet = ["--final-eval-episodes", "1", "--quiet", "--no-report"];
  const steps = (out: string) =>
    readFileSync(join(out, "progress.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).step as number);
  const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));

  it("a folder holding a run is refused, naming --resume and --overwrite; --overwrite starts clean", async () => {
    const out = join(dir, "owned");
    expect(await train([...small, "--timesteps", "64", "--out", out, "--eval-freq", "32", ...quiet])).toBe(0);
    expect(existsSync(join(out, "best_model.rldistill"))).toBe(true);
    const err = await errorOf(() => train([...small, "--timesteps", "64", "--out", out, ...quiet]));
    expect(err.message).toMatch(/--out: .*owned already holds files .*--resume .*--overwrite/);
    expect(
      await train([...small, "--timesteps", "64", "--out", out, "--overwrite", "--eval-freq", "0", ...quiet]),
    ).toBe(0);
    // Nothing of the earlier run is left to contradict the new one.
    expect(existsSync(join(out, "best_model.rldistill"))).toBe(false);
    expect(json(join(out, "config.json")).settings.evalFreq).toBe(0);
  });

  it("--resume restores every setting, records overrides, refuses a finished run, keeps time cumulative", async () => {
    const out = join(dir, "resume");
    const args = [
      ...small,
      "--timesteps",
      "128",
      "--out",
      out,
      "--eval-freq",
      "0",
      "--checkpoint-freq",
      "64",
    ];
    expect(await train([...args, ...quiet])).toBe(0);
    const first = json(join(out, "summary.json"));
    expect((await errorOf(() => train(["--resume", out, ...quiet]))).message).toMatch(
      /--resume: .*has finished its 128 steps; to train further pass --timesteps N with N > 128/,
    );
    expect(await train(["--resume", out, "--timesteps", "256", ...quiet])).toBe(0);
    // --checkpoint-freq came back from config.json without being given again.
    expect(existsSync(join(out, "checkpoints/rl_model_192_steps.rldistill"))).toBe(true);
    expect(existsSync(join(out, "checkpoints/rl_model_256_steps.rldistill"))).toBe(true);
    const second = json(join(out, "summary.json"));
    expect(second).toMatchObject({ num_timesteps: 256, resumed_from_step: 128, interrupted: false });
    expect(second.wall_s).toBeGreaterThan(first.wall_s);
    expect(second.sps).toBeCloseTo(256 / second.wall_s, 6);
    expect(await train(["--resume", out, "--timesteps", "320", "--checkpoint-freq", "0", ...quiet])).toBe(0);
    const config = json(join(out, "config.json"));
    expect(config.settings.checkpointFreq).toBe(0);
    expect(config.resumes.map((r: { from_step: number }) => r.from_step)).toEqual([128, 256]);
    expect(config.resumes[1].changed).toEqual({ timesteps: [256, 320], checkpointFreq: [64, 0] });
    expect(existsSync(join(out, "checkpoints/rl_model_320_steps.rldistill"))).toBe(false);
    expect(steps(out)).toEqual(Array.from({ length: 10 }, (_, i) => 32 * (i + 1)));
  });

  it("--resume keeps --quiet and --no-report of the run without their being given again", async () => {
    const out = join(dir, "resume-output");
    expect(await train([...small, "--timesteps", "64", "--out", out, "--eval-freq", "0", ...quiet])).toBe(0);
    const log = console.log;
    const printed: string[] = [];
    console.log = (...a: unknown[]) => printed.push(a.join(" "));
    try {
      expect(
        await trainCommand.run(["--resume", out, "--timesteps", "128", "--final-eval-episodes", "1"]),
      ).toBe(0);
    } finally {
      console.log = log;
    }
    const config = json(join(out, "config.json"));
    expect(config.settings).toMatchObject({ verbose: false, report: false });
    expect(config.resumes[0].changed).toEqual({ timesteps: [64, 128] });
    expect(existsSync(join(out, "report.html"))).toBe(false);
    // No log table (its rows start with "|"), only the summary lines.
    expect(printed.some((l) => l.includes("| time/"))).toBe(false);
    expect(printed.some((l) => l.startsWith("ppo on CartPole-v1: 128 steps"))).toBe(true);
  });

  it("a run killed before its final save resumes from its newest valid checkpoint, logs cut back", async () => {
    const out = join(dir, "killed");
    expect(
      await train([
        ...small,
        "--timesteps",
        "192",
        "--out",
        out,
        "--eval-freq",
        "0",
        "--checkpoint-freq",
        "64",
        ...quiet,
      ]),
    ).toBe(0);
    // What SIGKILL at step ~170 leaves: no final model or summary, a corrupt last checkpoint,
    // log rows past the newest valid checkpoint (test/fault kills real processes).
    rmSync(join(out, "model.rldistill"));
    rmSync(join(out, "summary.json"));
    writeFileSync(join(out, "checkpoints/rl_model_192_steps.rldistill"), "cut short");
    const lines: string[] = [];
    const log = console.log;
    console.log = (l: string) => lines.push(String(l));
    try {
      expect(
        await trainCommand.run(["--resume", out, "--final-eval-episodes", "1", "--quiet", "--no-report"]),
      ).toBe(0);
    } finally {
      console.log = log;
    }
    const text = lines.join("\n");
    expect(text).toMatch(/note: skipped checkpoints\/rl_model_192_steps\.rldistill: truncated: 9 bytes/);
    expect(text).toMatch(/note: progress\.jsonl: removed 2 row\(s\) after step 128/);
    expect(text).toMatch(/note: resuming from checkpoints\/rl_model_128_steps\.rldistill at step 128 of 192/);
    expect(steps(out)).toEqual([32, 64, 96, 128, 160, 192]);
    expect(json(join(out, "summary.json"))).toMatchObject({ num_timesteps: 192, resumed_from_step: 128 });
  });

  it("nothing to resume: says why", async () => {
    const out = join(dir, "empty-run");
    expect(await train([...small, "--timesteps", "32", "--out", out, "--eval-freq", "0", ...quiet])).toBe(0);
    rmSync(join(out, "model.rldistill"));
    expect((await errorOf(() => train(["--resume", out]))).message).toMatch(
      /nothing to resume in .*no loadable model\.rldistill or checkpoint \(the run stopped before its first save\)/,
    );
  });
});

describe("rldistill train --init-from: a new run continuing a saved agent", () => {
  const small = ["--algo", "ppo", "--env", "CartPole-v1", "--set", "numEnvs=2", "--set", "numSteps=16"];
  const quiet = ["--eval-freq", "0", "--final-eval-episodes", "1", "--quiet", "--no-report"];
  const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));
  const weights = (file: string) =>
    PPO.load(file)
      .toPolicySpec()
      .layers.flatMap((l) => ("weight" in l ? Array.from(l.weight) : []));

  it("unchanged, it trains exactly as --resume; --set changes a training field; its own steps and time", async () => {
    const first = join(dir, "init-a");
    expect(await train([...small, "--seed", "4", "--timesteps", "64", "--out", first, ...quiet])).toBe(0);
    const resumed = join(dir, "init-resumed");
    cpSync(first, resumed, { recursive: true });
    expect(await train(["--resume", resumed, "--timesteps", "128", ...quiet])).toBe(0);
    // No --algo or --env: both come from the file.
    const branch = join(dir, "init-b");
    const from = join(first, "model.rldistill");
    expect(await train(["--init-from", from, "--timesteps", "64", "--out", branch, ...quiet])).toBe(0);
    expect(weights(join(branch, "model.rldistill"))).toEqual(weights(join(resumed, "model.rldistill")));
    const summary = json(join(branch, "summary.json"));
    expect(summary).toMatchObject({
      num_timesteps: 128,
      timesteps: 128,
      seed: 4,
      init_from: { file: from, step: 64 },
    });
    expect(summary.sps).toBeCloseTo(64 / summary.wall_s, 6);
    expect(json(join(branch, "config.json")).initFrom).toMatchObject({ file: from, step: 64 });

    const sharp = join(dir, "init-sharp");
    expect(
      await train([
        "--init-from",
        from,
        "--set",
        "entCoef=0.5",
        "--timesteps",
        "64",
        "--out",
        sharp,
        ...quiet,
      ]),
    ).toBe(0);
    expect(json(join(sharp, "config.json")).config).toMatchObject({ entCoef: 0.5, numEnvs: 2, numSteps: 16 });
    expect(PPO.load(join(sharp, "model.rldistill")).config.entCoef).toBe(0.5);
    expect(weights(join(sharp, "model.rldistill"))).not.toEqual(weights(join(resumed, "model.rldistill")));
    // The new run resumes as any other; there --timesteps is the total again, and one below the
    // reached step is refused rather than reported as done.
    expect((await errorOf(() => train(["--resume", sharp, "--timesteps", "64", ...quiet]))).message).toMatch(
      /timesteps: 64 is below the step this run has reached \(128\); on --resume it is the run's total/,
    );
    expect(await train(["--resume", sharp, "--timesteps", "160", ...quiet])).toBe(0);
    expect(json(join(sharp, "summary.json"))).toMatchObject({ num_timesteps: 160, resumed_from_step: 128 });
  });

  it("refuses what it cannot honour, naming the field", async () => {
    const first = join(dir, "init-src");
    expect(await train([...small, "--timesteps", "32", "--out", first, ...quiet])).toBe(0);
    const from = join(first, "model.rldistill");
    const out = join(dir, "init-refused");
    const cases: Array<[string[], RegExp]> = [
      [["--init-from", from, "--out", out], /timesteps: required with initFrom/],
      [["--init-from", from, "--timesteps", "32"], /--out: required with --init-from/],
      [
        ["--init-from", from, "--timesteps", "32", "--out", out, "--set", "hiddenSizes=8"],
        /hiddenSizes: would change the saved network \(64 tanh, 64 tanh, 2 linear -> 8 tanh, 2 linear\)/,
      ],
      [
        ["--init-from", from, "--timesteps", "32", "--out", out, "--env", "Acrobot-v1"],
        /env: "Acrobot-v1" differs from .*'s "CartPole-v1"/,
      ],
      [
        ["--init-from", from, "--timesteps", "32", "--out", out, "--algo", "dqn"],
        /algo: "dqn" differs from .*'s "ppo"/,
      ],
      [
        ["--init-from", join(first, "config.json"), "--timesteps", "32", "--out", out],
        /--init-from: .*config\.json/,
      ],
      [["--init-from", from, "--resume", first], /--init-from: cannot be combined with --resume/],
      [
        ["--resume", first, "--set", "entCoef=0"],
        /--set: a resumed run keeps its saved config; .*--init-from/,
      ],
    ];
    for (const [args, re] of cases)
      expect((await errorOf(() => train([...args, ...quiet]))).message).toMatch(re);
    // Nothing was written for a refused run.
    expect(existsSync(out)).toBe(false);
  });
});
