import { describe, expect, test } from "vitest";
import { ConfigError, InvalidActionError, ResetNeededError } from "../../core/errors.js";
import { NumpyRandomState } from "../../core/numpy-random.js";
import { Box, type Discrete } from "../../core/spaces.js";
import { checkEnv } from "../checker.js";
import { listEnvs, make } from "../registry.js";
import { MINATAR_GAMES, MinAtarEnv, type MinAtarGameName } from "./minatar-env.js";

const CHANNELS: Record<MinAtarGameName, number> = {
  Asterix: 4,
  Breakout: 4,
  Freeway: 7,
  Seaquest: 10,
  SpaceInvaders: 6,
};
const MINIMAL_ACTIONS: Record<MinAtarGameName, number> = {
  Asterix: 5,
  Breakout: 3,
  Freeway: 3,
  Seaquest: 6,
  SpaceInvaders: 4,
};
const STATE_SIZES: Record<MinAtarGameName, number> = {
  Asterix: 41,
  Breakout: 38,
  Freeway: 28,
  Seaquest: 306,
  SpaceInvaders: 43,
};

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe("MinAtar registration", () => {
  test("ten ids, v1 with the minimal action set, v0 with all six; uint8 (10, 10, C) observations", () => {
    const ids = listEnvs().filter((id) => id.startsWith("MinAtar/"));
    expect(ids).toHaveLength(10);
    for (const game of MINATAR_GAMES) {
      for (const [version, n] of [
        ["v1", MINIMAL_ACTIONS[game]],
        ["v0", 6],
      ] as const) {
        const env = make(`MinAtar/${game}-${version}`);
        expect((env.actionSpace as Discrete).n).toBe(n);
        expect(String(env.observationSpace)).toBe(`Box(0, 1, (10, 10, ${CHANNELS[game]}), uint8)`);
        expect(env.spec!.maxEpisodeSteps).toBeUndefined();
        const { obs } = env.reset({ seed: 0 });
        expect(obs).toBeInstanceOf(Uint8Array);
      }
    }
  });

  test.each([...MINATAR_GAMES])("checkEnv passes %s in both observation modes", (game) => {
    for (const obsType of ["pixels", "state"]) {
      for (const version of ["v1", "v0"]) {
        const id = `MinAtar/${game}-${version}`;
        expect(checkEnv(make(id, { obsType }), { seed: 3, steps: 300, throwOnProblems: false })).toEqual([]);
      }
    }
  });

  test("-v0 and -v1 play the same game through their own action indices", () => {
    // Breakout-v1's actions [NOOP, LEFT, RIGHT] are v0's [0, 1, 3].
    const v1 = make<Uint8Array, number>("MinAtar/Breakout-v1");
    const v0 = make<Uint8Array, number>("MinAtar/Breakout-v0");
    expect(v1.reset({ seed: 4 }).obs).toEqual(v0.reset({ seed: 4 }).obs);
    const policy = new NumpyRandomState(9);
    for (let t = 0; t < 200; t++) {
      const a = policy.randint(3);
      const r1 = v1.step(a);
      const r0 = v0.step([0, 1, 3][a]!);
      if (!sameValues(r0.obs, r1.obs) || r0.reward !== r1.reward || r0.terminated !== r1.terminated) {
        expect.fail(`step ${t}: v0 and v1 differ`);
      }
      if (r1.terminated) {
        v1.reset();
        v0.reset();
      }
    }
  });
});

describe("MinAtar kwargs and errors", () => {
  test("bad kwargs name the field and what is allowed", () => {
    const id = "MinAtar/Asterix-v1";
    expect(() => make(id, { stickyActionProbability: 0.1 })).toThrow(
      /MinAtar\/Asterix\.stickyActionProbability: unknown option; allowed: stickyActionProb, difficultyRamping, obsType/,
    );
    expect(() => make(id, { stickyActionProb: 1.5 })).toThrow(
      /MinAtar\/Asterix\.stickyActionProb: must be <= 1/,
    );
    expect(() => make(id, { stickyActionProb: -0.1 })).toThrow(/stickyActionProb: must be >= 0/);
    expect(() => make(id, { stickyActionProb: "0.1" })).toThrow(/stickyActionProb: expected a finite number/);
    expect(() => make(id, { difficultyRamping: "yes" })).toThrow(
      /MinAtar\/Asterix\.difficultyRamping: expected true or false/,
    );
    expect(() => make(id, { obsType: "rgb" })).toThrow(
      /MinAtar\/Asterix\.obsType: allowed: "pixels", "state"; got "rgb"/,
    );
    expect(() => make(id, { obsType: "rgb" })).toThrow(ConfigError);
    expect(() => make(id, { obsType: 1 })).toThrow(
      /MinAtar\/Asterix\.obsType: allowed: "pixels", "state"; got 1$/,
    );
    expect(() => make(id, { stickyActionProb: Number.NaN })).toThrow(/expected a finite number, got NaN$/);
    expect(() => make(id, { renderMode: "human" })).toThrow(/renderMode: allowed: "rgb_array"/);
    expect(() => new MinAtarEnv("Pong" as MinAtarGameName)).toThrow(/game: allowed: Asterix, Breakout/);
  });

  test("wrong actions and seeds are refused, naming the allowed values", () => {
    const raw = new MinAtarEnv("Breakout");
    expect(() => raw.step(0)).toThrow(ResetNeededError);
    raw.reset({ seed: 0 });
    for (const bad of [3, -1, 1.5, "1", Number.NaN]) {
      expect(() => raw.step(bad as number)).toThrow(InvalidActionError);
    }
    expect(() => raw.step(3)).toThrow(
      /action 3 is not in Discrete\(3\); allowed: 0 \(NOOP\), 1 \(LEFT\), 2 \(RIGHT\)/,
    );
    const wrapped = make("MinAtar/Breakout-v1");
    wrapped.reset({ seed: 0 });
    expect(() => wrapped.step(7)).toThrow(
      /^MinAtar\/Breakout-v1: action 7 is not in the action space Discrete\(3\); allowed: 0 \(NOOP\), 1 \(LEFT\), 2 \(RIGHT\)$/,
    );
    const v0 = make("MinAtar/Seaquest-v0", { obsType: "state" });
    v0.reset({ seed: 0 });
    for (const bad of [Number.NaN, "1", [1], Int32Array.of(1), 6])
      expect(() => v0.step(bad as number)).toThrow(
        /action (NaN|"1"|\[1\]|Int32Array\[1\]|6) is not in the action space Discrete\(6\); allowed: 0 \(NOOP\), 1 \(LEFT\), 2 \(UP\), 3 \(RIGHT\), 4 \(DOWN\), 5 \(FIRE\)$/,
      );
    expect(() => raw.reset({ seed: -1 })).toThrow(/reset\.seed: expected an integer in \[0, 2\^32 - 1\]/);
    expect(() => raw.reset({ seed: 2 ** 32 })).toThrow(ConfigError);
    expect(() => raw.reset({ options: { state: [1] } })).toThrow(/reset\.options\.state: unknown option/);
  });

  test("stickyActionProb 1 always repeats the first action (NOOP): the paddle never moves", () => {
    const env = make<Float32Array, number>("MinAtar/Breakout-v1", { stickyActionProb: 1, obsType: "state" });
    env.reset({ seed: 0 });
    for (let t = 0; t < 5; t++) {
      const r = env.step(2);
      expect(r.obs[0]).toBe(4); // paddleX stays at its start column
      expect(r.obs[r.obs.length - 1]).toBe(0); // lastAction: NOOP
    }
    const free = make<Float32Array, number>("MinAtar/Breakout-v1", { stickyActionProb: 0, obsType: "state" });
    free.reset({ seed: 0 });
    expect(free.step(2).obs[0]).toBe(5);
  });

  test("difficultyRamping false keeps Asterix at its starting speed; true ramps it", () => {
    // Seed 18 with this random player survives 178 frames, past the first ramp at frame 102.
    const ramps = (difficultyRamping: boolean): number[] => {
      const env = new MinAtarEnv("Asterix", { difficultyRamping, obsType: "state", stickyActionProb: 0 });
      const policy = new NumpyRandomState(18);
      const seen: number[] = [];
      env.reset({ seed: 18 });
      for (let t = 0; t < 150; t++) {
        const obs = env.step(policy.randint(5)).obs as Float32Array;
        seen.push(obs[env.stateNames.indexOf("rampIndex")]!, obs[env.stateNames.indexOf("spawnSpeed")]!);
      }
      return seen;
    };
    const off = ramps(false);
    expect(Math.max(...off.filter((_, i) => i % 2 === 0))).toBe(0);
    expect(Math.min(...off.filter((_, i) => i % 2 === 1))).toBe(10);
    const on = ramps(true);
    expect(Math.max(...on.filter((_, i) => i % 2 === 0))).toBe(1);
    expect(Math.min(...on.filter((_, i) => i % 2 === 1))).toBe(9);
  });
});

describe("MinAtar determinism and generator", () => {
  test.each([...MINATAR_GAMES])(
    "%s: reset({ seed }) replays the same trajectory whatever came before",
    (game) => {
      const env = make<Uint8Array, number>(`MinAtar/${game}-v1`);
      const record = (): string[] => {
        const out: string[] = [];
        const n = (env.actionSpace as Discrete).n;
        const policy = new NumpyRandomState(5);
        out.push(Buffer.from(env.reset({ seed: 11 }).obs).toString("hex"));
        for (let t = 0; t < 300; t++) {
          const r = env.step(policy.randint(n));
          out.push(`${Buffer.from(r.obs).toString("hex")}/${r.reward}/${r.terminated}`);
          if (r.terminated) out.push(Buffer.from(env.reset().obs).toString("hex"));
        }
        return out;
      };
      const first = record();
      // The second run starts after 300 steps of play (another last action, another stream position).
      expect(record()).toEqual(first);
      // A fresh env with the seed gives it too.
      const fresh = make<Uint8Array, number>(`MinAtar/${game}-v1`);
      expect(Buffer.from(fresh.reset({ seed: 11 }).obs).toString("hex")).toBe(first[0]);
    },
  );

  test("the sticky draw and the game share one stream: a sticky probability of 0 still draws", () => {
    // With p = 0 no action repeats, yet the draw is made (MinAtar compares rand() < p every step),
    // so the game's later draws sit at the same positions as with p = 0.1 when no repeat happens.
    const a = new MinAtarEnv("Freeway", { stickyActionProb: 0 });
    const b = new MinAtarEnv("Freeway", { stickyActionProb: 0.1 });
    a.reset({ seed: 2 });
    b.reset({ seed: 2 });
    // All-NOOP play: a repeat of NOOP is NOOP, so both games see the same actions and draws.
    for (let t = 0; t < 2600; t++) {
      const ra = a.step(0);
      const rb = b.step(0);
      if (!sameValues(ra.obs as Uint8Array, rb.obs as Uint8Array)) expect.fail(`step ${t}: the games differ`);
      if (ra.terminated) break;
    }
    expect(a.random.nextUint32()).toBe(b.random.nextUint32());
  });
});

describe("MinAtar state vectors", () => {
  test.each([...MINATAR_GAMES])(
    "%s: state and pixel modes of one seed step through the same game",
    (game) => {
      const pixels = make<Uint8Array, number>(`MinAtar/${game}-v0`);
      const state = make<Float32Array, number>(`MinAtar/${game}-v0`, { obsType: "state" });
      const rawPixels = pixels.unwrapped as MinAtarEnv;
      const rawState = state.unwrapped as MinAtarEnv;
      expect(state.observationSpace).toBeInstanceOf(Box);
      expect((state.observationSpace as Box).dtype).toBe("float32");
      expect(state.observationSpace.shape).toEqual([STATE_SIZES[game]]);
      expect(rawState.stateNames).toHaveLength(STATE_SIZES[game]);
      expect(new Set(rawState.stateNames).size).toBe(STATE_SIZES[game]);
      const policy = new NumpyRandomState(3);
      let p = pixels.reset({ seed: 8 }).obs;
      let s = state.reset({ seed: 8 }).obs;
      let episodes = 0;
      // One expect per mismatch only: thousands of expect() calls would dominate the test's time.
      for (let t = 0; t < 3000; t++) {
        if (!sameValues(rawState.pixels(), p))
          expect.fail(`${game} step ${t}: pixels differ between the modes`);
        if (!sameValues(rawPixels.stateVector(), s))
          expect.fail(`${game} step ${t}: states differ between the modes`);
        if (!state.observationSpace.contains(s)) {
          const box = state.observationSpace as Box;
          const bad = rawState.stateNames.filter((_, i) => !(s[i]! >= box.low[i]! && s[i]! <= box.high[i]!));
          expect.fail(`${game} step ${t}: state outside its Box at ${bad.join(", ")}`);
        }
        const a = policy.randint(6);
        const rp = pixels.step(a);
        const rs = state.step(a);
        if (rs.reward !== rp.reward || rs.terminated !== rp.terminated)
          expect.fail(`${game} step ${t}: outcomes differ`);
        p = rp.obs;
        s = rs.obs;
        if (rp.terminated) {
          episodes++;
          p = pixels.reset().obs;
          s = state.reset().obs;
        }
      }
      expect(episodes).toBeGreaterThan(0);
    },
  );

  test("layouts read as documented (Breakout at reset)", () => {
    const env = new MinAtarEnv("Breakout", { obsType: "state" });
    const obs = env.reset({ seed: 0 }).obs as Float32Array;
    const at = (name: string): number => obs[env.stateNames.indexOf(name)]!;
    expect(at("paddleX")).toBe(4);
    expect(at("ballY")).toBe(3);
    // Seed 0's first randint(2) is 0: the ball starts on the left, heading down-right.
    expect([at("ballX"), at("ballDir")]).toEqual([0, 2]);
    expect(env.stateNames.filter((n) => n.startsWith("brick")).map(at)).toEqual(new Array(30).fill(1));
    expect(env.stateNames.at(-1)).toBe("lastAction");
  });
});

describe("MinAtar render", () => {
  test("160 x 160 RGB with a black background and one palette colour per channel", () => {
    const env = make("MinAtar/Breakout-v1");
    env.reset({ seed: 0 });
    const frame = env.render!();
    expect([frame.width, frame.height, frame.data.length]).toEqual([160, 160, 160 * 160 * 3]);
    const pixel = (row: number, col: number): number[] => {
      const p = ((row * 16 + 8) * 160 + col * 16 + 8) * 3;
      return Array.from(frame.data.subarray(p, p + 3));
    };
    expect(pixel(5, 5)).toEqual([0, 0, 0]); // empty cell
    const paddle = pixel(9, 4);
    const brick = pixel(1, 0);
    expect(paddle).not.toEqual([0, 0, 0]);
    expect(brick).not.toEqual(paddle);
    // cubehelix runs dark to light: the last channel (brick) is brighter than the first (paddle).
    const sum = (c: number[]): number => c[0]! + c[1]! + c[2]!;
    expect(sum(brick)).toBeGreaterThan(sum(paddle));
    expect(() => new MinAtarEnv("Breakout").render()).toThrow(ResetNeededError);
  });

  test('make(id, { renderMode: "rgb_array" }) works for all ten ids, in both observation modes', () => {
    for (const id of listEnvs().filter((i) => i.startsWith("MinAtar/"))) {
      for (const obsType of ["pixels", "state"]) {
        const env = make(id, { renderMode: "rgb_array", obsType });
        env.reset({ seed: 2 });
        const frame = env.render!();
        expect([frame.width, frame.height]).toEqual([160, 160]);
        expect(frame.data.some((v) => v > 0)).toBe(true);
      }
    }
  });
});

describe("MinAtar clone", () => {
  /** Observation, reward and end of 300 steps of seeded random play (resets continue the stream). */
  function play(env: MinAtarEnv, actionSeed: number): string[] {
    const policy = new NumpyRandomState(actionSeed);
    const out: string[] = [];
    for (let t = 0; t < 300; t++) {
      const r = env.step(policy.randint(env.actionSpace.n));
      out.push(
        `${Buffer.from(r.obs.buffer, r.obs.byteOffset, r.obs.byteLength).toString("hex")}/${r.reward}/${r.terminated}`,
      );
      if (r.terminated) env.reset();
    }
    return out;
  }

  test.each([...MINATAR_GAMES])(
    "%s: the copy plays on as the env would, and playing it leaves the env untouched",
    (game) => {
      const env = new MinAtarEnv(game);
      const reference = new MinAtarEnv(game);
      env.reset({ seed: 4 });
      reference.reset({ seed: 4 });
      // 300 steps in (the game, the generator and the last action all moved on) before the copy.
      play(env, 1);
      play(reference, 1);
      const copy = env.clone();
      const fromCopy = play(copy, 2);
      const fromEnv = play(env, 2);
      expect(fromCopy).toEqual(fromEnv);
      expect(fromEnv).toEqual(play(reference, 2));
    },
  );

  test("the copy keeps the action set, observation type and sticky probability", () => {
    const env = new MinAtarEnv(
      "Breakout",
      { stickyActionProb: 0.3, obsType: "state" },
      { minimalActionSet: false },
    );
    env.reset({ seed: 1 });
    for (let t = 0; t < 40; t++) env.step(t % 6);
    const copy = env.clone();
    expect(copy.actionSpace.n).toBe(6);
    expect(copy.obsType).toBe("state");
    expect(copy.stickyActionProb).toBe(0.3);
    expect(Array.from(copy.stateVector())).toEqual(Array.from(env.stateVector()));
    for (let t = 0; t < 100; t++) {
      const a = copy.step(t % 6);
      const b = env.step(t % 6);
      expect(Array.from(a.obs)).toEqual(Array.from(b.obs));
      if (a.terminated) break;
    }
  });

  test("a copy of an env that was never reset needs a reset too", () => {
    expect(() => new MinAtarEnv("Asterix").clone().step(0)).toThrow(ResetNeededError);
  });
});
