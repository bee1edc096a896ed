import { describe, expect, it } from "vitest";
import { CountingEnv, EchoEnv } from "../testing-fakes.js";
import { StickyAction } from "./sticky-action.js";

describe("StickyAction", () => {
  it("repeats the previously executed action with probability p, never on the first step", () => {
    const inner = new CountingEnv({ episodeLength: 20, nActions: 3 });
    const env = new StickyAction(inner, { p: 0.25, seed: 3 });
    const given: number[] = [];
    let repeats = 0;
    let steps = 0;
    for (let ep = 0; ep < 300; ep++) {
      env.reset();
      for (let t = 0; t < 20; t++) {
        const a = (ep + t) % 3; // always differs from the previous action given
        const before = inner.received.length;
        env.step(a);
        const executed = inner.received[before]!;
        if (t === 0) expect(executed).toBe(a);
        else {
          steps++;
          if (executed !== a) {
            repeats++;
            expect(executed).toBe(inner.received[before - 1]);
          }
        }
        given.push(a);
      }
    }
    expect(repeats / steps).toBeGreaterThan(0.22);
    expect(repeats / steps).toBeLessThan(0.28);
  });

  it("is seeded, and reset({ seed }) replays the same choices", () => {
    const run = (): number[] => {
      const inner = new CountingEnv({ episodeLength: 1e6 });
      const env = new StickyAction(inner, { p: 0.5, seed: 1 });
      env.reset({ seed: 5 });
      for (let i = 0; i < 40; i++) env.step(i % 3);
      env.reset({ seed: 5 });
      for (let i = 0; i < 40; i++) env.step(i % 3);
      expect(inner.received.slice(40)).toEqual(inner.received.slice(0, 40));
      return inner.received;
    };
    expect(run()).toEqual(run());
  });

  it("remembers a copy of array actions, so a reused caller buffer cannot change the repeat", () => {
    const env = new StickyAction(new EchoEnv({ episodeLength: 1e6 }), { p: 0.9, seed: 0 });
    env.reset();
    const buf = Float32Array.of(0.5, 0.5);
    env.step(buf);
    let sawRepeat = false;
    for (let i = 0; i < 20; i++) {
      buf.fill(-0.5);
      const got = env.step(buf).obs;
      if (got[0] === 0.5) sawRepeat = true;
      else expect(got[0]).toBe(-0.5);
    }
    expect(sawRepeat).toBe(true);
  });

  it("requires p in [0, 1)", () => {
    expect(() => new StickyAction(new CountingEnv(), { p: 1 })).toThrow(/StickyAction\.p/);
    expect(() => new StickyAction(new CountingEnv(), { p: -0.1 })).toThrow(/StickyAction\.p/);
  });
});
