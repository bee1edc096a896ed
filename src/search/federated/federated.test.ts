import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { teacherProbs } from "../../distill/teacher.js";
import { LineWorld } from "../../distill/testing/fakes.js";
import { getRegistration, register } from "../../envs/registry.js";
import { loadTrialTeacher } from "../execute.js";
import { InlineEngine, type TrialEngine } from "../queue/engine.js";
import { writeLineTeacher } from "../testing/line-world.js";
import type { ClientMessage, LabelMessage, TeacherRef, TrialOutcome, TrialSpec } from "../trial.js";
import { sha256 } from "../trial.js";
import { fedAvg, federated } from "./federated.js";
import { averageLabels } from "./soft-labels.js";

/** Every observation any recording line world produced in this process (their x coordinates). */
const seen = new Set<number>();
/** Env steps taken by recording line worlds in this process. */
const stepped = { count: 0 };
const ENV = "RecordingLineWorld-v0";
try {
  getRegistration(ENV);
} catch {
  register({
    id: ENV,
    maxEpisodeSteps: 50,
    create: () => {
      const env = new LineWorld();
      const reset = env.reset.bind(env);
      const step = env.step.bind(env);
      env.reset = (o) => {
        const r = reset(o);
        seen.add(r.obs[0]!);
        return r;
      };
      env.step = (a) => {
        stepped.count++;
        const r = step(a);
        seen.add(r.obs[0]!);
        return r;
      };
      return env;
    },
  });
}

/** An engine that records what comes back, and holds one client's update past the deadline. */
class Recording implements TrialEngine {
  readonly description = "recording";
  /** Each trial, what came back and the recording envs' steps while it ran. */
  readonly outcomes: Array<{ spec: TrialSpec; out: TrialOutcome; steps: number }> = [];
  private readonly inner = new InlineEngine();
  constructor(private readonly slow?: (spec: TrialSpec) => boolean) {}
  provideTeacher(ref: TeacherRef, path: string) {
    return this.inner.provideTeacher(ref, path);
  }
  async run(spec: TrialSpec, dir: string) {
    const before = stepped.count;
    const out = await this.inner.run(spec, dir);
    this.outcomes.push({ spec, out, steps: stepped.count - before });
    if (this.slow?.(spec)) await new Promise((r) => setTimeout(r, 8000));
    return out;
  }
  close() {
    return this.inner.close();
  }
}

describe("federated distillation", () => {
  it("FedAvg weights the clients by their samples (known answer)", () => {
    const w = (v: number) => ({ layers: [{ weight: [v, 2 * v], bias: [v] }] });
    const avg = fedAvg([
      { samples: 100, weights: w(1) },
      { samples: 300, weights: w(5) },
    ]);
    expect(avg.layers[0]!.weight).toEqual([4, 8]);
    expect(avg.layers[0]!.bias).toEqual([4]);
    expect(() => fedAvg([])).toThrow(/at least one update/);
  });

  it("rounds with a straggler and a client that drops out and rejoins; only weights leave a client", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rldistill-fed-"));
    const sharp = writeLineTeacher(join(dir), 3);
    const sharper = join(dir, "b");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(sharper);
    const teacherB = writeLineTeacher(sharper, 6);
    // Client 1 misses round 3's deadline.
    const engine = new Recording((s) => s.role === "federated" && s.config.seed === 1000 * 7 + 3 * 3 + 1);
    const lines: string[] = [];
    const { summary } = await federated(
      {
        env: ENV,
        seed: 7,
        out: join(dir, "fed"),
        student: [4],
        rounds: 3,
        localSteps: 600,
        deadline: 6,
        dropouts: "2:2-2",
        evalEpisodes: 6,
        similarityStates: 200,
        clients: [
          { envKwargs: {}, teacher: sharp },
          { envKwargs: {}, teacher: teacherB },
          { envKwargs: {}, teacher: sharp },
        ],
        distill: { numEnvs: 4, rolloutSteps: 25, batchSize: 64, learningRate: 3e-3, trainRatio: 0.25 },
      },
      { engine, print: (l) => lines.push(l) },
    );
    await engine.close();
    expect(summary.rounds.map((r) => r.sampled)).toEqual([
      [0, 1, 2],
      [0, 1],
      [0, 1, 2],
    ]);
    expect(summary.rounds[1]!.absent).toEqual([2]); // dropped out in round 2
    expect(summary.rounds[2]!.returned).toEqual([0, 2]); // rejoined in round 3; client 1 was late
    expect(summary.rounds[2]!.stragglers).toEqual([1]);
    expect(lines.some((l) => l.includes("missed the deadline: 1"))).toBe(true);

    // What left the clients: { samples, weights } and nothing else; no observation among the numbers.
    const updates = engine.outcomes.filter((o) => o.spec.role === "federated");
    expect(updates.length).toBe(3 + 2 + 3);
    expect(seen.size).toBeGreaterThan(1000);
    for (const { out } of updates) {
      expect(Object.keys(out).sort()).toEqual(["key", "message", "wallSeconds", "worker"]);
      expect(Object.keys(out.message!).sort()).toEqual(["samples", "weights"]);
      const numbers = (out.message as ClientMessage).weights.layers.flatMap((l) => [...l.weight, ...l.bias]);
      expect(numbers.length).toBe(summary.student.params); // 2*4 + 4 + 4*2 + 2
      for (const x of numbers) expect(seen.has(x)).toBe(false);
      expect(JSON.stringify(out.message)).not.toMatch(/reward|obs|return/i);
    }

    // The shared student keeps the local teachers' behaviour, as the centralised baseline does.
    expect(summary.clients).toHaveLength(3);
    for (const c of summary.clients) {
      expect(c.federated.retention!).toBeGreaterThan(0.8);
      expect(c.federated.agreement!).toBeGreaterThan(0.85);
      expect(c.centralised!.retention!).toBeGreaterThan(0.8);
    }
    expect(summary.ratio!).toBeGreaterThan(0.9);

    // Resumed: every round, update and evaluation is already in the folder.
    const again = new Recording();
    const second = await federated({ out: join(dir, "fed") }, { engine: again, resume: true });
    expect(again.outcomes).toHaveLength(0);
    expect(second.summary.clients.map((c) => c.federated.retention)).toEqual(
      summary.clients.map((c) => c.federated.retention),
    );
  });

  it("soft labels: averaged state by state (known answer)", () => {
    const avg = averageLabels(
      [
        { samples: 2, labels: [1, 0, 0.5, 0.5] },
        { samples: 2, labels: [0, 1, 0.25, 0.75] },
      ],
      2,
      2,
    );
    expect(avg).toEqual([0.5, 0.5, 0.375, 0.625]);
    expect(() => averageLabels([{ samples: 3, labels: [1, 0] }], 2, 2)).toThrow(
      /holds 2 labels for 3 states/,
    );
  });

  it("soft-label mode: clients label the server's states; only their probabilities leave; the student learns", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rldistill-fed-soft-"));
    const sharp = writeLineTeacher(dir, 3);
    const { mkdirSync, readFileSync } = await import("node:fs");
    mkdirSync(join(dir, "b"));
    const teacherB = writeLineTeacher(join(dir, "b"), 6);
    const engine = new Recording();
    const { summary } = await federated(
      {
        env: ENV,
        mode: "soft-labels",
        seed: 3,
        out: join(dir, "fed"),
        student: [4],
        rounds: 3,
        publicStates: 300,
        serverEpochs: 5,
        dropouts: "1:2-2",
        evalEpisodes: 6,
        similarityStates: 200,
        clients: [
          { envKwargs: {}, teacher: sharp },
          { envKwargs: {}, teacher: teacherB },
          { envKwargs: {}, teacher: sharp },
        ],
        distill: { numEnvs: 4, rolloutSteps: 25, batchSize: 32, learningRate: 1e-2, trainRatio: 0.25 },
      },
      { engine },
    );
    await engine.close();
    expect(summary.mode).toBe("soft-labels");
    expect(summary.rounds.map((r) => r.returned)).toEqual([
      [0, 1, 2],
      [0, 2],
      [0, 1, 2],
    ]);
    const labelled = engine.outcomes.filter((o) => o.spec.role === "label");
    expect(labelled.length).toBe(3 + 2 + 3);
    expect(labelled.every((o) => o.spec.init === undefined && o.spec.states!.length === 300 * 2)).toBe(true);
    for (const [r, round] of [1, 2, 3].entries()) {
      const pub = JSON.parse(readFileSync(join(dir, "fed", "rounds", `public-${round}.json`), "utf8"));
      // Every client of a round labelled the same server states, those written in the round's file.
      for (const o of labelled.filter((_, i) => (r === 0 ? i < 3 : r === 1 ? i >= 3 && i < 5 : i >= 5)))
        expect(o.spec.states).toEqual(pub.states);
    }
    const sharpHash = sha256(readFileSync(sharp));
    for (const o of labelled) {
      const { out } = o;
      // The client's env was not stepped while it labelled.
      expect(o.steps).toBe(0);
      expect(Object.keys(out).sort()).toEqual(["key", "message", "wallSeconds", "worker"]);
      const m = out.message as LabelMessage;
      expect(Object.keys(m).sort()).toEqual(["labels", "samples"]);
      expect(m.samples).toBe(300);
      expect(m.labels.length).toBe(300 * 2);
      for (let i = 0; i < 300; i++) expect(m.labels[2 * i]! + m.labels[2 * i + 1]!).toBeCloseTo(1, 5);
      // Exactly the teacher's probabilities on the server's states, nothing more (a number-by-number
      // "no observation among them" check would be flaky here: probabilities and positions share [0, 1]).
      const teacher = await loadTrialTeacher(o.spec.teacher.hash === sharpHash ? sharp : teacherB, ENV, {});
      const want = teacherProbs(await teacher.predict(Float32Array.from(o.spec.states!), 300));
      expect(m.labels).toEqual(Array.from(want));
      expect(JSON.stringify(m)).not.toMatch(/reward|obs|return/i);
    }
    // The global student learned from the labels alone (its seeded initialisation acts at chance).
    for (const c of summary.clients) {
      expect(c.federated.retention!).toBeGreaterThan(0.8);
      expect(c.federated.agreement!).toBeGreaterThan(0.9);
    }
    expect(summary.ratio!).toBeGreaterThan(0.9);
  });

  it("refuses bad input by name", async () => {
    const run = (extra: object) =>
      federated({ env: ENV, clients: [{ envKwargs: {} }, { envKwargs: {} }], ...extra }, { workers: 0 });
    await expect(federated({ env: ENV, clients: [{ envKwargs: {} }] })).rejects.toThrow(
      /clients: give at least two/,
    );
    await expect(run({ dropouts: "5:1-2" })).rejects.toThrow(/dropouts: client 5 does not exist/);
    await expect(run({ dropouts: "1:0-2" })).rejects.toThrow(/dropouts: rounds 0-2 must lie within/);
    await expect(run({ distill: { method: "ppo" } })).rejects.toThrow(
      /distill.method: is set by the federated run/,
    );
    await expect(run({ clientsPerRound: 3 })).rejects.toThrow(/clientsPerRound: is 3, there are 2 clients/);
    await expect(run({ mode: "weights" })).rejects.toThrow(/federated.mode/);
  });
});
