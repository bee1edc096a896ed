import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { equalShares, ReservoirMemory } from "./reservoir.js";

/** n rows of task t: input row i holds [i, i, i], output row i holds [t, i]. */
function rows(t: number, from: number, n: number) {
  const input = Float32Array.from({ length: 3 * n }, (_, j) => from + Math.floor(j / 3));
  const out = Float32Array.from({ length: 2 * n }, (_, j) => (j % 2 === 0 ? t : from + Math.floor(j / 2)));
  return { input, out };
}

describe("ReservoirMemory", () => {
  it("never holds more than its capacity, and its arrays never grow", () => {
    const m = new ReservoirMemory({ capacity: 50, inputSize: 3, inputDtype: "float32", width: 2 });
    const bytes = m.bytes;
    const rng = new Rng(0);
    for (let t = 0; t < 4; t++) {
      for (let k = 0; k < 10; k++) {
        const { input, out } = rows(t, 1000 * t + 37 * k, 37);
        m.add(t, input, 37, out, 2, rng);
        expect(m.size).toBeLessThanOrEqual(50);
      }
    }
    expect(m.size).toBe(50);
    expect(m.seen).toBe(4 * 370);
    expect(m.bytes).toBe(bytes);
    const empty = new ReservoirMemory({ capacity: 0, inputSize: 3, inputDtype: "float32", width: 2 });
    const { input, out } = rows(0, 0, 10);
    empty.add(0, input, 10, out, 2, rng);
    expect(empty.size).toBe(0);
    expect(empty.sample(8, rng)).toHaveLength(0);
  });

  it("keeps every offered row with probability capacity / seen (tasks in arrival order get equal shares)", () => {
    // 4 tasks of 250 rows each into 100 slots, 300 seeds: each task holds 25 rows on average.
    const kept = new Float64Array(1000);
    const perTask = [0, 0, 0, 0];
    for (let seed = 0; seed < 300; seed++) {
      const m = new ReservoirMemory({ capacity: 100, inputSize: 3, inputDtype: "float32", width: 2 });
      const rng = new Rng(seed);
      for (let t = 0; t < 4; t++) {
        const { input, out } = rows(t, 250 * t, 250);
        m.add(t, input, 250, out, 2, rng);
      }
      const all = m.gather(Int32Array.from({ length: m.size }, (_, i) => i));
      all.groups.forEach((g, i) => {
        perTask[g.task] = perTask[g.task]! + g.count;
        for (let r = 0; r < g.count; r++)
          kept[all.targets[i]![2 * r + 1]!] = kept[all.targets[i]![2 * r + 1]!]! + 1;
      });
    }
    for (const c of perTask) expect(c / 300).toBeCloseTo(25, 0);
    // Early and late rows alike: the first and last 100 offered rows each kept 10% of the time (30 in 300).
    const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(kept.subarray(0, 100)) / 300).toBeCloseTo(0.1, 1);
    expect(mean(kept.subarray(900)) / 300).toBeCloseTo(0.1, 1);
    expect(Math.abs(mean(kept.subarray(0, 100)) - mean(kept.subarray(900)))).toBeLessThan(4);
  });

  it("samples only the tasks asked for and gathers them grouped by task", () => {
    const m = new ReservoirMemory({ capacity: 30, inputSize: 3, inputDtype: "uint8", width: 2 });
    const rng = new Rng(1);
    for (let t = 0; t < 3; t++) {
      const { input, out } = rows(t, 10 * t, 10);
      m.add(t, input, 10, out, 2, rng);
    }
    expect(m.countByTask()).toEqual([10, 10, 10]);
    const idx = m.sample(40, rng, (t) => t !== 1);
    const b = m.gather(idx);
    expect(b.n).toBe(40);
    expect(b.input).toBeInstanceOf(Uint8Array);
    expect(b.groups.map((g) => g.task)).toEqual([0, 2]);
    expect(b.groups[0]!.start).toBe(0);
    expect(b.groups[1]!.start).toBe(b.groups[0]!.count);
    b.groups.forEach((g, i) => {
      for (let r = 0; r < g.count; r++) {
        const id = b.targets[i]![2 * r + 1]!;
        expect(b.targets[i]![2 * r]).toBe(g.task);
        expect(b.input[(g.start + r) * 3]).toBe(id);
      }
    });
  });

  it("widens its targets for a task with more actions, and survives a save and load", () => {
    const m = new ReservoirMemory({ capacity: 8, inputSize: 3, inputDtype: "float32", width: 2 });
    const rng = new Rng(2);
    const a = rows(0, 0, 4);
    m.add(0, a.input, 4, a.out, 2, rng);
    m.add(
      1,
      Float32Array.from({ length: 12 }, () => 7),
      4,
      Float32Array.from({ length: 16 }, (_, i) => i),
      4,
      rng,
    );
    expect(m.width).toBe(4);
    expect(() => m.add(0, a.input, 1, new Float32Array(3), 3, rng)).toThrow(/stored with 2 actions/);
    const saved = m.toArtifact();
    const back = ReservoirMemory.fromArtifact(saved.meta, saved.tensors, 8, new Rng(3));
    expect(back.size).toBe(8);
    expect(back.seen).toBe(8);
    expect(back.countByTask()).toEqual([4, 4]);
    const g = back.gather(back.rowsOf(1));
    expect(Array.from(g.targets[0]!.subarray(0, 4))).toEqual([0, 1, 2, 3].map((i) => g.targets[0]![0]! + i));
    // A smaller capacity keeps a subset.
    expect(ReservoirMemory.fromArtifact(saved.meta, saved.tensors, 5, new Rng(3)).size).toBe(5);
  });
});

describe("ReservoirMemory.sample", () => {
  it("replays every old task equally, however unequal their shares of the memory", () => {
    const m = new ReservoirMemory({ capacity: 1000, inputSize: 3, inputDtype: "float32", width: 2 });
    const rng = new Rng(4);
    // Task 0 learnt with 9x the budget of task 1; task 2 is the live one (filtered out).
    for (const [t, n] of [
      [0, 810],
      [1, 90],
      [2, 100],
    ] as const) {
      const { input, out } = rows(t, 0, n);
      m.add(t, input, n, out, 2, rng);
    }
    expect(m.countByTask()).toEqual([810, 90, 100]);
    const counts = [0, 0, 0];
    const seen = new Set<number>();
    for (let k = 0; k < 50; k++) {
      const idx = m.sample(101, rng, (t) => t !== 2);
      expect(idx).toHaveLength(101);
      const b = m.gather(idx);
      const here = b.groups.map((g) => g.count);
      // 101 rows over 2 tasks: 50 and 51, the extra row to either task.
      expect([...here].sort()).toEqual([50, 51]);
      b.groups.forEach((g, i) => {
        counts[g.task] = counts[g.task]! + g.count;
        if (g.task === 1) for (let r = 0; r < g.count; r++) seen.add(b.targets[i]![2 * r + 1]!);
      });
    }
    expect(counts[2]).toBe(0);
    expect(Math.abs(counts[0]! - counts[1]!)).toBeLessThanOrEqual(20);
    // Uniform within a task: 2,500 draws from task 1's 90 rows reach nearly all of them.
    expect(seen.size).toBeGreaterThan(85);
  });
});

describe("ReservoirMemory.sample between adds", () => {
  it("draws from the rows held now: sampling between adds gives what a memory never sampled gives", () => {
    // Two memories fed the same rows; `a` is sampled after every add (its per-task row index is
    // built, then must be rebuilt as rows arrive and, once full, slots change task), `b` only at the end.
    const make = () => new ReservoirMemory({ capacity: 120, inputSize: 3, inputDtype: "float32", width: 2 });
    const a = make();
    const b = make();
    const feedA = new Rng(9);
    const feedB = new Rng(9);
    const drawA = new Rng(5);
    for (const [t, n] of [
      [0, 100],
      [1, 60],
      [2, 80],
    ] as const) {
      const { input, out } = rows(t, 0, n);
      a.add(t, input, n, out, 2, feedA);
      b.add(t, input, n, out, 2, feedB);
      a.sample(64, drawA);
    }
    expect(a.countByTask()).toEqual(b.countByTask());
    const idxA = a.sample(90, new Rng(11), (t) => t !== 2);
    const idxB = b.sample(90, new Rng(11), (t) => t !== 2);
    expect([...idxA]).toEqual([...idxB]);
    // Every drawn row holds the task it is filed under (a stale index would file moved slots wrongly).
    const g = a.gather(idxA);
    expect(g.groups.map((x) => [x.task, x.count])).toEqual([
      [0, 45],
      [1, 45],
    ]);
    g.groups.forEach((x, i) => {
      for (let r = 0; r < x.count; r++) expect(g.targets[i]![2 * r]).toBe(x.task);
    });
  });
});

describe("ReservoirMemory.replaceRows", () => {
  it("overwrites only the given task's rows, keeping every task's share and the stream length", () => {
    const m = new ReservoirMemory({ capacity: 20, inputSize: 3, inputDtype: "float32", width: 2 });
    const rng = new Rng(6);
    for (const t of [0, 1]) {
      const { input, out } = rows(t, 0, 10);
      m.add(t, input, 10, out, 2, rng);
    }
    const fresh = rows(1, 100, 4);
    expect(m.replaceRows(1, fresh.input, 4, fresh.out, 2, rng)).toBe(4);
    expect(m.countByTask()).toEqual([10, 10]);
    expect(m.seen).toBe(20);
    const firstInputs = (t: number) => {
      const g = m.gather(m.rowsOf(t));
      return Array.from({ length: g.n }, (_, r) => g.input[3 * r]!);
    };
    // Task 0 untouched; task 1 holds the 4 new rows (100-103) and 6 of its 10 old ones.
    expect(firstInputs(0).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const t1 = firstInputs(1);
    expect(t1.filter((x) => x >= 100).sort((a, b) => a - b)).toEqual([100, 101, 102, 103]);
    expect(t1.filter((x) => x < 100)).toHaveLength(6);
    // The targets moved with their inputs.
    const g = m.gather(m.rowsOf(1));
    for (let r = 0; r < g.n; r++) expect(g.targets[0]![2 * r + 1]).toBe(g.input[3 * r]);
    // More rows than the task holds: all of its rows are replaced, no other task's.
    const many = rows(1, 200, 15);
    expect(m.replaceRows(1, many.input, 15, many.out, 2, rng)).toBe(10);
    expect(firstInputs(1).every((x) => x >= 200)).toBe(true);
    expect(firstInputs(0)).toHaveLength(10);
    expect(() => m.replaceRows(1, many.input, 1, many.out, 3, rng)).toThrow(/2 actions/);
  });
});

describe('ReservoirMemory, balance "task"', () => {
  /** Stages of unequal length (the lifelong bench's 30k/60k/30k/120k/60k, scaled) into 1,000 slots. */
  const STREAMS = [300, 600, 300, 1200, 600];
  function fill(balance: "stream" | "task", seed: number, upTo = STREAMS.length) {
    const m = new ReservoirMemory({ capacity: 1000, inputSize: 3, inputDtype: "float32", width: 2, balance });
    const rng = new Rng(seed);
    let from = 0;
    for (let t = 0; t < upTo; t++) {
      const { input, out } = rows(t, from, STREAMS[t]!);
      m.add(t, input, STREAMS[t]!, out, 2, rng);
      from += STREAMS[t]!;
    }
    return m;
  }

  it("gives every task an equal share whatever its stream's length (stream: in proportion to it)", () => {
    // Task-balanced: exact equal shares after each stage that filled the memory.
    expect(fill("task", 1, 3).countByTask()).toEqual([300, 400, 300]);
    expect(fill("task", 1, 4).countByTask()).toEqual([250, 250, 250, 250]);
    expect(fill("task", 1).countByTask()).toEqual([200, 200, 200, 200, 200]);
    // Stream reservoir: on average 100 / 200 / 100 / 400 / 200 (shares of the 3,000 rows offered).
    const sums = [0, 0, 0, 0, 0];
    for (let seed = 0; seed < 50; seed++)
      for (const [t, c] of fill("stream", seed).countByTask().entries()) sums[t]! += c;
    expect(sums.map((s) => Math.round(s / 50 / 10) * 10)).toEqual([100, 200, 100, 400, 200]);
  });

  it("keeps a uniform sample of each task's own stream", () => {
    // Task 3 offered 1,200 rows and keeps 200: each of its rows, early or late in its stage, 1/6 of the time.
    const kept = new Float64Array(1200);
    const seeds = 200;
    for (let seed = 0; seed < seeds; seed++) {
      const m = fill("task", seed);
      const g = m.gather(m.rowsOf(3));
      for (let r = 0; r < g.n; r++) kept[g.targets[0]![2 * r + 1]! - 1200]! += 1;
    }
    const share = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length / seeds;
    expect(share(kept)).toBeCloseTo(1 / 6, 5);
    expect(share(kept.subarray(0, 200))).toBeCloseTo(1 / 6, 1);
    expect(share(kept.subarray(1000))).toBeCloseTo(1 / 6, 1);
    expect(Math.abs(share(kept.subarray(0, 200)) - share(kept.subarray(1000)))).toBeLessThan(0.03);
  });

  it("is the stream memory to the row while the memory has room", () => {
    // The first two stages (900 rows) never fill 1,000 slots: both balances hold the same rows.
    const a = fill("task", 7, 2);
    const b = fill("stream", 7, 2);
    const all = (m: ReservoirMemory) => m.gather(Int32Array.from({ length: m.size }, (_, i) => i));
    expect(all(a)).toEqual(all(b));
  });

  it("restores per-task stream lengths, shrinks to equal shares, and balances a stream memory from the next row", () => {
    const saved = fill("task", 3).toArtifact();
    expect(saved.meta["seenByTask"]).toEqual(STREAMS);
    const shrunk = ReservoirMemory.fromArtifact(saved.meta, saved.tensors, 500, new Rng(4), "task");
    expect(shrunk.countByTask()).toEqual([100, 100, 100, 100, 100]);
    // A stream memory (rows in proportion to the streams) continued with balance "task": the next
    // task's rows replace rows of the largest tasks until it is as large as they are; the tasks
    // under an equal share keep all their rows (they get no new ones), the others share the rest.
    const stream = fill("stream", 5, 4);
    const before = stream.countByTask();
    expect(Math.max(...before) - Math.min(...before)).toBeGreaterThan(100);
    const s = stream.toArtifact();
    const cont = ReservoirMemory.fromArtifact(s.meta, s.tensors, 1000, new Rng(6), "task");
    expect(cont.countByTask()).toEqual(before);
    const { input, out } = rows(4, 5000, 600);
    cont.add(4, input, 600, out, 2, new Rng(8));
    const after = cont.countByTask();
    const under = [0, 1, 2, 3].filter((t) => before[t]! < 200);
    expect(under.length).toBeGreaterThan(0);
    for (const t of under) expect(after[t]).toBe(before[t]);
    const rest = [0, 1, 2, 3, 4].filter((t) => !under.includes(t)).map((t) => after[t]!);
    expect(Math.max(...rest) - Math.min(...rest)).toBeLessThanOrEqual(1);
    expect(after.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it("shares a capacity as equally as the tasks' rows allow, and refuses an unknown balance", () => {
    const tasks = (counts: number[]) => counts.flatMap((c, t) => Array.from({ length: c }, () => t));
    expect(equalShares(tasks([10, 50, 40]), 60)).toEqual([10, 25, 25]);
    expect(equalShares(tasks([10, 50, 40]), 100)).toEqual([10, 50, 40]);
    expect(equalShares(tasks([3, 3, 3]), 7)).toEqual([2, 2, 3]);
    expect(equalShares(tasks([0, 5, 9]), 8)).toEqual([0, 4, 4]);
    expect(
      () =>
        new ReservoirMemory({
          capacity: 5,
          inputSize: 1,
          inputDtype: "float32",
          width: 1,
          balance: "equal" as "task",
        }),
    ).toThrow(/memoryBalance: must be one of stream, task, got equal/);
  });
});
