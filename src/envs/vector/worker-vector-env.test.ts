import { afterEach, describe, expect, it } from "vitest";
import { Wrapper } from "../../core/env.js";
import { ConfigError, InvalidActionError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { CountingEnv } from "../testing-fakes.js";
import { makeVec } from "./make-vec.js";
import { SyncVectorEnv } from "./sync-vector-env.js";
import type { FinalInfo, VectorEnv } from "./vector-env.js";
import { WorkerVectorEnv } from "./worker-vector-env.js";

const fakes = new URL("../testing-fakes.ts", import.meta.url).href;
const open: VectorEnv[] = [];
function track<T extends VectorEnv>(v: T): T {
  open.push(v);
  return v;
}
afterEach(() => {
  for (const v of open.splice(0)) v.close();
});

/** Obs, rewards, flags and final obs of `steps` steps with seeded random actions. */
function trajectory(venv: VectorEnv, steps: number): number[][] {
  const rng = new Rng(99);
  const n = venv.numEnvs;
  const nActions = venv.singleActionSpace.type === "Discrete" ? venv.singleActionSpace.n : 0;
  const actions =
    venv.singleActionSpace.type === "Discrete" ? new Int32Array(n) : new Float32Array(n * venv.actSize);
  const rows: number[][] = [Array.from(venv.reset({ seed: 7 }).obs)];
  for (let t = 0; t < steps; t++) {
    for (let k = 0; k < actions.length; k++)
      actions[k] = nActions ? rng.integer(nActions) : rng.uniform(-1, 1);
    const out = venv.step(actions);
    rows.push([...out.obs, ...out.rewards, ...out.terminated, ...out.truncated]);
    out.infos.forEach((info, i) => {
      if ("finalObs" in info) rows.push([i, ...(info as FinalInfo).finalObs]);
    });
  }
  return rows;
}

describe("WorkerVectorEnv", () => {
  it("gives the same trajectories as SyncVectorEnv (module factory, 2 workers, 5 envs)", () => {
    const kwargs = { episodeLength: 4 };
    const worker = track(
      new WorkerVectorEnv(5, { module: fakes, exportName: "makeCountingEnv", kwargs, numWorkers: 2 }),
    );
    const sync = track(new SyncVectorEnv(() => new CountingEnv(kwargs), 5));
    expect(worker.obsSize).toBe(2);
    expect(String(worker.singleActionSpace)).toBe("Discrete(3)");
    expect(trajectory(worker, 30)).toEqual(trajectory(sync, 30));
    expect(worker.getStates()).toEqual(sync.getStates());
  });

  it("reports episode statistics computed in the worker", () => {
    const venv = track(
      new WorkerVectorEnv(2, { module: fakes, exportName: "makeCountingEnv", kwargs: { episodeLength: 3 } }),
    );
    venv.reset({ seed: 0 });
    venv.step([1, 2]);
    venv.step([1, 2]);
    const out = venv.step([1, 0]);
    expect(out.terminated[0]).toBe(1);
    const stats = (out.infos[0] as FinalInfo).finalInfo["episode"];
    expect(stats).toMatchObject({ r: 3, l: 3 });
    expect((out.infos[1] as FinalInfo).finalInfo["episode"]).toMatchObject({ r: 4, l: 3 });
    expect(venv.step([0, 0]).infos[0]).toEqual({});
  });

  it("matches SyncVectorEnv on CartPole-v1 built by make() in the workers", () => {
    const worker = track(makeVec("CartPole-v1", 4, { mode: "worker", numWorkers: 2 }));
    const sync = track(makeVec("CartPole-v1", 4));
    expect(trajectory(worker, 120)).toEqual(trajectory(sync, 120));
  });

  it("keeps uint8 observations (MinAtar) as uint8 in shared memory, matching SyncVectorEnv", () => {
    const worker = track(makeVec("MinAtar/Seaquest-v1", 4, { mode: "worker", numWorkers: 2 }));
    const sync = track(makeVec("MinAtar/Seaquest-v1", 4));
    expect(worker.obsDtype).toBe("uint8");
    expect(worker.reset({ seed: 0 }).obs).toBeInstanceOf(Uint8Array);
    expect(trajectory(worker, 300)).toEqual(trajectory(sync, 300));
    // Workers write observations straight into shared memory (Env.stepInto): the same as step().
    const plain = track(makeVec("MinAtar/Seaquest-v1", 4, { wrappers: [(env) => new Wrapper(env)] }));
    expect(trajectory(plain, 300)).toEqual(
      trajectory(track(makeVec("MinAtar/Seaquest-v1", 4, { mode: "worker", numWorkers: 2 })), 300),
    );
    const rng = new Rng(5);
    let ended = 0;
    for (let t = 0; t < 300 && ended === 0; t++) {
      const out = worker.step(Int32Array.from({ length: 4 }, () => rng.integer(6)));
      out.infos.forEach((info) => {
        if (!("finalObs" in info)) return;
        expect((info as FinalInfo).finalObs).toBeInstanceOf(Uint8Array);
        ended++;
      });
    }
    expect(ended).toBeGreaterThan(0);
  });

  it("passes errors back as the same error classes", () => {
    expect(
      () => new WorkerVectorEnv(1, { module: fakes, exportName: "makeCountingEnv", kwargs: { bad: 1 } }),
    ).toThrow(ConfigError);
    expect(() => new WorkerVectorEnv(1, { envId: "NoSuchEnv-v0" })).toThrow(/unknown env id/);
    expect(() => new WorkerVectorEnv(1, { module: fakes, exportName: "nothing" })).toThrow(/exportName/);
    const venv = track(new WorkerVectorEnv(2, { envId: "CartPole-v1", numWorkers: 2 }));
    venv.reset({ seed: 1 });
    expect(() => venv.step([0, 5])).toThrow(InvalidActionError);
    expect(() => venv.step([0, 1])).toThrow(/reset/); // half-stepped: a reset is required
    venv.reset({ seed: 1 });
    expect(venv.step([0, 1]).rewards[1]).toBe(1);
  });

  it("closes its workers and refuses later calls", () => {
    const venv = new WorkerVectorEnv(1, { envId: "CartPole-v1" });
    venv.reset();
    venv.close();
    venv.close();
    expect(() => venv.step([0])).toThrow(/after close/);
  });
});
