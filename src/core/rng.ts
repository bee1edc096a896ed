/**
 * The one random generator of rldistill.
 *
 * Algorithm: xoshiro128** 1.1 (Blackman and Vigna, 2018; the output scrambles s[1]), 128 bits of
 * state, period 2^128 - 1, all arithmetic in 32-bit integers so it is exact and fast in JavaScript.
 * The state is filled from the seed with splitmix32 (a 32-bit variant of Steele et al.'s SplitMix),
 * so that nearby seeds (0, 1, 2, ...) give unrelated streams.
 *
 * Everything random in the library (env resets, space sampling, noise wrappers, weight init,
 * minibatch shuffles, exploration) draws from an `Rng` that was created from the user's seed.
 * JavaScript's built-in generator is never used: the same seed gives the same result.
 *
 * The streams differ from NumPy's PCG64, so seeded resets are not bit-identical to Gymnasium's;
 * the conformance tests start both from the same internal state instead.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed = 0) {
    this.reseed(seed);
  }

  /** Restarts the stream from a seed: any integer in [0, 2^53), or a non-integer (hashed). */
  reseed(seed: number): void {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    let lo: number;
    let hi: number;
    if (Number.isInteger(seed) && Math.abs(seed) <= Number.MAX_SAFE_INTEGER) {
      const a = Math.abs(seed);
      lo = a >>> 0;
      hi = Math.floor(a / 4294967296) >>> 0;
      if (seed < 0) hi = (hi ^ 0x80000000) >>> 0;
    } else {
      const f = new Float64Array([seed]);
      const u = new Uint32Array(f.buffer);
      lo = u[0]!;
      hi = u[1]!;
    }
    let x = (lo ^ Math.imul(hi, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next() ^ hi;
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s3 = 1;
  }

  /** Next 32 random bits as an unsigned integer. */
  uint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform double in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** Uniform integer in [0, n), without modulo bias. n must be in [1, 2^32]. */
  integer(n: number): number {
    if (!(n >= 1 && n <= 4294967296 && Number.isInteger(n))) {
      throw new RangeError(`integer(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    if (n === 4294967296) return this.uint32();
    // Rejection sampling: discard the top partial block of 2^32 / n.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const r = this.uint32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal draw (Box-Muller; one fresh pair of uniforms per call, no hidden cache). */
  normal(mean = 0, std = 1): number {
    let u = this.random();
    while (u === 0) u = this.random();
    const v = this.random();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with uniform [low, high) draws and returns it. */
  fillUniform<T extends Float32Array | Float64Array>(out: T, low = 0, high = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** Fills `out` with normal draws and returns it. */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * An independent child stream, derived from this stream's next draws and `key`
   * (e.g. the index of a sub-environment). Advances this stream by two draws.
   */
  spawn(key = 0): Rng {
    const a = this.uint32();
    const b = this.uint32();
    const child = new Rng(0);
    child.reseed(((a ^ Math.imul(key + 1, 0x9e3779b9)) >>> 0) + (b & 0x1fffff) * 4294967296);
    return child;
  }

  /** A fresh integer seed in [0, 2^31) drawn from this stream (for seeding sub-components). */
  nextSeed(): number {
    return this.uint32() >>> 1;
  }

  /** The full state, to save in checkpoints. */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: readonly number[]): void {
    const isWord = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < 4294967296;
    if (state.length !== 4 || !state.every(isWord) || state.every((v) => v === 0)) {
      throw new RangeError(
        `Rng state must be four unsigned 32-bit words, not all zero; got [${state.join(", ")}]`,
      );
    }
    this.s0 = state[0]! | 0;
    this.s1 = state[1]! | 0;
    this.s2 = state[2]! | 0;
    this.s3 = state[3]! | 0;
  }

  clone(): Rng {
    const r = new Rng(0);
    r.setState(this.getState());
    return r;
  }
}
