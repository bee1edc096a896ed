import { describe, expect, it, vi } from "vitest";
import { ConfigError } from "../core/errors.js";
import { listEnvs } from "../envs/registry.js";
import { parseArgs } from "./args.js";
import { describeEnvs } from "./envs.js";
import { commands, main, mainHelp } from "./main.js";

function captureLog<T>(fn: () => Promise<T>): Promise<{ result: T; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  return fn().then(
    (result) => {
      log.mockRestore();
      return { result, out: lines.join("\n") };
    },
    (err: unknown) => {
      log.mockRestore();
      throw err;
    },
  );
}

describe("rldistill CLI shell", () => {
  it("--help lists every command", async () => {
    const { result, out } = await captureLog(() => main(["--help"]));
    expect(result).toBe(0);
    for (const name of ["quickstart", "envs", "train", "distill", "eval", "report", "export"]) {
      expect(out).toContain(`  ${name}`);
    }
    expect(mainHelp()).toBe(out);
  });

  it("every command loads and has its own --help", async () => {
    for (const [name, entry] of Object.entries(commands)) {
      const command = await entry.load();
      expect(command.name).toBe(name);
      const { result, out } = await captureLog(() => command.run(["--help"]));
      expect(result).toBe(0);
      expect(out).toMatch(/Usage: rldistill/);
    }
  });

  it("envs lists every registered env with its spaces", async () => {
    const rows = await describeEnvs();
    expect(rows.map((r) => r.id)).toEqual(listEnvs());
    expect(rows.find((r) => r.id === "CartPole-v1")).toMatchObject({
      actionSpace: "Discrete(2)",
      maxEpisodeSteps: 500,
      rewardThreshold: 475,
    });
    const { out } = await captureLog(() => main(["envs"]));
    for (const id of listEnvs()) expect(out).toContain(id);
  });

  it("an unknown command or flag is named, with what is known", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(await main(["trian"])).toBe(2);
      expect(String(err.mock.calls[0]?.[0])).toMatch(/unknown command "trian"; known: .*train/);
      expect(await main(["envs", "--jsn"])).toBe(2);
      expect(String(err.mock.calls[1]?.[0])).toMatch(/--jsn: unknown flag; known: --json/);
    } finally {
      err.mockRestore();
    }
  });

  it("parseArgs converts, repeats and rejects", () => {
    const specs = {
      steps: { type: "integer", help: "" },
      teacher: { type: "string", repeat: true, help: "" },
      method: { type: "string", choices: ["policy", "ppo"], help: "" },
      quiet: { type: "boolean", help: "" },
    } as const;
    const { flags, positionals } = parseArgs(
      ["--steps=10", "--teacher", "a", "--teacher", "b", "--quiet", "dir"],
      specs,
    );
    expect(flags).toEqual({ steps: 10, teacher: ["a", "b"], quiet: true });
    expect(positionals).toEqual(["dir"]);
    expect(() => parseArgs(["--steps", "1.5"], specs)).toThrow(/--steps: expected an integer/);
    expect(() => parseArgs(["--method", "dqn"], specs)).toThrow(/allowed: policy, ppo/);
    expect(() => parseArgs(["--steps"], specs)).toThrow(/--steps: needs a value/);
    expect(() => parseArgs(["--steps", "1", "--steps", "2"], specs)).toThrow(ConfigError);
  });
});
