import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { exportOnnx } from "../deploy/onnx-export.js";
import { cleanRlActorGraph, sb3DqnGraph, sb3PpoGraph } from "../distill/teachers/testing/sb3-graphs.js";
import { loadPolicy } from "../nn/checkpoint.js";
import { compileSpec } from "../nn/fast.js";
import { evalCommand } from "./eval.js";
import { exportCommand } from "./export.js";
import { importCommand } from "./import.js";
import { main } from "./main.js";

const models = new URL("../../models/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rldistill-import-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dqn = loadPolicy(join(models, "cartpole-dqn.rldistill")).spec;
const ppo = loadPolicy(join(models, "cartpole-ppo.rldistill")).spec;

async function quietly<T>(f: () => Promise<T>): Promise<{ value: T; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((l: unknown) => void lines.push(String(l)));
  try {
    return { value: await f(), out: lines.join("\n") };
  } finally {
    log.mockRestore();
  }
}

describe("rldistill import", () => {
  it("converts SB3's DQN q_net export (Cast, Flatten, auto-named output) into a checkpoint that acts the same", async () => {
    const onnx = join(dir, "dqn.onnx");
    writeFileSync(onnx, sb3DqnGraph(dqn));
    const out = join(dir, "dqn.rldistill");
    const { value, out: text } = await quietly(() =>
      importCommand.run([onnx, "--out", out, "--env", "CartPole-v1"]),
    );
    expect(value).toBe(0);
    expect(text).toMatch(/imported .*dqn.onnx \(onnx\): 4 -> 256:relu 256:relu 2 \(q\)/);
    const { spec, meta } = loadPolicy(out);
    expect(meta.env).toBe("CartPole-v1");
    const x = Float32Array.of(0.01, 0.2, -0.03, -0.3);
    const a = compileSpec(spec).forward(x, 1, new Float32Array(2));
    const b = compileSpec(dqn).forward(x, 1, new Float32Array(2));
    for (let i = 0; i < 2; i++) expect(a[i]).toBeCloseTo(b[i]!, 4);
  });

  it("reads SB3's OnnxableSB3Policy (value head kept) and names a bad --kind", async () => {
    const onnx = join(dir, "ppo.onnx");
    writeFileSync(onnx, sb3PpoGraph(ppo));
    const out = join(dir, "ppo.rldistill");
    expect((await quietly(() => importCommand.run([onnx, "--out", out]))).value).toBe(0);
    expect(loadPolicy(out).spec.valueLayers?.length).toBe(3);
    expect(await main(["import", onnx, "--out", out, "--kind", "votes"])).toBe(2);
  });

  it("--env checks sizes against a MuJoCo env too (its engine is loaded first, not 'needs the MuJoCo engine')", async () => {
    const onnx = join(dir, "cartpole-actor.onnx");
    writeFileSync(onnx, cleanRlActorGraph(ppo));
    // CartPole's 2 logits against InvertedPendulum-v5's 1 action dimension: the size check runs,
    // which it can only do after make() built the MuJoCo env.
    await expect(
      importCommand.run([onnx, "--out", join(dir, "x.rldistill"), "--env", "InvertedPendulum-v5"]),
    ).rejects.toThrow(/2 outputs, InvertedPendulum-v5 takes 1/);
  });

  it("eval --model takes an ONNX file (no longer 'not an rldistill artifact'), and export converts it", async () => {
    const onnx = join(dir, "actor.onnx");
    writeFileSync(onnx, cleanRlActorGraph(ppo));
    const { value, out } = await quietly(() =>
      evalCommand.run([
        "--model",
        onnx,
        "--env",
        "CartPole-v1",
        "--episodes",
        "2",
        "--no-latency-paths",
        "--json",
      ]),
    );
    expect(value).toBe(0);
    expect(JSON.parse(out).policies.model.eval.meanReturn).toBeGreaterThan(400);
    const back = join(dir, "actor-again.onnx");
    expect(
      (await quietly(() => exportCommand.run(["--model", onnx, "--format", "onnx", "--out", back]))).value,
    ).toBe(0);
    expect(readFileSync(back).length).toBeGreaterThan(exportOnnx(ppo).length / 2);
  });
});
