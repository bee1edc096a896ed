import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cartPoleTeacherSpec } from "../distill/testing/fakes.js";
import { savePolicy } from "../nn/checkpoint.js";
import { configFromArgs, distillCommand, parseStudent } from "./distill.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-cli-distill-"));
const teacher = join(dir, "cartpole-teacher.rldistill");
savePolicy(teacher, cartPoleTeacherSpec(), { env: "CartPole-v1" });

async function runCli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    const code = await distillCommand.run(args);
    return { code, out: lines.join("\n") };
  } finally {
    console.log = orig;
  }
}

describe("rldistill distill", () => {
  it("parses student shapes and rejects ones that cannot work", () => {
    expect(parseStudent("32,32")).toEqual({ student: [32, 32], studentConvs: "" });
    expect(parseStudent("[8]")).toEqual({ student: [8], studentConvs: "" });
    expect(parseStudent("conv8x3,fc32")).toEqual({ student: [32], studentConvs: "conv8x3" });
    expect(parseStudent("Conv16x3s2same, conv8x3")).toEqual({
      student: [],
      studentConvs: "conv16x3s2same,conv8x3",
    });
    expect(() => parseStudent("0,32")).toThrow(
      /--student: layer 0 \("0"\): the width must be an integer >= 1/,
    );
    expect(() => parseStudent("abc")).toThrow(
      /--student: layer 0 \("abc"\) is not understood; expected comma-separated layers/,
    );
    expect(() => parseStudent("32,")).toThrow(/--student: layer 1 \(""\) is not understood/);
    expect(() => parseStudent("32,conv8x3")).toThrow(
      /--student: layer 1 \("conv8x3"\) is a convolution after a dense layer/,
    );
  });

  it("layers --config, flags and --set", () => {
    const cfgFile = join(dir, "cfg.json");
    writeFileSync(
      cfgFile,
      JSON.stringify({ teacher: "a.rldistill", env: "CartPole-v1", steps: 5, loss: "mse" }),
    );
    const layer = configFromArgs({ config: cfgFile, timesteps: 7, set: ["tau=5:1:linear", "numEnvs=2"] });
    expect(layer).toMatchObject({
      teachers: ["a.rldistill"],
      env: "CartPole-v1",
      steps: 7,
      loss: "mse",
      tau: "5:1:linear",
      numEnvs: 2,
    });
    expect(() => configFromArgs({ set: ["numEnv=2"] })).toThrow(/distill.numEnv: unknown option/);
    expect(() => configFromArgs({ config: join(dir, "missing.json") })).toThrow(/--config: cannot read/);
  });

  it("names the problem for bad input", async () => {
    const base = ["--teacher", teacher, "--env", "CartPole-v1", "--out", join(dir, "bad")];
    await expect(runCli([...base, "--loss", "klx"])).rejects.toThrow(/loss: unknown loss "klx"; allowed: kl/);
    await expect(
      runCli(["--teacher", teacher, "--env", "Acrobot-v1", "--out", join(dir, "bad")]),
    ).rejects.toThrow(
      /observes Box\(.*\(4,\), float32\) but Acrobot-v1 gives Box\(.*\(6,\), float32\); allowed: an env whose observations are Box\(.*\(4,\), float32\) \(the teacher's\)$/,
    );
    const mountainCarDqn = new URL("../../models/mountaincar-dqn.rldistill", import.meta.url).pathname;
    await expect(
      runCli(["--teacher", mountainCarDqn, "--env", "MountainCarContinuous-v0", "--out", join(dir, "bad")]),
    ).rejects.toThrow(
      /acts in Discrete\(3\) but MountainCarContinuous-v0 takes Box\(-1, 1, \(1,\), float32\); allowed: an env whose actions are Discrete\(3\) \(the teacher's\)$/,
    );
    await expect(runCli([...base, "--student", "0,32"])).rejects.toThrow(
      /--student: layer 0 \("0"\): the width must be an integer >= 1/,
    );
    await expect(runCli(["--teacher", join(dir, "nope.rldistill"), "--env", "CartPole-v1"])).rejects.toThrow(
      /cannot read ".*nope.rldistill": no such file/,
    );
    const junk = join(dir, "junk.rldistill");
    writeFileSync(junk, "not a model");
    await expect(runCli(["--teacher", junk, "--env", "CartPole-v1"])).rejects.toThrow(
      /teacher .*junk.rldistill/,
    );
    await expect(runCli(["--env", "CartPole-v1"])).rejects.toThrow(/at least one teacher/);
  });

  it("runs a short distillation and prints the teacher vs student table", async () => {
    const out = join(dir, "run");
    const { code, out: text } = await runCli([
      "--teacher",
      teacher,
      "--env",
      "CartPole-v1",
      "--student",
      "8",
      "--steps",
      "3000",
      "--out",
      out,
      "--quiet",
      "--set",
      "evalEpisodes=2",
      "--set",
      "finalEpisodes=3",
      "--set",
      "similarityStates=300",
    ]);
    expect(code).toBe(0);
    expect(text).toMatch(/teacher\s+30\s+500\.0/);
    expect(text).toContain(`run folder: ${out}`);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.checkpoints.length).toBe(5);
    expect(summary.student.params).toBe(4 * 8 + 8 + 8 * 2 + 2);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).student).toEqual([8]);
    // The report is written at the end by default.
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("Against the teacher over training");
    expect(text).toContain(`report:     ${join(out, "report.html")}`);
  });

  it("--no-video records no GIFs, says why in videos.json, and is in --help", async () => {
    expect(configFromArgs({ "no-video": true }).video).toBe(false);
    expect(configFromArgs({ "no-video": true, set: ["video=true"] }).video).toBe(true);
    expect(configFromArgs({}).video).toBeUndefined();
    const out = join(dir, "no-video");
    const args = ["--teacher", teacher, "--env", "CartPole-v1", "--student", "4", "--steps", "300"];
    const budget = ["--set", "finalEpisodes=1", "--set", "evalEpisodes=1", "--set", "similarityStates=20"];
    const { code } = await runCli([...args, ...budget, "--out", out, "--quiet", "--no-report", "--no-video"]);
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).video).toBe(false);
    expect(existsSync(join(out, "teacher.gif")) || existsSync(join(out, "student.gif"))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, "videos.json"), "utf8")).skipped).toMatch(/video is off/);
    expect((await runCli(["--help"])).out).toMatch(/--no-video\s+do not record teacher\.gif/);
  });
});
