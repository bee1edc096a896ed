import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Env } from "../core/env.js";
import { Rng } from "../core/rng.js";
import { make, prepareEnv } from "../envs/registry.js";
import { loadPolicy, savePolicy } from "../nn/checkpoint.js";
import { cnnLayers } from "../nn/sequential.js";
import { InlineEngine } from "./queue/engine.js";
import { search } from "./search.js";

const ENV = "MinAtar/Breakout-v1";

/** A seeded CNN teacher on Breakout frames (untrained: this test is about what the search builds). */
async function writeCnnTeacher(dir: string): Promise<string> {
  await prepareEnv(ENV);
  const env = make(ENV) as Env<unknown, unknown>;
  const file = join(dir, "cnn-teacher.rldistill");
  const layers = cnnLayers(
    { inShape: [10, 10, 4], convs: [{ channels: 8, kernelSize: 3 }], hidden: [32], outSize: 3 },
    new Rng(4),
  );
  savePolicy(
    file,
    { obsShape: [10, 10, 4], output: "logits", actionSize: 3, layers },
    { env: ENV, observationSpace: env.observationSpace.toJSON(), actionSpace: env.actionSpace.toJSON() },
  );
  env.close();
  return file;
}

describe("search on image observations", () => {
  it("weighs MLP against conv students (kinds auto); each trial trains the student its sizes describe", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rldistill-search-conv-"));
    const teacher = await writeCnnTeacher(dir);
    const out = join(dir, "s");
    const { summary } = await search(
      {
        env: ENV,
        teacher,
        out,
        seed: 2,
        maxSteps: 256,
        minSteps: 128,
        eta: 2,
        brackets: 1,
        depths: [1],
        widths: [4, 8],
        convChannels: [2, 4],
        activations: "relu",
        precisions: "float32",
        trialEpisodes: 1,
        similarityStates: 100,
        confirmSeeds: 1,
        confirmEpisodes: 1,
        target: "agreement=0",
        distill: { numEnvs: 2, rolloutSteps: 32, batchSize: 32, evalEpisodes: 1 },
      },
      { engine: new InlineEngine() },
    );
    const kinds = new Set(summary.trials.map((t) => t.candidate.kind));
    expect(kinds).toEqual(new Set(["mlp", "conv"]));
    for (const t of summary.trials) {
      const { spec } = loadPolicy(join(out, "trials", t.key, "student.rldistill"));
      const convs = spec.layers.filter((l) => l.kind === "conv2d");
      expect(convs.length).toBe(t.candidate.kind === "conv" ? 1 : 0);
      if (t.candidate.kind === "conv")
        expect(convs[0]!.kind === "conv2d" && convs[0]!.outChannels).toBe(t.candidate.convs![0]!.channels);
      const params = spec.layers.reduce(
        (n, l) => n + (l.kind === "flatten" ? 0 : l.weight.length + l.bias.length),
        0,
      );
      expect(params).toBe(t.sizes.params);
    }
    // An MLP over the 400 frame values costs more parameters than a conv student of the same width.
    const mlp8 = summary.trials.find((t) => t.id === "mlp-8-relu-float32");
    if (mlp8) expect(mlp8.sizes.params).toBe(400 * 8 + 8 + 8 * 3 + 3);
    expect(summary.winner).not.toBeNull();
  });
});
