import { describe, expect, test } from "vitest";
import { NumpyRandomState } from "./numpy-random.js";

const take = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

describe("MT19937 known answers", () => {
  test("init_genrand(5489): the reference outputs, and the 10,000th is 4123659995", () => {
    // mt19937ar.c seeded with init_genrand(5489) (C++'s std::mt19937 default); the 10,000th output
    // 4123659995 is the value the C++ standard requires of std::mt19937. Same in NumPy:
    //   rs = np.random.RandomState(5489); rs._bit_generator.random_raw(5).tolist()
    //   -> [3499211612, 581869302, 3890346734, 3586334585, 545404204]
    const rs = new NumpyRandomState(5489);
    expect(take(5, () => rs.nextUint32())).toEqual([
      3499211612, 581869302, 3890346734, 3586334585, 545404204,
    ]);
    take(9994, () => rs.nextUint32());
    expect(rs.nextUint32()).toBe(4123659995);
  });

  test("init_by_array({0x123, 0x234, 0x345, 0x456}): the first outputs of mt19937ar.out", () => {
    // The test vector published with mt19937ar.c (mt19937ar.out, "1000 outputs of genrand_int32()").
    // NumPy agrees: np.random.RandomState([0x123, 0x234, 0x345, 0x456])._bit_generator.random_raw(10)
    const rs = new NumpyRandomState();
    rs.seedByArray([0x123, 0x234, 0x345, 0x456]);
    expect(take(10, () => rs.nextUint32())).toEqual([
      1067595299, 955945823, 477289528, 4107218783, 4228976476, 3344332714, 3355579695, 227628506, 810200273,
      2591290167,
    ]);
  });
});

describe("NumPy RandomState known answers (NumPy 2.4.6; legacy streams are frozen across versions)", () => {
  test("RandomState(0): raw outputs, rand() and rand(3)", () => {
    // rs = np.random.RandomState(0); rs._bit_generator.random_raw(4).tolist()
    const raw = new NumpyRandomState(0);
    expect(take(4, () => raw.nextUint32())).toEqual([2357136044, 2546248239, 3071714933, 3626093760]);
    // rs = np.random.RandomState(0); [rs.rand() for _ in range(3)], rs.rand(3)
    const rs = new NumpyRandomState(0);
    expect(take(3, () => rs.rand())).toEqual([0.5488135039273248, 0.7151893663724195, 0.6027633760716439]);
    expect(Array.from(rs.randArray(3))).toEqual([0.5448831829968969, 0.4236547993389047, 0.6458941130666561]);
  });

  test("rand() after init_by_array", () => {
    // np.random.RandomState([0x123, 0x234, 0x345, 0x456]).rand(5)
    const rs = new NumpyRandomState();
    rs.seedByArray([0x123, 0x234, 0x345, 0x456]);
    expect(Array.from(rs.randArray(5))).toEqual([
      0.24856890158782508, 0.11112762955044497, 0.9846353141863877, 0.7812817771211183, 0.18863945158818174,
    ]);
  });

  test("randint(n), randint(low, high, size), randint(low=, high=) in one stream", () => {
    // rs = np.random.RandomState(1)
    // [int(rs.randint(2)) for _ in range(8)], rs.randint(1, 6, 8).tolist(),
    // [int(rs.randint(low=1, high=9)) for _ in range(5)], [int(rs.randint(5)) for _ in range(5)]
    const rs = new NumpyRandomState(1);
    expect(take(8, () => rs.randint(2))).toEqual([1, 1, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(rs.randintArray(1, 6, 8))).toEqual([1, 1, 2, 5, 5, 2, 3, 5]);
    expect(take(5, () => rs.randint(1, 9))).toEqual([7, 6, 3, 5, 4]);
    expect(take(5, () => rs.randint(5))).toEqual([4, 2, 4, 2, 4]);
  });

  test("randint rejects masked draws above the range (mask 7 for randint(5))", () => {
    // rs = np.random.RandomState(7); raw = rs._bit_generator.random_raw(12); [r & 7 for r in raw]
    //   -> [7, 4, 1, 6, 3, 3, 7, 7, 4, 1, 6, 7]   (7, 6, 5 rejected)
    // rs = np.random.RandomState(7); [int(rs.randint(5)) for _ in range(8)] -> [4, 1, 3, 3, 4, 1, 0, 1]
    const rs = new NumpyRandomState(7);
    expect(take(8, () => rs.randint(5))).toEqual([4, 1, 3, 3, 4, 1, 0, 1]);
    // rs = np.random.RandomState(7); rs.randint(1, 6, 8).tolist(), rs.rand(2).tolist()
    const again = new NumpyRandomState(7);
    expect(Array.from(again.randintArray(1, 6, 8))).toEqual([5, 2, 4, 4, 5, 2, 1, 2]);
    expect(Array.from(again.randArray(2))).toEqual([0.07205113335976154, 0.26843898010187117]);
  });

  test("a one-value range consumes nothing; the largest seed and the widest ranges", () => {
    // rs = np.random.RandomState(2**32 - 1); rs._bit_generator.random_raw(3); rs.randint(1) -> 0;
    // rs._bit_generator.random_raw(1) -> [2416749639], the 4th raw output: randint(1) drew nothing.
    const rs = new NumpyRandomState(2 ** 32 - 1);
    expect(take(3, () => rs.nextUint32())).toEqual([419326371, 479346978, 3918654476]);
    expect(rs.randint(1)).toBe(0);
    expect(rs.randint(-3, -2)).toBe(-3);
    expect(rs.nextUint32()).toBe(2416749639);
    // rs = np.random.RandomState(3); [int(rs.randint(0, 2**32)) for _ in range(3)],
    // [int(rs.randint(-5, 1000000)) for _ in range(3)]
    const wide = new NumpyRandomState(3);
    expect(take(3, () => wide.randint(0, 2 ** 32))).toEqual([2365658986, 303761048, 3041471737]);
    expect(take(3, () => wide.randint(-5, 1000000))).toEqual([452222, 572339, 366843]);
  });
});

describe("NumpyRandomState contract", () => {
  test("reseeding restarts the stream; getState/setState continue it", () => {
    const rs = new NumpyRandomState(42);
    const first = take(700, () => rs.rand());
    rs.seed(42);
    expect(take(700, () => rs.rand())).toEqual(first);
    const state = rs.getState();
    const next = take(800, () => rs.nextUint32());
    const other = new NumpyRandomState(9);
    other.setState(state);
    expect(take(800, () => other.nextUint32())).toEqual(next);
  });

  test("bad seeds and ranges are refused with the allowed values", () => {
    expect(() => new NumpyRandomState(-1)).toThrow(/\[0, 2\^32 - 1\]/);
    expect(() => new NumpyRandomState(2 ** 32)).toThrow(/\[0, 2\^32 - 1\]/);
    expect(() => new NumpyRandomState(1.5)).toThrow(/integer/);
    const rs = new NumpyRandomState(0);
    expect(() => rs.randint(3, 3)).toThrow(/low < high/);
    expect(() => rs.randint(0, 2 ** 32 + 1)).toThrow(/wider than 2\^32/);
    expect(() => rs.seedByArray([])).toThrow(/empty/);
    expect(() => rs.setState({ key: [1, 2], pos: 0 })).toThrow(/624 words/);
  });
});
