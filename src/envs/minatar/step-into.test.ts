/**
 * `stepInto`, the vector envs' path that writes each observation straight into the batch: the same
 * trajectories as `step` (observations, rewards, flags, final observations at auto-reset), for
 * every game in both observation modes, under make()'s wrappers and a TimeLimit; and only taken
 * when every wrapper layer has it.
 */
import { describe, expect, it } from "vitest";
import { canStepInto, type Env, Wrapper } from "../../core/env.js";
import { Rng } from "../../core/rng.js";
import { make } from "../registry.js";
import { SyncVectorEnv } from "../vector/sync-vector-env.js";
import type { FinalInfo } from "../vector/vector-env.js";
import { ObservationNoise } from "../wrappers/index.js";
import { MINATAR_GAMES, MinAtarEnv } from "./minatar-env.js";

describe("MinAtar stepInto", () => {
  it("writes step()'s observation at the offset and nothing else", () => {
    for (const obsType of ["pixels", "state"] as const) {
      const a = new MinAtarEnv("Seaquest", { obsType });
      const b = new MinAtarEnv("Seaquest", { obsType });
      a.reset({ seed: 3 });
      b.reset({ seed: 3 });
      const size = a.observationSpace.size;
      const out =
        obsType === "pixels" ? new Uint8Array(3 * size).fill(7) : new Float32Array(3 * size).fill(7);
      for (let t = 0; t < 300; t++) {
        const action = t % 6;
        const r = a.step(action);
        const s = b.stepInto(action, out, size);
        expect(s.obs).toBeNull();
        expect([s.reward, s.terminated, s.truncated]).toEqual([r.reward, r.terminated, r.truncated]);
        expect(Array.from(out.subarray(size, 2 * size))).toEqual(Array.from(r.obs));
        if (r.terminated) {
          a.reset();
          b.reset();
        }
      }
      expect(out.subarray(0, size).every((v) => v === 7)).toBe(true);
      expect(out.subarray(2 * size).every((v) => v === 7)).toBe(true);
    }
  });

  it("says which envs a vector env may step into: every layer must have it", () => {
    expect(canStepInto(make("MinAtar/Breakout-v1"))).toBe(true);
    expect(canStepInto(make("MinAtar/Breakout-v1", {}, { maxEpisodeSteps: 10 }))).toBe(true);
    expect(canStepInto(new MinAtarEnv("Breakout"))).toBe(true);
    expect(canStepInto(make("CartPole-v1"))).toBe(false);
    // A wrapper that changes observations (or any wrapper without stepInto) is never skipped.
    expect(
      canStepInto(new ObservationNoise(make("MinAtar/Breakout-v1", { obsType: "state" }), { std: 1 })),
    ).toBe(false);
    expect(canStepInto(new Wrapper(make("MinAtar/Breakout-v1")))).toBe(false);
  });

  const cases = MINATAR_GAMES.flatMap((game) =>
    (["pixels", "state"] as const).map((obsType) => [game, obsType]),
  );
  it.each(cases)(
    "%s (%s): a vector env stepping into its batch plays the same as one calling step()",
    (game, obsType) => {
      const factory = (plain: boolean) => (): Env<unknown, unknown> => {
        // A short TimeLimit on half of the sub-envs makes truncations too.
        const env = make(`MinAtar/${game}-v1`, { obsType }, { maxEpisodeSteps: 60 });
        return plain ? new Wrapper(env) : env;
      };
      const fast = new SyncVectorEnv(factory(false), 4);
      const plain = new SyncVectorEnv(factory(true), 4);
      expect(fast.envs.every(canStepInto)).toBe(true);
      expect(plain.envs.some(canStepInto)).toBe(false);
      const a = fast.reset({ seed: 5 });
      const b = plain.reset({ seed: 5 });
      expect(Array.from(a.obs)).toEqual(Array.from(b.obs));
      const n = fast.singleActionSpace.type === "Discrete" ? fast.singleActionSpace.n : 0;
      const rng = new Rng(9);
      let ends = 0;
      for (let t = 0; t < 400; t++) {
        const actions = Int32Array.from({ length: 4 }, () => rng.integer(n));
        const x = fast.step(actions);
        const y = plain.step(actions);
        if (!sameValues(x.obs, y.obs)) expect(Array.from(x.obs)).toEqual(Array.from(y.obs));
        expect(Array.from(x.rewards)).toEqual(Array.from(y.rewards));
        expect(Array.from(x.terminated)).toEqual(Array.from(y.terminated));
        expect(Array.from(x.truncated)).toEqual(Array.from(y.truncated));
        for (let i = 0; i < 4; i++) {
          if (!(x.terminated[i] || x.truncated[i])) continue;
          ends++;
          const fx = (x.infos[i] as FinalInfo).finalObs;
          expect(Array.from(fx)).toEqual(Array.from((y.infos[i] as FinalInfo).finalObs));
          expect(fx.some((v) => v !== 0)).toBe(true);
        }
      }
      expect(ends).toBeGreaterThan(4);
    },
  );
});

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
