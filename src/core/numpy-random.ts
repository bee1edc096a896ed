/**
 * NumPy's legacy generator, `numpy.random.RandomState`, exact to the bit for the draws it
 * implements: a Mersenne Twister (MT19937, Matsumoto and Nishimura 1998) with NumPy's legacy
 * seeding and its `rand` and `randint` algorithms.
 *
 * It exists so that games written against `RandomState` (MinAtar, src/envs/minatar) replay the
 * Python trajectories exactly. Everything else in rldistill draws from `Rng` (xoshiro128**), which is
 * faster and has the better-mixed seeding; use this class only where a NumPy stream must be matched.
 *
 *   const rs = new NumpyRandomState(0);   // numpy.random.RandomState(0)
 *   rs.rand();                            // 0.5488135039273248, as rs.rand() in NumPy
 *   rs.randint(1, 6);                     // as rs.randint(1, 6)
 *   rs.randintArray(1, 6, 8);             // as rs.randint(1, 6, 8)
 *
 * What NumPy does, and this class with it:
 * - Seeding with an integer in [0, 2^32) is the reference `init_genrand(seed)` (Knuth's
 *   multiplier 1812433253); an array of 32-bit words is the reference `init_by_array`.
 * - `rand()` is a 53-bit double from two 32-bit outputs: `((a >>> 5) * 2^26 + (b >>> 6)) / 2^53`.
 * - `randint(low, high)` draws from [low, high) by masked rejection: with `rng = high - low - 1`
 *   and `mask` the smallest `2^k - 1 >= rng`, it takes 32-bit outputs `& mask` until one is
 *   `<= rng`. A range of one value (`rng == 0`) returns `low` WITHOUT consuming an output.
 *   Ranges wider than 2^32 (NumPy draws 64-bit words for them) are refused here.
 * - The array forms (`rand(n)`, `randint(low, high, n)`) make the scalar draws in order.
 */

const N = 624;
const M = 397;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MATRIX_A = 0x9908b0df;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

export class NumpyRandomState {
  private readonly mt = new Uint32Array(N);
  private index = N;

  /** `numpy.random.RandomState(seed)`: an integer in [0, 2^32 - 1]. Default 0. */
  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream as `RandomState(seed)` with an integer seed (`init_genrand`). */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`NumpyRandomState seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    }
    const mt = this.mt;
    mt[0] = seed;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
    }
    this.index = N;
  }

  /** Restarts the stream as `RandomState(key)` with an array of 32-bit words (`init_by_array`). */
  seedByArray(key: ArrayLike<number>): void {
    if (key.length < 1) throw new RangeError("NumpyRandomState.seedByArray: the key must not be empty");
    for (let k = 0; k < key.length; k++) {
      const w = key[k]!;
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
        throw new RangeError(`NumpyRandomState.seedByArray: key[${k}] must be a 32-bit word, got ${w}`);
      }
    }
    this.seed(19650218);
    const mt = this.mt;
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = (mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j]! + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = (mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.index = N;
  }

  /** The next 32-bit output of MT19937 (the reference `genrand_int32`), in [0, 2^32). */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    return temper(this.mt[this.index++]!);
  }

  /** `rand()`: a double in [0, 1) with 53 random bits. */
  rand(): number {
    // Both words from the current state when they are there (the common case, kept small so that
    // it inlines where MinAtar calls it every step); otherwise through nextUint32, which refills.
    const i = this.index;
    if (i + 1 >= N) {
      const hi = this.nextUint32() >>> 5;
      return (hi * TWO_POW_26 + (this.nextUint32() >>> 6)) / TWO_POW_53;
    }
    this.index = i + 2;
    return ((temper(this.mt[i]!) >>> 5) * TWO_POW_26 + (temper(this.mt[i + 1]!) >>> 6)) / TWO_POW_53;
  }

  /** `rand(size)`: `size` doubles, drawn in order into `out` (allocated when not given). */
  randArray(size: number, out: Float64Array = new Float64Array(size)): Float64Array {
    for (let i = 0; i < size; i++) out[i] = this.rand();
    return out;
  }

  /**
   * `randint(low, high)`: an integer in [low, high), or in [0, low) when `high` is omitted (as
   * NumPy's `randint(n)`). `high - low` may be at most 2^32.
   */
  randint(low: number, high?: number): number {
    const lo = high === undefined ? 0 : low;
    const hi = high === undefined ? low : high;
    const rng = checkRange(lo, hi);
    return lo + this.boundedUint32(rng, maskFor(rng));
  }

  /** `randint(low, high, size)`: `size` integers in [low, high), drawn in order. */
  randintArray(low: number, high: number, size: number, out: Int32Array = new Int32Array(size)): Int32Array {
    const rng = checkRange(low, high);
    if (low < -0x80000000 || high - 1 > 0x7fffffff) {
      throw new RangeError(`NumpyRandomState.randintArray: [${low}, ${high}) does not fit an Int32Array`);
    }
    const mask = maskFor(rng);
    for (let i = 0; i < size; i++) out[i] = low + this.boundedUint32(rng, mask);
    return out;
  }

  /** The generator's position, to save and restore a stream (`getState`/`setState`). */
  getState(): { key: Uint32Array; pos: number } {
    return { key: this.mt.slice(), pos: this.index };
  }

  setState(state: { key: ArrayLike<number>; pos: number }): void {
    if (state.key.length !== N || !(Number.isInteger(state.pos) && state.pos >= 0 && state.pos <= N)) {
      throw new RangeError(`NumpyRandomState.setState: expected ${N} words and a position in [0, ${N}]`);
    }
    this.mt.set(state.key);
    this.index = state.pos;
  }

  /** Masked rejection sampling of an integer in [0, rng]; no output is consumed when rng is 0. */
  private boundedUint32(rng: number, mask: number): number {
    if (rng === 0) return 0;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > rng);
    return v;
  }

  /** Regenerates the 624 words of state (the reference `genrand_int32`'s refill). */
  private twist(): void {
    // Branch-free: `-(y & 1) & MATRIX_A` instead of `y & 1 ? MATRIX_A : 0` (a coin flip per word
    // that the CPU cannot predict), and each word read once.
    const mt = this.mt;
    let cur = mt[0]!;
    let kk = 0;
    for (; kk < N - M; kk++) {
      const next = mt[kk + 1]!;
      const y = (cur & UPPER_MASK) | (next & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
      cur = next;
    }
    for (; kk < N - 1; kk++) {
      const next = mt[kk + 1]!;
      const y = (cur & UPPER_MASK) | (next & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
      cur = next;
    }
    const y = (cur & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    this.index = 0;
  }
}

/** MT19937's output tempering of one state word. */
function temper(word: number): number {
  let y = word;
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y >>> 0;
}

/** `high - low - 1`, NumPy's inclusive range, after checking the bounds. */
function checkRange(low: number, high: number): number {
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
    throw new RangeError(`NumpyRandomState.randint: need integers low < high, got [${low}, ${high})`);
  }
  const rng = high - low - 1;
  if (rng > 0xffffffff) {
    throw new RangeError(
      `NumpyRandomState.randint: ranges wider than 2^32 are not supported, got ${rng + 1}`,
    );
  }
  return rng;
}

/** The smallest 2^k - 1 that is >= rng (NumPy's `gen_mask`). */
function maskFor(rng: number): number {
  let mask = rng;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}
