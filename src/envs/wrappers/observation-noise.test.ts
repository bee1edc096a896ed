import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { CountingEnv, EchoEnv } from "../testing-fakes.js";
import { ObservationNoise } from "./observation-noise.js";

function noisyEpisode(env: ObservationNoise<number>, seed?: number): number[] {
  const out = Array.from(env.reset(seed === undefined ? {} : { seed }).obs);
  for (let i = 0; i < 4; i++) out.push(...env.step(1).obs);
  return out;
}

describe("ObservationNoise", () => {
  it("adds zero-mean Gaussian noise of the given std per entry", () => {
    const env = new ObservationNoise(new EchoEnv({ actDim: 2, episodeLength: 1e6 }), { std: [0.5, 0] });
    env.reset();
    const action = Float32Array.of(0.25, -0.75);
    const xs: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const { obs } = env.step(action);
      xs.push(obs[0]! - 0.25);
      expect(obs[1]).toBe(-0.75); // std 0 leaves the entry alone
    }
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(std).toBeGreaterThan(0.47);
    expect(std).toBeLessThan(0.53);
  });

  it("keeps observations inside the finite bounds of the space", () => {
    const env = new ObservationNoise(new CountingEnv({ episodeLength: 1e6 }), { std: 5 });
    env.reset({ seed: 0 });
    for (let i = 0; i < 200; i++) expect(env.observationSpace.contains(env.step(0).obs)).toBe(true);
  });

  it("is deterministic: same seeds give the same noise; reset({ seed }) restarts it", () => {
    const make = (seed: number) =>
      new ObservationNoise(new CountingEnv({ episodeLength: 100 }), { std: 0.1, seed });
    const a = make(7);
    const b = make(7);
    expect(noisyEpisode(a, 3)).toEqual(noisyEpisode(b, 3));
    const replay = noisyEpisode(a, 3);
    expect(noisyEpisode(a, 3)).toEqual(replay);
    expect(noisyEpisode(make(8), 3)).not.toEqual(replay); // the wrapper seed matters
    expect(noisyEpisode(a, 4)).not.toEqual(replay); // and so does the reset seed
    // Without a reset seed the stream continues instead of restarting.
    expect(noisyEpisode(a)).not.toEqual(noisyEpisode(a));
  });

  it("does not disturb the env's own random stream, and forwards state", () => {
    const inner = new CountingEnv({ episodeLength: 100 });
    const plain = new CountingEnv({ episodeLength: 100 });
    const env = new ObservationNoise(inner, { std: 0.1 });
    env.reset({ seed: 9 });
    plain.reset({ seed: 9 });
    for (let i = 0; i < 5; i++) {
      env.step(0);
      plain.step(0);
    }
    expect(env.getState()).toEqual(plain.getState());
    expect(env.unwrapped).toBe(inner);
  });

  it("validates std and the space", () => {
    const inner = new CountingEnv();
    expect(() => new ObservationNoise(inner, { std: -1 })).toThrow(/ObservationNoise\.std/);
    expect(() => new ObservationNoise(inner, { std: [1, 2, 3] })).toThrow(/2 numbers/);
    expect(() => new ObservationNoise(inner, {} as never)).toThrow(/required/);
    expect(() => new ObservationNoise(inner, { std: 1, sd: 2 } as never)).toThrow(ConfigError);
  });
});
