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
import { distill } from "../distill/distill.js";
import { collectStates, policySimilarity } from "../eval/similarity.js";
import { compileSpec } from "../nn/fast.js";
import { dequantizeSpec, quantizeSpec, specSizes } from "./quantize.js";
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
