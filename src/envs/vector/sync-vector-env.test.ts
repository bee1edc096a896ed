import { describe, expect, it } from "vitest";
import { ConfigError, InvalidActionError, ResetNeededError } from "../../core/errors.js";
import { make } from "../registry.js";
import { CountingEnv, EchoEnv } from "../testing-fakes.js";
import { SyncVectorEnv } from "./sync-vector-env.js";
import type { FinalInfo } from "./vector-env.js";

const f = Math.fround;

describe("SyncVectorEnv", () => {
  it("seeds sub-env i with seed + i and lays observations out row-major", () => {
    const venv = new SyncVectorEnv(() => new CountingEnv({ episodeLength: 3 }), 3);
    expect(venv.obsSize).toBe(2);
    expect(venv.actSize).toBe(1);
    const { obs } = venv.reset({ seed: 10 });
    for (let i = 0; i < 3; i++) {
      const single = new CountingEnv().reset({ seed: 10 + i }).obs;
      expect(Array.from(obs.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(single));
    }
    const arraySeeds = venv.reset({ seed: [12, 11, 10] }).obs;
    expect(arraySeeds[1]).toBe(new CountingEnv().reset({ seed: 12 }).obs[1]);
  });

  it("auto-resets in the same step and keeps the final obs and info", () => {
    const venv = new SyncVectorEnv((i) => new CountingEnv({ episodeLength: 2 + i }), 2);
    venv.reset({ seed: 0 });
    let out = venv.step([1, 2]);
    expect(Array.from(out.rewards)).toEqual([1, 2]);
    expect(Array.from(out.terminated)).toEqual([0, 0]);
    const firstObs = out.obs;
    out = venv.step(Int32Array.of(2, 0));
    expect(out.obs).toBe(firstObs); // buffers are reused
    expect(Array.from(out.terminated)).toEqual([1, 0]);
    expect(out.obs[0]).toBe(0); // row 0 already holds the new episode (t = 0)
    expect(out.obs[2]).toBe(2);
    const info = out.infos[0] as FinalInfo;
    expect(info.finalObs[0]).toBe(2);
    expect(info.finalInfo["t"]).toBe(2);
    expect(out.infos[1]).toEqual({ t: 2 });
    out = venv.step([0, 0]);
    expect(Array.from(out.terminated)).toEqual([0, 1]);
    expect((out.infos[1] as FinalInfo).finalObs[0]).toBe(3);
    expect(venv.getStates().map((s) => s[0])).toEqual([1, 0]);
  });

  it("copies Box actions into per-env arrays", () => {
    const venv = new SyncVectorEnv(() => new EchoEnv({ actDim: 2 }), 2);
    expect(venv.actSize).toBe(2);
    venv.reset();
    const out = venv.step(Float32Array.of(0.1, 0.2, 0.3, 0.4));
    expect(Array.from(out.obs)).toEqual([f(0.1), f(0.2), f(0.3), f(0.4)]);
    expect(Array.from(out.rewards)).toEqual([f(0.1) + f(0.2), f(0.3) + f(0.4)]);
  });

  it("stores uint8 observations (MinAtar) as uint8, as each sub-env gives them", () => {
    const venv = new SyncVectorEnv(() => make("MinAtar/Breakout-v1"), 3);
    expect(venv.obsDtype).toBe("uint8");
    expect(venv.obsSize).toBe(400);
    const { obs } = venv.reset({ seed: 5 });
    expect(obs).toBeInstanceOf(Uint8Array);
    for (let i = 0; i < 3; i++) {
      const single = make<Uint8Array, number>("MinAtar/Breakout-v1").reset({ seed: 5 + i }).obs;
      expect(obs.subarray(400 * i, 400 * (i + 1))).toEqual(single);
    }
    let final: FinalInfo | undefined;
    for (let t = 0; t < 200 && !final; t++) {
      const out = venv.step([0, 0, 0]);
      expect(out.obs).toBeInstanceOf(Uint8Array);
      final = out.infos.find((info) => "finalObs" in info) as FinalInfo | undefined;
    }
    expect(final!.finalObs).toBeInstanceOf(Uint8Array);
    expect(final!.finalObs.length).toBe(400);
    const floats = new SyncVectorEnv(() => make("CartPole-v1"), 2);
    expect(floats.obsDtype).toBe("float32");
    expect(floats.reset({ seed: 0 }).obs).toBeInstanceOf(Float32Array);
  });

  it("reports misuse with named errors", () => {
    const venv = new SyncVectorEnv(() => new CountingEnv(), 2, { seed: 3 });
    expect(() => venv.step([0, 0])).toThrow(ResetNeededError);
    const seeded = venv.reset().obs.slice();
    expect(Array.from(new SyncVectorEnv(() => new CountingEnv(), 2).reset({ seed: 3 }).obs)).toEqual(
      Array.from(seeded),
    );
    expect(() => venv.step([0])).toThrow(InvalidActionError);
    expect(() => venv.reset({ seed: 1.5 })).toThrow(/reset\.seed/);
    expect(() => new SyncVectorEnv(() => new CountingEnv(), 0)).toThrow(/numEnvs/);
    expect(() => new SyncVectorEnv((i) => new CountingEnv({ nActions: 2 + i }), 2)).toThrow(ConfigError);
    expect(() => new SyncVectorEnv(() => new EchoEnv(), 1).getStates()).toThrow(/no getState/);
    venv.close();
    expect(() => venv.reset()).toThrow(/after close/);
  });
});
