import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { distillCommand } from "./distill.js";
import { modeConfig, modeOf, modeUsage } from "./distill-modes.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-cli-modes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CARTPOLE = new URL("../../models/cartpole-ppo.rldistill", import.meta.url).pathname;
const ACROBOT = new URL("../../models/acrobot-ppo.rldistill", import.meta.url).pathname;

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

describe("rldistill distill modes", () => {
  it("tells the modes apart from the flags", () => {
    expect(modeOf(["--teacher", "a.rldistill", "--env", "CartPole-v1"])).toBeUndefined();
    expect(modeOf(["--teacher", "CartPole-v1=a.rldistill", "--teacher=Acrobot-v1=b"])).toBe("multitask");
    expect(modeOf(["--teacher", "runs/x=1/a.rldistill"])).toBeUndefined();
    expect(modeOf(["--lifelong", "--teacher", "CartPole-v1=a"])).toBe("lifelong");
    expect(modeOf(["--continue-from=runs/s1", "--teacher", "Acrobot-v1=b"])).toBe("lifelong");
    expect(modeOf(["--env", "CartPole-v1", "--student-view", "drop:1,3"])).toBe("crossmodal");
    expect(modeUsage("lifelong")).toContain("--continue-from");
    expect(modeUsage("crossmodal")).toContain("frameStack (integer");
  });

  it("names a teacher without its task, and flags of another mode", async () => {
    expect(() => modeConfig("multitask", { teacher: ["CartPole-v1=a", "b.rldistill"] })).toThrow(
      /--teacher\[1\]: "b.rldistill" has no task: in multitask mode every teacher is ENV=PATH/,
    );
    await expect(runCli(["--teacher", "CartPole-v1=a", "--memory", "10"])).rejects.toThrow(
      /unknown flag; known/,
    );
    await expect(runCli(["--teacher", "CartPole-v1=a", "--set", "ewc=1"])).rejects.toThrow(/ewc/);
    await expect(
      runCli(["--lifelong", "--teacher", `CartPole-v1=${CARTPOLE}`, "--set", "memoryBalance=equal"]),
    ).rejects.toThrow(/memoryBalance: expected one of stream, task, got "equal"/);
    expect(
      modeConfig("lifelong", { teacher: ["CartPole-v1=a"], memory: 0, set: ["replayRatio=0"] }),
    ).toMatchObject({
      tasks: [{ env: "CartPole-v1", teacher: "a" }],
      memorySize: 0,
      replayRatio: 0,
    });
  });

  it("runs a tiny multi-task distillation and writes its report", async () => {
    const out = join(dir, "mt");
    const { code, out: text } = await runCli([
      "--teacher",
      `CartPole-v1=${CARTPOLE}`,
      "--teacher",
      `Acrobot-v1=${ACROBOT}`,
      "--student",
      "8",
      "--steps",
      "600",
      "--seed",
      "2",
      "--out",
      out,
      "--quiet",
      "--set",
      "evalEvery=1",
      "--set",
      "evalEpisodes=1",
      "--set",
      "finalEpisodes=2",
      "--set",
      "similarityStates=50",
      "--set",
      "numEnvs=2",
    ]);
    expect(code).toBe(0);
    expect(text).toMatch(/CartPole-v1 .*\n.*Acrobot-v1/);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.kind).toBe("multitask");
    expect(summary.steps_per_task).toBe(600);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("Multi-task: mt");
    expect(html).toContain("Retention per task during training");
  });
});
