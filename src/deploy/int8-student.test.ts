/**
 * The int8 target on a real student: a 32-32 student distilled (briefly) from the shipped
 * CartPole-v1 PPO teacher keeps >= 99% greedy-action agreement once its weights are int8, on the
 * states the float32 student visits, with 4x smaller weight tensors. bench/deploy.ts measures
 * the same on full budgets, Acrobot-v1 and returns over 100 episodes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { Discrete } from "../core/spaces.js";
import { distill } from "../distill/distill.js";
import { Student } from "../distill/student.js";
import { collectStates, policySimilarity } from "../eval/similarity.js";
import { initBackend } from "../nn/backend.js";
import { compileSpec } from "../nn/fast.js";
import {
  dequantizeSpec,
  dequantizeWeights,
  type QuantizedTensor,
  quantizeSpec,
  specSizes,
} from "./quantize.js";
import { packRuntime, runtimeModule } from "./runtime-export.js";

const tmp = mkdtempSync(join(tmpdir(), "rldistill-int8-student-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("int8 student of the shipped CartPole teacher", () => {
  it("keeps >= 99% agreement with the float32 student; weights 4x smaller", async () => {
    const { studentSpec: float } = await distill({
      teachers: ["models/cartpole-ppo.rldistill"],
      env: "CartPole-v1",
      student: [32, 32],
      seed: 1,
      steps: 4000,
      evalEvery: 1,
      evalEpisodes: 2,
      finalEpisodes: 2,
      similarityStates: 300,
      out: join(tmp, "run"),
    });
    const int8 = dequantizeSpec(quantizeSpec(float));
    const floatPolicy = compileSpec(float);
    const states = collectStates(floatPolicy, "CartPole-v1", { steps: 2000, seed: 5 });
    const sim = policySimilarity(floatPolicy, compileSpec(int8), states);
    expect(sim.agreement).toBeGreaterThanOrEqual(0.99);
    expect(specSizes(float).weightBytes / specSizes(quantizeSpec(float)).weightBytes).toBe(4);
    // The int8 bundle acts as the dequantized simulation on those states.
    const b = packRuntime(float, { weights: "int8" });
    const deployed = (await runtimeModule()).fromBytes(b.json, b.bin);
    const simulated = compileSpec(int8);
    let same = 0;
    for (let s = 0; s < states.count; s++) {
      const o = states.obs.subarray(s * 4, s * 4 + 4);
      if (deployed.act(o) === simulated.act(o, { deterministic: true })) same++;
    }
    expect(same).toBe(states.count);
  });
});

describe("a quantization-aware student is the int8 network export writes", () => {
  it("trains with, saves and exports the same int8 weights and scales, bit for bit", async () => {
    await initBackend();
    const student = new Student({
      obsSize: 6,
      actionSpace: new Discrete(3),
      hidden: [64, 16],
      output: "logits",
      valueWidth: 1,
      rng: new Rng(3),
    });
    const float = student.toSpec();
    student.fakeQuant = true;
    const saved = student.toSpec(); // what the run folder's student.rldistill holds
    const exported = quantizeSpec(saved); // what `rldistill export --quantize int8` writes
    const direct = quantizeSpec(float);
    const f32bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    const weightOf = (l: (typeof exported.layers)[number]) => (l as { weight: QuantizedTensor }).weight;
    // The forward that training differentiates multiplies with exactly these weights.
    const trained = student.forwardLayers();
    const weightsOf = (l: (typeof trained.layers)[number]) => (l as { weight: Float32Array }).weight;
    for (const [i, layer] of exported.layers.entries()) {
      const w = weightOf(layer);
      const d = weightOf(direct.layers[i]!);
      expect(Array.from(w.data)).toEqual(Array.from(d.data));
      expect(f32bits(w.scale)).toEqual(f32bits(d.scale));
      expect(f32bits(weightsOf(trained.layers[i]!))).toEqual(f32bits(dequantizeWeights(w)));
    }
    // The value head (fine-tuning after distillation) is exported the same way.
    expect(exported.valueLayers?.length).toBe(3);
    for (const [i, layer] of exported.valueLayers!.entries()) {
      expect(f32bits(weightsOf(trained.valueLayers![i]!))).toEqual(
        f32bits(dequantizeWeights(weightOf(layer))),
      );
    }
    student.dispose();
  });
});
