/**
 * Bring your own model: the failures of issue 11, each with the new behaviour. Teachers are ONNX
 * graphs in the exact shapes torch.onnx.export writes for Stable-Baselines3's and CleanRL's export
 * recipes (testing/sb3-graphs.ts), carrying the weights of the shipped teachers, so they are good
 * policies and a distilled student can be checked for agreement and retention.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importOnnx } from "../../deploy/onnx-import.js";
import { DataType, encodeModel, floatTensor } from "../../deploy/onnx-proto.js";
import { make } from "../../envs/registry.js";
import { loadPolicy } from "../../nn/checkpoint.js";
import { softmaxRows } from "../../nn/distributions.js";
import { compileSpec } from "../../nn/fast.js";
import type { PolicySpec } from "../../nn/spec.js";
import type { DistillConfig } from "../config.js";
import { distill, teacherWarning } from "../distill.js";
import { evaluateTeacher } from "../evaluation.js";
import { loadTeacher, loadTeachers } from "./load.js";
import {
  cleanRlActorGraph,
  sb3DqnGraph,
  sb3PpoBoxGraph,
  sb3PpoGraph,
  sb3SacGraph,
} from "./testing/sb3-graphs.js";

const dir = mkdtempSync(join(tmpdir(), "rldistill-byom-"));
const models = new URL("../../../models/", import.meta.url).pathname;
const ppo = loadPolicy(join(models, "cartpole-ppo.rldistill")).spec;
const dqn = loadPolicy(join(models, "cartpole-dqn.rldistill")).spec;
const pendulum = loadPolicy(join(models, "pendulum-ppo.rldistill")).spec;

function write(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

const cartpole = () => make("CartPole-v1");
const obs = Float32Array.of(0.01, 0.2, -0.03, -0.3, 0.05, -0.4, 0.1, 0.6);

/** Max |softmax(a) - softmax(b)| over rows: logits equal up to a per-row shift. */
function probGap(a: Float32Array, b: Float32Array, n: number, k: number): number {
  const pa = softmaxRows(a, n, k);
  const pb = softmaxRows(b, n, k);
  return Math.max(...pa.map((v, i) => Math.abs(v - pb[i]!)));
}

const tiny: Partial<DistillConfig> = {
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
};

describe("SB3's OnnxableSB3Policy export (actions, values, log_prob)", () => {
  const file = write("sb3-ppo.onnx", sb3PpoGraph(ppo));

  it("is read as the probabilities the ArgMax reads, with SB3's value, counting only the actor", async () => {
    const t = await loadTeacher(file, { env: cartpole() });
    expect(t.kind).toBe("logits");
    expect(t.hasValue).toBe(true);
    expect(t.notes?.join(" ")).toMatch(/"57" holds greedy actions \(ArgMax\)/);
    const actorParams = ppo.layers.reduce(
      (s, l) => s + (l.kind === "dense" ? l.weight.length + l.bias.length : 0),
      0,
    );
    expect(t.params).toBe(actorParams);
    const out = await t.predict(obs, 2);
    const ref = compileSpec(ppo);
    expect(probGap(out.outputs, ref.forward(obs, 2, new Float32Array(4)), 2, 2)).toBeLessThan(1e-5);
    const v = ref.value!(obs, 2, new Float32Array(2));
    for (let i = 0; i < 2; i++) expect(out.values![i]).toBeCloseTo(v[i]!, 4);
    t.dispose?.();
  });

  it("distils into a small student that agrees with it (retention and agreement)", async () => {
    const { summary } = await distill({ ...tiny, teachers: [file], out: join(dir, "run-ppo"), seed: 1 });
    expect(summary.teacher.params).toBeLessThan(70_000);
    expect(summary.teacher.eval.mean_return).toBeGreaterThan(400);
    expect(summary.agreement).toBeGreaterThan(0.85);
    expect(summary.retention).toBeGreaterThan(0.5);
  }, 60_000);

  it("imports into a PolicySpec (rldistill import) that matches the graph", () => {
    const spec = importOnnx(new Uint8Array(sb3PpoGraph(ppo)));
    expect(spec.output).toBe("logits");
    expect(spec.valueLayers?.length).toBe(3);
    const a = compileSpec(spec).forward(obs, 2, new Float32Array(4));
    expect(probGap(a, compileSpec(ppo).forward(obs, 2, new Float32Array(4)), 2, 2)).toBeLessThan(1e-6);
  });
});

describe("a fixed-batch export (no dynamic_axes, opset 9)", () => {
  it("is detected at load and run one row at a time", async () => {
    const fixed = write("sb3-ppo-fixed.onnx", sb3PpoGraph(ppo, { fixedBatch: true }));
    const t = await loadTeacher(fixed, { env: cartpole() });
    const out = await t.predict(
      Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)),
      8,
    );
    const ref = compileSpec(ppo).forward(
      Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)),
      8,
      new Float32Array(16),
    );
    expect(probGap(out.outputs, ref, 8, 2)).toBeLessThan(1e-5);
    t.dispose?.();
  });
});

describe("output kinds: explicit over guessed", () => {
  it("an auto-named DQN q_net output is read as Q-values (and --teacher-kind says so explicitly)", async () => {
    const file = write("sb3-dqn.onnx", sb3DqnGraph(dqn));
    const guessed = await loadTeacher(file, { env: cartpole() });
    expect(guessed.kind).toBe("q");
    expect(guessed.notes?.join(" ")).toMatch(/read as Q-values/);
    const cleanRl = write("cleanrl-q.onnx", cleanRlActorGraph(dqn));
    const plain = await loadTeacher(cleanRl, { env: cartpole() });
    expect(plain.kind).toBe("logits");
    expect(plain.notes?.join(" ")).toMatch(/--teacher-kind q/);
    const told = await loadTeacher(cleanRl, { env: cartpole(), kind: "q" });
    expect(told.kind).toBe("q");
    expect(told.notes).toEqual([]);
    for (const t of [guessed, plain, told]) t.dispose?.();
  });

  it("several outputs and none chosen: an error listing them with shapes; --teacher-output picks one", async () => {
    // Two heads of the action's width (e.g. an Agent exporting logits and Q-values): no guessing.
    const w = floatTensor("w", [2, 4], new Float32Array(8).fill(0.1));
    const gemm = (out: string) => ({
      opType: "Gemm",
      inputs: ["input", "w"],
      outputs: [out],
      attributes: [{ name: "transB", type: "int" as const, i: 1 }],
    });
    const heads = encodeModel({
      irVersion: 8,
      opsetImports: [{ domain: "", version: 17 }],
      graph: {
        name: "g",
        nodes: [gemm("7"), gemm("8")],
        initializers: [w],
        inputs: [{ name: "input", elemType: DataType.FLOAT, shape: ["batch", 4] }],
        outputs: ["7", "8"].map((name) => ({ name, elemType: DataType.FLOAT, shape: ["batch", 2] })),
      },
    });
    const headsFile = write("heads.onnx", heads);
    await expect(loadTeacher(headsFile, { env: cartpole() })).rejects.toThrow(
      /teacherOutput: heads.onnx has several candidate policy outputs; choose one with --teacher-output NAME .* outputs: "7" \[batch, 2\] from Gemm; "8" \[batch, 2\] from Gemm/,
    );
    const chosen = await loadTeacher(headsFile, { env: cartpole(), output: "8", kind: "q" });
    expect(chosen.kind).toBe("q");
    expect(chosen.params).toBe(8);
    chosen.dispose?.();
    const file = write("two.onnx", sb3PpoGraph(ppo));
    await expect(loadTeacher(file, { env: cartpole(), value: "none", output: "nope" })).rejects.toThrow(
      /teacherOutput: two.onnx has no tensor "nope"; outputs: "57" \[batch\] int64 from Reshape.*"23" \[batch, 1\] from Gemm/,
    );
    const byName = await loadTeacher(file, {
      env: cartpole(),
      output: "/policy/action_net/Gemm_output_0",
      kind: "logits",
      value: "23",
    });
    expect(byName.hasValue).toBe(true);
    expect(byName.kind).toBe("logits");
    byName.dispose?.();
  });

  it("an auto-named critic beside the actor is not counted and not used unless named", async () => {
    const ac = write("cleanrl-agent.onnx", cleanRlActorGraph(ppo));
    const t = await loadTeacher(ac, { env: cartpole() });
    expect(t.hasValue).toBe(false);
    t.dispose?.();
  });

  it("a Box teacher: the SB3 Gaussian mean with log_std, and the SAC actor's tanh(mu) with a given log std", async () => {
    const pend = () => make("Pendulum-v1");
    const { obsNorm, ...raw } = pendulum;
    const box = write("sb3-ppo-box.onnx", sb3PpoBoxGraph(raw as PolicySpec));
    const t = await loadTeacher(box, { env: pend(), obsNorm: obsNorm! });
    expect(t.kind).toBe("gaussian");
    expect(t.hasValue).toBe(true);
    expect(t.notes?.join(" ")).toMatch(/policy.log_std/);
    const out = await t.predict(Float32Array.of(0.5, 0.8, -1), 1);
    expect(out.logStd![0]).toBeCloseTo(pendulum.logStd![0]!, 6);
    const ref = compileSpec(pendulum).forward(Float32Array.of(0.5, 0.8, -1), 1, new Float32Array(1));
    expect(out.outputs[0]).toBeCloseTo(ref[0]!, 4);
    t.dispose?.();
    const sac = write("sb3-sac.onnx", sb3SacGraph(raw as PolicySpec));
    const s = await loadTeacher(sac, { env: pend(), kind: "mean,logstd=-1" });
    const so = await s.predict(Float32Array.of(0.5, 0.8, -1), 1);
    const rawRef = compileSpec(raw as PolicySpec).forward(
      Float32Array.of(0.5, 0.8, -1),
      1,
      new Float32Array(1),
    );
    expect(so.outputs[0]).toBeCloseTo(Math.tanh(rawRef[0]!), 4);
    expect(so.logStd![0]).toBe(-1);
    s.dispose?.();
  });
});

describe("observation normalisation (--obs-norm)", () => {
  it("VecNormalize statistics from JSON are folded into the teacher; without them a warning", async () => {
    const { obsNorm, ...raw } = pendulum;
    const file = write("pend-raw.onnx", sb3PpoBoxGraph(raw as PolicySpec));
    const normFile = write(
      "obs_norm.json",
      new TextEncoder().encode(
        JSON.stringify({
          mean: [...obsNorm!.mean],
          var: [...obsNorm!.var],
          epsilon: obsNorm!.epsilon,
          clip: obsNorm!.clip,
        }),
      ),
    );
    const env = () => make("Pendulum-v1");
    const withNorm = await loadTeacher(file, { env: env(), obsNorm: normFile });
    const without = await loadTeacher(file, { env: env() });
    expect(withNorm.obsNorm?.clip).toBe(obsNorm!.clip);
    const good = await evaluateTeacher(withNorm, () => make("Pendulum-v1"), 3, 7);
    const broken = await evaluateTeacher(without, () => make("Pendulum-v1"), 3, 7);
    expect(good.meanReturn).toBeGreaterThan(broken.meanReturn + 300);
    await expect(loadTeacher(file, { env: env(), obsNorm: join(dir, "missing.json") })).rejects.toThrow(
      /obsNorm: cannot read/,
    );
    writeFileSync(join(dir, "short.json"), JSON.stringify({ mean: [0], var: [1] }));
    await expect(loadTeacher(file, { env: env(), obsNorm: join(dir, "short.json") })).rejects.toThrow(
      /mean: has 1 values, the observations have 3/,
    );
    for (const t of [withNorm, without]) t.dispose?.();
  }, 30_000);

  it("warns when a teacher is near random or far below the env's reward threshold", () => {
    const r = { meanReturn: 22, stdReturn: 10 };
    expect(teacherWarning({ meanReturn: 500, stdReturn: 0 }, r, 475, false)).toBeUndefined();
    expect(teacherWarning({ meanReturn: 135, stdReturn: 20 }, r, 475, false)).toMatch(
      /far below .* --obs-norm/,
    );
    expect(teacherWarning({ meanReturn: 23, stdReturn: 9 }, r, undefined, false)).toMatch(
      /near a random policy's 22.0/,
    );
    expect(
      teacherWarning(
        { meanReturn: -1200, stdReturn: 9 },
        { meanReturn: -1230, stdReturn: 300 },
        undefined,
        true,
      ),
    ).toMatch(/near a random/);
  });
});

describe("ensembles of any sources", () => {
  it("an ONNX member makes the ensemble asynchronous; logits and Q members mix with their own temperatures", async () => {
    const onnxPpo = write("ens-ppo.onnx", sb3PpoGraph(ppo));
    const e = await loadTeachers([onnxPpo, join(models, "cartpole-dqn.rldistill")], "mean", {
      env: cartpole(),
      temperatures: [1, 0.5],
    });
    expect(e.predictSync).toBeUndefined();
    expect(e.kind).toBe("logits");
    const got = softmaxRows((await e.predict(obs, 2)).outputs, 2, 2);
    const p1 = softmaxRows(compileSpec(ppo).forward(obs, 2, new Float32Array(4)), 2, 2);
    const p2 = softmaxRows(compileSpec(dqn).forward(obs, 2, new Float32Array(4)), 2, 2, 0.5);
    for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo((p1[i]! + p2[i]!) / 2, 4);
    const ev = await evaluateTeacher(e, () => make("CartPole-v1"), 2, 3);
    expect(ev.meanReturn).toBeGreaterThan(300);
    e.dispose?.();
  });
});

describe("files recognised by content", () => {
  it("an ONNX file without the .onnx extension, and a junk file named .onnx", async () => {
    const file = write("policy.bin", sb3DqnGraph(dqn));
    const t = await loadTeacher(file, { env: cartpole() });
    expect(t.kind).toBe("q");
    t.dispose?.();
    await expect(
      loadTeacher(write("junk.onnx", new TextEncoder().encode("hello")), { env: cartpole() }),
    ).rejects.toThrow(/not a recognised model file/);
  });
});

describe("graphs beyond the PolicySpec vocabulary, and PyTorch CNNs", () => {
  it("an Elu / LeakyRelu actor runs as an ONNX teacher, and import names the op", async () => {
    const w1 = floatTensor(
      "0.weight",
      [8, 4],
      Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)),
    );
    const w2 = floatTensor(
      "2.weight",
      [2, 8],
      Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)),
    );
    const gemm = (x: string, w: string, out: string) => ({
      opType: "Gemm",
      inputs: [x, w],
      outputs: [out],
      attributes: [{ name: "transB", type: "int" as const, i: 1 }],
    });
    const bytes = (op: string) =>
      encodeModel({
        irVersion: 8,
        opsetImports: [{ domain: "", version: 17 }],
        graph: {
          name: "g",
          nodes: [
            gemm("input", "0.weight", "h"),
            { opType: op, inputs: ["h"], outputs: ["a"], name: `/1/${op}` },
            gemm("a", "2.weight", "logits"),
          ],
          initializers: [w1, w2],
          inputs: [{ name: "input", elemType: DataType.FLOAT, shape: ["batch", 4] }],
          outputs: [{ name: "logits", elemType: DataType.FLOAT, shape: ["batch", 2] }],
        },
      });
    for (const op of ["Elu", "LeakyRelu"]) {
      const t = await loadTeacher(write(`${op}.onnx`, bytes(op)), { env: cartpole() });
      const x = Float32Array.of(0.1, -0.5, 0.3, 0.2);
      const h = Array.from({ length: 8 }, (_, o) => {
        const v = [0, 1, 2, 3].reduce((s, i) => s + x[i]! * Math.sin(o * 4 + i), 0);
        return v > 0 ? v : op === "Elu" ? Math.exp(v) - 1 : 0.01 * v;
      });
      const ref = [0, 1].map((o) => h.reduce((s, v, i) => s + v * Math.cos(o * 8 + i), 0));
      const out = await t.predict(x, 1);
      expect(out.outputs[0]).toBeCloseTo(ref[0]!, 4);
      expect(out.outputs[1]).toBeCloseTo(ref[1]!, 4);
      expect(t.features.map((f) => f.name)).toEqual(["a"]);
      t.dispose?.();
      expect(() => importOnnx(bytes(op))).toThrow(new RegExp(`${op} is not a PolicySpec activation`));
    }
  });

  it("an SB3-style CNN (Cast, /255, Conv, Relu, Flatten, Gemm) in NCHW imports as a channels-last spec", async () => {
    const [c, h, w, oc, k] = [2, 5, 5, 3, 3];
    const flat = oc * (h - k + 1) * (w - k + 1);
    const convW = Float32Array.from({ length: oc * c * k * k }, (_, i) => Math.sin(i) * 0.5);
    const fcW = Float32Array.from({ length: 2 * flat }, (_, i) => Math.cos(i) * 0.2);
    const bytes = encodeModel({
      irVersion: 8,
      opsetImports: [{ domain: "", version: 17 }],
      graph: {
        name: "g",
        nodes: [
          {
            opType: "Cast",
            inputs: ["input"],
            outputs: ["x"],
            attributes: [{ name: "to", type: "int", i: 1 }],
          },
          { opType: "Div", inputs: ["x", "scale"], outputs: ["xs"] },
          {
            opType: "Conv",
            inputs: ["xs", "cnn.0.weight", "cnn.0.bias"],
            outputs: ["c0"],
            name: "/features_extractor/cnn/cnn.0/Conv",
            attributes: [
              { name: "kernel_shape", type: "ints", ints: [k, k] },
              { name: "strides", type: "ints", ints: [1, 1] },
              { name: "pads", type: "ints", ints: [0, 0, 0, 0] },
            ],
          },
          { opType: "Relu", inputs: ["c0"], outputs: ["r0"] },
          {
            opType: "Flatten",
            inputs: ["r0"],
            outputs: ["f"],
            attributes: [{ name: "axis", type: "int", i: 1 }],
          },
          {
            opType: "Gemm",
            inputs: ["f", "fc.weight", "fc.bias"],
            outputs: ["9"],
            attributes: [{ name: "transB", type: "int", i: 1 }],
          },
        ],
        initializers: [
          floatTensor("scale", [], Float32Array.of(255)),
          floatTensor("cnn.0.weight", [oc, c, k, k], convW),
          floatTensor("cnn.0.bias", [oc], Float32Array.of(0.1, -0.2, 0.05)),
          floatTensor("fc.weight", [2, flat], fcW),
          floatTensor("fc.bias", [2], Float32Array.of(0.3, -0.1)),
        ],
        inputs: [{ name: "input", elemType: DataType.FLOAT, shape: ["batch", c, h, w] }],
        outputs: [{ name: "9", elemType: DataType.FLOAT, shape: ["batch", 2] }],
      },
    });
    const spec = importOnnx(bytes, { output: "q" });
    expect(spec.obsShape).toEqual([h, w, c]);
    expect(spec.obsNorm?.var[0]).toBeCloseTo(255 * 255, 0);
    const chw = Float32Array.from({ length: c * h * w }, (_, i) => (i * 37) % 256);
    const hwc = new Float32Array(chw.length);
    for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) hwc[i * c + ch] = chw[ch * h * w + i]!;
    const { OnnxPolicy } = await import("../../deploy/onnx-runtime.js");
    const policy = await OnnxPolicy.create(bytes);
    const ref = (await policy.run(chw, 1))["9"]!.data;
    const got = compileSpec(spec).forward(hwc, 1, new Float32Array(2));
    for (let i = 0; i < 2; i++) expect(got[i]).toBeCloseTo(ref[i]!, 4);
    await policy.release();
  });
});
