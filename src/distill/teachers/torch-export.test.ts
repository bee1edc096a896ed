/**
 * Real PyTorch (Debian's python3-torch 1.13): modules shaped exactly like Stable-Baselines3's and
 * CleanRL's (testing/sb3_shaped.py) are exported with torch.onnx.export as their docs do, saved
 * as SB3 .zip archives (data JSON + policy.pth via torch.save) and as CleanRL state_dicts, then
 * loaded here and checked against torch's own outputs; the PPO export carries the shipped CartPole
 * teacher's weights and is distilled. On CI a missing torch fails the test (requireOrWarn), as the
 * ONNX checker test does; elsewhere it warns.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeModel } from "../../deploy/onnx-proto.js";
import { requireOrWarn } from "../../deploy/test-util.js";
import { make } from "../../envs/registry.js";
import { loadPolicy } from "../../nn/checkpoint.js";
import { softmaxRows } from "../../nn/distributions.js";
import type { DenseLayerSpec, PolicySpec } from "../../nn/spec.js";
import { distill } from "../distill.js";
import { loadTeacher } from "./load.js";
import { cleanRlActorGraph, sb3DqnGraph, sb3PpoGraph, sb3SacGraph } from "./testing/sb3-graphs.js";

const python = "/usr/bin/python3";
const script = new URL("./testing/sb3_shaped.py", import.meta.url).pathname;
const hasTorch =
  existsSync(python) && spawnSync(python, ["-c", "import torch"], { encoding: "utf8" }).status === 0;
const dir = mkdtempSync(join(tmpdir(), "rldistill-torch-"));
const models = new URL("../../../models/", import.meta.url).pathname;

interface Reference {
  obs: number[];
  out: number[];
  value: number[] | null;
}

/** Every export the tests need, in one Python process (importing torch takes seconds). */
function runJobs(jobs: string[][]): Reference[] {
  const file = join(dir, "jobs.json");
  writeFileSync(file, JSON.stringify(jobs));
  const r = spawnSync(python, [script, "batch", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sb3_shaped.py batch failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Reference[];
}

/** A spec's dense layers as the script's --weights JSON. */
function weightsFile(name: string, spec: PolicySpec): string {
  const wb = (layers: readonly DenseLayerSpec[]) =>
    layers.map((l) => [
      Array.from({ length: l.inSize }, (_, i) =>
        Array.from(l.weight.subarray(i * l.outSize, (i + 1) * l.outSize)),
      ),
      Array.from(l.bias),
    ]);
  const file = join(dir, name);
  const dense = (l: PolicySpec["layers"]) => l as DenseLayerSpec[];
  writeFileSync(
    file,
    JSON.stringify({
      pi: wb(dense(spec.layers)),
      vf: spec.valueLayers ? wb(dense(spec.valueLayers)) : [],
      logStd: spec.logStd ? Array.from(spec.logStd) : [],
      activation: (spec.layers[0] as DenseLayerSpec).activation,
    }),
  );
  return file;
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
}

/** Ops on the way from the input to each output, to compare our graph builders with real exports. */
function outputSignature(bytes: Uint8Array): string[] {
  const m = decodeModel(bytes);
  return m.graph.outputs.map((o) => `${o.elemType}:${o.shape?.length}`);
}

const f = (name: string) => join(dir, name);
/** Every export, by name: torch runs once for all of them (in beforeAll). */
const jobs: Record<string, string[]> = {
  ppo: ["export", "ppo", f("ppo.onnx"), "--obs", "4", "--act", "2"],
  dqn: ["export", "dqn", f("dqn.onnx"), "--obs", "4", "--act", "2"],
  sac: ["export", "sac", f("sac.onnx"), "--obs", "3", "--act", "1"],
  fixed: ["export", "ppo", f("fixed.onnx"), "--fixed-batch"],
  actor: ["statedict", f("actor.pt"), "--onnx", f("actor.onnx")],
  "zip-ppo": ["zip", "ppo", f("ppo.zip"), "--obs", "4", "--act", "2"],
  "zip-ppo-box": ["zip", "ppo-box", f("ppo-box.zip"), "--obs", "2", "--act", "1"],
  "zip-dqn": ["zip", "dqn", f("dqn.zip"), "--obs", "4", "--act", "2"],
  "zip-sac": ["zip", "sac", f("sac.zip"), "--obs", "2", "--act", "1"],
  "zip-sac-bound": ["zip", "sac", f("sac-bound.zip"), "--obs", "3", "--act", "1", "--bound", "2.0"],
  "zip-sac-legacy": ["zip", "sac", f("sac-legacy.zip"), "--obs", "2", "--act", "1", "--legacy-gym"],
  trained: ["export", "ppo", f("ppo-trained.onnx"), "--weights", f("ppo.json")],
};
const refs: Record<string, Reference> = {};

describe.runIf(requireOrWarn("python3-torch (apt-get install python3-torch)", hasTorch))(
  "real torch exports",
  () => {
    beforeAll(() => {
      weightsFile("ppo.json", loadPolicy(join(models, "cartpole-ppo.rldistill")).spec);
      const names = Object.keys(jobs);
      runJobs(names.map((n) => jobs[n]!)).forEach((r, i) => {
        refs[names[i]!] = r;
      });
    }, 120_000);

    it("SB3 PPO (OnnxableSB3Policy), DQN (q_net), SAC actor and CleanRL actor: outputs match torch", async () => {
      for (const [kind, env] of [
        ["ppo", "CartPole-v1"],
        ["dqn", "CartPole-v1"],
        ["sac", "Pendulum-v1"],
      ] as const) {
        const file = f(`${kind}.onnx`);
        const k = kind === "sac" ? 1 : 2;
        const obsN = kind === "sac" ? 3 : 4;
        const ref = refs[kind]!;
        const t = await loadTeacher(file, {
          env: make(env),
          kind: kind === "sac" ? "mean,logstd=-1" : undefined,
        });
        const n = ref.obs.length / obsN;
        const out = await t.predict(Float32Array.from(ref.obs), n);
        if (kind === "ppo") {
          close(softmaxRows(out.outputs, n, k), softmaxRows(ref.out, n, k), 1e-5);
          close(out.values!, ref.value!);
        } else close(out.outputs, ref.out);
        expect(t.kind).toBe({ ppo: "logits", dqn: "q", sac: "gaussian" }[kind]);
        t.dispose?.();
      }
      const pt = join(dir, "actor.pt");
      const onnx = join(dir, "actor.onnx");
      const ref = refs.actor!;
      const fromDict = await loadTeacher(pt, { env: make("CartPole-v1"), arch: "tanh" });
      const fromOnnx = await loadTeacher(onnx, { env: make("CartPole-v1") });
      for (const t of [fromDict, fromOnnx])
        close((await t.predict(Float32Array.from(ref.obs), 16)).outputs, ref.out);
      fromOnnx.dispose?.();
    }, 30_000);

    it("our Python-free graph builders write the same outputs (types, ranks) as torch.onnx.export", () => {
      const spec = loadPolicy(join(models, "cartpole-ppo.rldistill")).spec;
      const dqn = loadPolicy(join(models, "cartpole-dqn.rldistill")).spec;
      const real = (kind: string) => decodeModel(new Uint8Array(readFileSync(f(`${kind}.onnx`))));
      expect(outputSignature(sb3PpoGraph(spec))).toEqual(
        real("ppo").graph.outputs.map((o) => `${o.elemType}:${o.shape?.length}`),
      );
      const ops = (m: ReturnType<typeof decodeModel>) => m.graph.nodes.map((n) => n.opType).join(" ");
      expect(ops(decodeModel(sb3DqnGraph(dqn)))).toBe(ops(real("dqn")));
      expect(ops(decodeModel(sb3SacGraph(dqn)))).toBe(ops(real("sac")));
      expect(ops(decodeModel(cleanRlActorGraph(spec)))).toContain("Gemm Tanh Gemm Tanh Gemm");
    });

    it("a fixed-batch export (opset 9, no dynamic_axes) runs at batch 8", async () => {
      const file = join(dir, "fixed.onnx");
      const ref = refs.fixed!;
      const t = await loadTeacher(file, { env: make("CartPole-v1") });
      const out = await t.predict(Float32Array.from(ref.obs), 16);
      expect(Math.max(...out.outputs)).toBeLessThanOrEqual(0); // log-probabilities
      t.dispose?.();
    });

    it("SB3 .zip archives (data JSON + policy.pth via torch.save) load without running pickle code", async () => {
      for (const [kind, env] of [
        ["ppo", "CartPole-v1"],
        ["ppo-box", "MountainCarContinuous-v0"],
        ["dqn", "CartPole-v1"],
        ["sac", "MountainCarContinuous-v0"],
        ["sac-bound", "Pendulum-v1"], // actions in [-2, 2]: tanh(mu) rescaled as SB3 does
        ["sac-legacy", "MountainCarContinuous-v0"], // SB3 1.x on gym 0.21: shape "[2]", gym.spaces.box.Box
      ] as const) {
        const file = join(dir, `${kind}.zip`);
        const obsN = env === "CartPole-v1" ? 4 : env === "Pendulum-v1" ? 3 : 2;
        const ref = refs[`zip-${kind}`]!;
        const t = await loadTeacher(file, { env: make(env) });
        const n = ref.obs.length / obsN;
        const out = await t.predict(Float32Array.from(ref.obs), n);
        close(out.outputs, ref.out);
        if (ref.value) close(out.values!, ref.value);
        expect(t.predictSync).toBeDefined(); // a spec teacher: synchronous
      }
    }, 30_000);

    it("a real torch export of an SB3-shaped PPO (the shipped CartPole weights) distils with high agreement", async () => {
      const file = f("ppo-trained.onnx");
      const { summary } = await distill({
        teachers: [file],
        env: "CartPole-v1",
        steps: 3000,
        numEnvs: 4,
        student: [16],
        evalEvery: 0.5,
        evalEpisodes: 2,
        finalEpisodes: 3,
        similarityStates: 400,
        trainRatio: 0.25,
        learningRate: 3e-3,
        seed: 2,
        out: join(dir, "run"),
      });
      expect(summary.teacher.eval.mean_return).toBeGreaterThan(400);
      expect(summary.agreement).toBeGreaterThan(0.85);
    }, 30_000);
  },
);
