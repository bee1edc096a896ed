/**
 * A sum tree over non-negative priorities: O(log n) update and proportional draw, the structure
 * of prioritised experience replay (Schaul et al. 2016, appendix B.2.1).
 */
export class SumTree {
  readonly capacity: number;
  private readonly size: number;
  private readonly tree: Float64Array;

  constructor(capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1))
      throw new RangeError(`capacity must be >= 1, got ${capacity}`);
    this.capacity = capacity;
    let size = 1;
    while (size < capacity) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size);
  }

  get total(): number {
    return this.tree[1]!;
  }

  get(i: number): number {
    return this.tree[this.size + i]!;
  }

  set(i: number, priority: number): void {
    if (!(i >= 0 && i < this.capacity)) throw new RangeError(`index ${i} outside [0, ${this.capacity})`);
    if (!(priority >= 0 && Number.isFinite(priority)))
      throw new RangeError(`priority must be finite and >= 0, got ${priority}`);
    let node = this.size + i;
    this.tree[node] = priority;
    node >>= 1;
    while (node >= 1) {
      this.tree[node] = this.tree[2 * node]! + this.tree[2 * node + 1]!;
      node >>= 1;
    }
  }

  /** The leaf where the running sum passes `mass`, for mass in [0, total). */
  find(mass: number): number {
    let node = 1;
    let m = mass;
    while (node < this.size) {
      const left = this.tree[2 * node]!;
      if (m < left || this.tree[2 * node + 1]! === 0) node = 2 * node;
      else {
        m -= left;
        node = 2 * node + 1;
      }
    }
    return Math.min(node - this.size, this.capacity - 1);
  }
}
