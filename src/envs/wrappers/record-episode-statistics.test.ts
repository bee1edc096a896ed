import { describe, expect, it } from "vitest";
import { ConfigError, RlDistillError } from "../../core/errors.js";
import { CountingEnv } from "../testing-fakes.js";
import { RecordEpisodeStatistics } from "./record-episode-statistics.js";

describe("RecordEpisodeStatistics", () => {
  it("adds { r, l, t } at the episode end only, and queues the last episodes", () => {
    const env = new RecordEpisodeStatistics(new CountingEnv({ episodeLength: 3 }), { bufferLength: 2 });
    const returns: number[] = [];
    for (let ep = 0; ep < 3; ep++) {
      env.reset({ seed: ep });
      const a = ep; // reward = action, so the return is 3 * ep
      expect(env.step(a).info["episode"]).toBeUndefined();
      expect(env.step(a).info["episode"]).toBeUndefined();
      const last = env.step(a);
      expect(last.terminated).toBe(true);
      const stats = last.info["episode"] as { r: number; l: number; t: number };
      expect(stats.r).toBe(3 * ep);
      expect(stats.l).toBe(3);
      expect(stats.t).toBeGreaterThanOrEqual(0);
      expect(stats.t).toBeLessThan(5);
      expect(last.info["t"]).toBe(3); // the env's own info keys are kept
      returns.push(stats.r);
    }
    expect(env.episodeCount).toBe(3);
    expect(env.returnQueue).toEqual(returns.slice(1));
    expect(env.lengthQueue).toEqual([3, 3]);
    expect(env.timeQueue).toHaveLength(2);
  });

  it("counts from the reset, not from construction", () => {
    const env = new RecordEpisodeStatistics(new CountingEnv({ episodeLength: 2 }));
    env.reset();
    env.step(2);
    env.reset();
    env.step(1);
    expect(env.step(1).info["episode"]).toMatchObject({ r: 2, l: 2 });
  });

  it("refuses to overwrite an existing key and validates its arguments", () => {
    const env = new RecordEpisodeStatistics(
      new RecordEpisodeStatistics(new CountingEnv({ episodeLength: 1 })),
    );
    env.reset();
    expect(() => env.step(0)).toThrow(RlDistillError);
    const custom = new RecordEpisodeStatistics(
      new RecordEpisodeStatistics(new CountingEnv({ episodeLength: 1 })),
      {
        statsKey: "outer",
      },
    );
    custom.reset();
    expect(custom.step(1).info).toMatchObject({ episode: { r: 1 }, outer: { r: 1 } });
    expect(() => new RecordEpisodeStatistics(new CountingEnv(), { bufferLength: 0 })).toThrow(/bufferLength/);
    expect(() => new RecordEpisodeStatistics(new CountingEnv(), { bufer: 3 } as never)).toThrow(ConfigError);
  });
});
