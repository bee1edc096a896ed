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

  it("-h and `rldistill help CMD` work everywhere, and help shows the preset of the chosen env", async () => {
    for (const name of Object.keys(commands)) {
      const short = await captureLog(() => main([name, "-h"]));
      expect(short.result, name).toBe(0);
      expect(short.out, name).toMatch(/Usage: rldistill/);
      const viaHelp = await captureLog(() => main(["help", name]));
      expect(viaHelp.result, name).toBe(0);
      expect(viaHelp.out, name).toBe(short.out);
    }
    // -h wins over other (even incomplete) flags.
    expect((await captureLog(() => main(["train", "--algo", "ppo", "-h"]))).result).toBe(0);
    const acrobot = (await captureLog(() => main(["help", "train", "--algo", "ppo", "--env", "Acrobot-v1"])))
      .out;
    expect(acrobot).toMatch(/hiddenSizes \(integer\[\], default \[64,64\]; Acrobot-v1 preset: \[256,256\]\)/);
    expect(acrobot).toMatch(/gaeLambda \(number, default 0\.95; Acrobot-v1 preset: 0\.94\)/);
    expect(acrobot).not.toMatch(/DQN config fields/);
    const plain = (await captureLog(() => main(["train", "-h"]))).out;
    expect(plain).toMatch(/presets for CartPole-v1, .*add --env ID to --help/);
    const distill = (await captureLog(() => main(["distill", "--env", "MountainCar-v0", "-h"]))).out;
    expect(distill).toMatch(/beta \(string, default "1:0:linear"; MountainCar-v0 preset: "1:0:cosine"\)/);
  });

  it("one flag name for the step budget: --timesteps everywhere, --steps as its alias", async () => {
    for (const name of ["train", "distill", "quickstart"]) {
      const out = (await captureLog(() => main([name, "-h"]))).out;
      expect(out, name).toMatch(/--timesteps <integer>\s+.*\(also --steps\)/);
    }
    expect(
      parseArgs(["--steps", "5"], { timesteps: { type: "integer", aliases: ["steps"], help: "" } }).flags,
    ).toEqual({
      timesteps: 5,
    });
    expect(() =>
      parseArgs(["--steps", "5", "--timesteps", "6"], {
        timesteps: { type: "integer", aliases: ["steps"], help: "" },
      }),
    ).toThrow(/--timesteps: given more than once \(also as --steps\)/);
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
    // The ten MinAtar ids: (10, 10, C) uint8 frames, minimal action sets in -v1, all six in -v0.
    const minatar = {
      Asterix: [4, 5],
      Breakout: [4, 3],
      Freeway: [7, 3],
      Seaquest: [10, 6],
      SpaceInvaders: [6, 4],
    };
    const expected = Object.entries(minatar).flatMap(([game, [c, n]]) =>
      [0, 1].map((v) => ({
        id: `MinAtar/${game}-v${v}`,
        observationSpace: `Box(0, 1, (10, 10, ${c}), uint8)`,
        actionSpace: `Discrete(${v === 0 ? 6 : n})`,
      })),
    );
    const listed = rows.filter((r) => r.id.startsWith("MinAtar/"));
    expect(
      listed.map(({ id, observationSpace, actionSpace }) => ({ id, observationSpace, actionSpace })),
    ).toEqual(expected);
    for (const e of expected)
      expect(out).toMatch(
        new RegExp(
          `${e.id}\\n  observation: ${e.observationSpace.replace(/[()]/g, "\\$&")}\\n  action: +${e.actionSpace.replace(/[()]/g, "\\$&")}`,
        ),
      );
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
