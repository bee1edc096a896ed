import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { initBackend, tf } from "./backend.js";
import {
  adamStateFromTensors,
  adamStateToTensors,
  decodeArtifact,
  encodeArtifact,
  encodePolicySpec,
  FORMAT_VERSION,
  loadArtifact,
  loadPolicy,
  saveArtifact,
  savePolicy,
} from "./checkpoint.js";
import { compileSpec } from "./fast.js";
import { ActorCritic } from "./models.js";
import { Adam, trainStep } from "./optim.js";
import { QNetwork } from "./q-network.js";

let dir: string;
beforeAll(async () => {
  await initBackend("wasm");
  dir = mkdtempSync(path.join(tmpdir(), "rldistill-ckpt-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function actions(spec: Parameters<typeof compileSpec>[0], obs: Float32Array, n: number): unknown[] {
  const p = compileSpec(spec);
  const size = obs.length / n;
  return Array.from({ length: n }, (_, i) => {
    const a = p.act(obs.subarray(i * size, (i + 1) * size));
    return typeof a === "number" ? a : Array.from(a);
  });
}

describe("policy files", () => {
  it("round-trips an actor-critic with obs norm: identical spec, identical actions", () => {
    const rng = new Rng(1);
    const ac = new ActorCritic({ obsShape: [4], action: { kind: "discrete", n: 3 } }, rng);
    const spec = ac.toSpec({
      obsNorm: {
        mean: Float32Array.of(1, 2, 3, 4),
        var: Float32Array.of(1, 2, 3, 4),
        epsilon: 1e-8,
        clip: 10,
      },
    });
    const file = path.join(dir, "sub", "ac.rldistill");
    savePolicy(file, spec, { envId: "CartPole-v1", steps: 1234 });
    expect(readdirSync(path.dirname(file))).toEqual(["ac.rldistill"]); // no temporary file left
    const { spec: back, meta, artifact } = loadPolicy(file);
    expect(meta).toEqual({ envId: "CartPole-v1", steps: 1234 });
    expect(artifact.libraryVersion).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
    expect(back).toEqual(spec);
    const obs = rng.fillNormal(new Float32Array(4 * 50), 2, 3);
    expect(actions(back, obs, 50)).toEqual(actions(spec, obs, 50));
    ac.dispose();
  });

  it("round-trips a CNN Q-network and a continuous policy", () => {
    const rng = new Rng(2);
    const q = new QNetwork(
      {
        obsShape: [6, 6, 2],
        numActions: 4,
        body: { kind: "cnn", convs: [{ channels: 4, kernelSize: 3 }], hidden: [16] },
      },
      rng,
    );
    const g = new ActorCritic(
      {
        obsShape: [3],
        action: { kind: "continuous", size: 2, low: [-1, -2], high: [1, 2] },
        logStdInit: -0.5,
      },
      rng,
    );
    for (const [name, spec, size] of [
      ["q", q.toSpec(), 72],
      ["g", g.toSpec(), 3],
    ] as const) {
      const file = path.join(dir, `${name}.rldistill`);
      savePolicy(file, spec);
      const back = loadPolicy(file).spec;
      expect(back).toEqual(spec);
      const obs = rng.fillUniform(new Float32Array(size * 20), -1, 1);
      expect(actions(back, obs, 20)).toEqual(actions(spec, obs, 20));
    }
    q.dispose();
    g.dispose();
  });
});

describe("artifacts", () => {
  const sample = () =>
    encodeArtifact({
      kind: "ppo-agent",
      config: { lr: 3e-4, hidden: [64, 64] },
      meta: { envId: "CartPole-v1" },
      tensors: {
        w: { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] },
        rng: { data: Uint32Array.of(1, 2, 3, 4), shape: [4] },
        counters: { data: Float64Array.of(2 ** 40 + 1), shape: [1] },
        odd: { data: Uint8Array.of(7, 8, 9), shape: [3] },
      },
    });

  it("keeps dtypes, shapes and values exactly", () => {
    const a = decodeArtifact(sample());
    expect(a.kind).toBe("ppo-agent");
    expect(a.formatVersion).toBe(FORMAT_VERSION);
    expect(a.config).toEqual({ lr: 3e-4, hidden: [64, 64] });
    expect(a.tensors.w).toEqual({ data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] });
    expect(a.tensors.rng!.data).toEqual(Uint32Array.of(1, 2, 3, 4));
    expect(a.tensors.counters!.data[0]).toBe(2 ** 40 + 1);
    expect(a.tensors.odd!.data).toEqual(Uint8Array.of(7, 8, 9));
  });

  it("names the problem in corrupt, truncated, foreign and newer files", () => {
    const good = sample();
    const expectError = (bytes: Uint8Array, pattern: RegExp) => {
      expect(() => decodeArtifact(bytes)).toThrow(ArtifactError);
      expect(() => decodeArtifact(bytes)).toThrow(pattern);
    };
    expectError(good.subarray(0, 10), /truncated/);
    expectError(good.subarray(0, good.length - 5), /truncated: the data needs/);
    expectError(good.subarray(0, 40), /truncated: the header/);
    const flipped = good.slice();
    flipped[flipped.length - 3] ^= 0x10;
    expectError(flipped, /corrupt tensor data/);
    const badHeader = good.slice();
    badHeader[30] ^= 0x01;
    expectError(badHeader, /corrupt header/);
    const foreign = good.slice();
    foreign.set(new TextEncoder().encode("PK\u0003\u0004"), 0);
    expectError(foreign, /not an rldistill artifact/);
    const newer = good.slice();
    new DataView(newer.buffer).setUint32(8, FORMAT_VERSION + 1, true);
    expectError(newer, /format version 2.*upgrade/);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expectError(longer, /unexpected bytes/);
  });

  it("loadArtifact prefixes the path and checks the kind", () => {
    const file = path.join(dir, "a.rldistill");
    writeFileSync(file, sample().subarray(0, 30));
    expect(() => loadArtifact(file)).toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: truncated`),
    );
    saveArtifact(file, decodeArtifact(sample()));
    expect(() => loadArtifact(file, "dqn-agent")).toThrow(/holds a ppo-agent, expected a dqn-agent/);
    expect(() => loadArtifact(path.join(dir, "missing"))).toThrow(/cannot read \(ENOENT\)/);
    expect(existsSync(`${file}.tmp-${process.pid}`)).toBe(false);
  });

  it("stores an agent (weights, optimizer moments, rng) and resumes it bit for bit", () => {
    const rng = new Rng(3);
    const make = () => new ActorCritic({ obsShape: [4], action: { kind: "discrete", n: 2 } }, new Rng(9));
    const ac = make();
    const opt = new Adam(ac.variables, { lr: 1e-2, eps: 1e-5 });
    const obs = tf.tensor2d(rng.fillNormal(new Float32Array(64 * 4)), [64, 4]);
    const acts = tf.tensor1d(
      Int32Array.from({ length: 64 }, (_, i) => i % 2),
      "int32",
    );
    const loss = (model: ActorCritic) => () => {
      const e = model.evaluate(obs, acts);
      return tf.add(tf.neg(tf.mean(e.logProb)), tf.mean(tf.square(e.value))) as tf.Scalar;
    };
    for (let i = 0; i < 3; i++) trainStep(opt, loss(ac));
    const { structure, tensors } = encodePolicySpec(ac.toSpec(), "policy/");
    const file = path.join(dir, "agent.rldistill");
    saveArtifact(file, {
      kind: "ppo-agent",
      config: { policy: structure },
      meta: { globalStep: 3 },
      tensors: {
        ...tensors,
        ...adamStateToTensors(opt.getState()),
        rng: { data: Uint32Array.from(rng.getState()), shape: [4] },
      },
    });
    const next = [0, 1].map(() => trainStep(opt, loss(ac)).loss);

    const loaded = loadArtifact(file, "ppo-agent");
    const resumed = make();
    resumed.loadSpec(loadPolicy(file).spec);
    const opt2 = new Adam(resumed.variables, { lr: 1e-2, eps: 1e-5 });
    opt2.setState(adamStateFromTensors(loaded.tensors));
    expect(opt2.step).toBe(3);
    expect(Array.from(loaded.tensors.rng!.data)).toEqual(rng.getState());
    expect([0, 1].map(() => trainStep(opt2, loss(resumed)).loss)).toEqual(next);
    tf.dispose([obs, acts]);
    for (const t of [ac, resumed, opt, opt2]) t.dispose();
  });
});
