import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveConfig } from "../core/config.js";
import { checkPreset, loadPreset, readPresetTable } from "../core/presets.js";
import { listEnvs } from "../envs/registry.js";
import { ALGORITHMS } from "./algos.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-presets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("presets", () => {
  it("every shipped preset names a registered env and valid config fields", () => {
    for (const [algo, entry] of Object.entries(ALGORITHMS)) {
      const table = readPresetTable(algo);
      const envs = Object.keys(table).filter((k) => k !== "_comment");
      expect(envs.length).toBeGreaterThan(0);
      for (const env of envs) {
        expect(listEnvs()).toContain(env);
        const preset = loadPreset(algo, env, entry.schema);
        expect(preset.totalTimesteps).toBeGreaterThan(0);
        // Presets build teacher-sized networks, except CartPole-v1's PPO default: CleanRL's 64-64
        // (the 256-256 teacher has presets/ppo-cartpole-teacher.json); MinAtar's is its baseline CNN.
        const cleanrl = algo === "ppo" && env === "CartPole-v1";
        if (env.startsWith("MinAtar/")) {
          expect(preset.config["convs"]).toBe("conv16x3");
          expect(preset.config["hiddenSizes"]).toEqual([128]);
        } else expect(preset.config["hiddenSizes"]).toEqual(cleanrl ? [64, 64] : [256, 256]);
      }
    }
    expect(loadPreset("ppo", "NoSuchEnv-v0", ALGORITHMS.ppo.schema)).toEqual({ config: {} });
  });

  it("CartPole-v1 PPO: the default is CleanRL's ppo.py; the shipped teacher's config file is valid", () => {
    const schema = ALGORITHMS.ppo.schema;
    const preset = loadPreset("ppo", "CartPole-v1", schema);
    expect(preset.totalTimesteps).toBe(500_000);
    // Every field of the preset equals the schema default (CleanRL's), so the default run is CleanRL's.
    for (const [key, value] of Object.entries(preset.config))
      expect(value, key).toEqual((schema as Record<string, { default: unknown }>)[key]!.default);
    const teacher = JSON.parse(
      readFileSync(new URL("../../presets/ppo-cartpole-teacher.json", import.meta.url), "utf8"),
    );
    const resolved = resolveConfig(schema, { ...preset.config, ...teacher }, "ppo");
    expect(resolved.hiddenSizes).toEqual([256, 256]);
    expect([resolved.numEnvs, resolved.numSteps, resolved.numMinibatches, resolved.updateEpochs]).toEqual([
      8, 64, 2, 10,
    ]);
  });

  it("names the preset entry and field in errors", () => {
    const schema = ALGORITHMS.ppo.schema;
    expect(() => checkPreset(schema, { gamma: 2 }, "presets/ppo.json[X-v0]")).toThrow(
      /^presets\/ppo\.json\[X-v0\]\.gamma: expected a number >= 0 and <= 1, got 2$/,
    );
    expect(() => checkPreset(schema, { gama: 0.9 }, "p[X-v0]")).toThrow(
      /p\[X-v0\]\.gama: unknown option; allowed: totalTimesteps, learningRate/,
    );
    expect(() => checkPreset(schema, { totalTimesteps: 1.5 }, "p")).toThrow(
      /p\.totalTimesteps: expected an integer >= 1/,
    );
    expect(() => checkPreset(schema, [], "p")).toThrow(/p: must be an object/);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ nope");
    expect(() => readPresetTable("ppo", bad)).toThrow(/not valid JSON/);
  });
});
