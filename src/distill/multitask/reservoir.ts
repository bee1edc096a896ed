/**
 * A bounded replay memory of teacher targets for lifelong distillation: student input rows (the
 * padded observation, uint8 for MinAtar frames) with the teacher's outputs for them and the task
 * they came from, filled by reservoir sampling (Vitter 1985, algorithm R): after `seen` rows were
 * offered, each of them is in the memory with the same probability capacity / seen, whatever task
 * or stage it came from. Tasks that arrived one after another with the same budget therefore hold
 * equal shares, without knowing the number of tasks in advance (Chaudhry et al. 2019, "On Tiny
 * Episodic Memories in Continual Learning", found reservoir sampling a strong default).
 *
 *   const m = new ReservoirMemory({ capacity: 20_000, inputSize: 1000, inputDtype: "uint8", width: 6 });
 *   m.add(task, rows, n, teacherOutputs, actions, rng);  // rows [n, inputSize], outputs [n, actions]
 *   const idx = m.sample(256, rng, (t) => t < current);  // indices of old-task rows
 *   const batch = m.gather(idx);                         // grouped by task, contiguous
 *
 * Two ways to share the rows among tasks (`balance`):
 * - "stream" (the default): algorithm R over every row ever offered, so each task holds rows in
 *   proportion to its stream (a task learnt on twice the env steps holds twice the rows);
 * - "task": class-balanced reservoir sampling (Chrysakis & Moens 2020, "Online Continual Learning
 *   from Imbalanced Data"): once the memory is full, a row of a task that holds fewer rows than the
 *   largest task replaces a random row of a largest task; a row of a largest task goes through
 *   algorithm R within its own task (kept with probability held / offered of that task, over a
 *   random row of the same task). Every task ends with an equal share whatever its stream length,
 *   as long as its stream offered that many rows.
 *
 * Memory use is capacity * (inputSize bytes (uint8) or 4 inputSize (float32) + 4 width + 4).
 */
import { ConfigError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { ObsStorageDtype } from "../../core/spaces.js";
import type { StoredTensor } from "../../nn/checkpoint.js";

export interface ReservoirOptions {
  /** Rows kept at most (>= 0; 0 keeps nothing: naive sequential fine-tuning). */
  capacity: number;
  inputSize: number;
  inputDtype: ObsStorageDtype;
  /** Teacher outputs stored per row (the most actions of any task; rows of smaller tasks are padded). */
  width: number;
  /** How the rows are shared among tasks once the memory is full (see the file comment); default "stream". */
  balance?: MemoryBalance;
}

export const MEMORY_BALANCES = ["stream", "task"] as const;
export type MemoryBalance = (typeof MEMORY_BALANCES)[number];

/** Rows of the memory grouped by task (contiguous, in task order). */
export interface MemoryBatch {
  n: number;
  input: Float32Array | Uint8Array;
  /** Per group: its task, first row and row count. */
  groups: Array<{ task: number; start: number; count: number }>;
  /** Per group: the teacher outputs [count, actions of the task]. */
  targets: Float32Array[];
}

export class ReservoirMemory {
  readonly capacity: number;
  readonly inputSize: number;
  readonly inputDtype: ObsStorageDtype;
  readonly balance: MemoryBalance;
  width: number;
  private input: Float32Array | Uint8Array;
  private out: Float32Array;
  private task: Int32Array;
  /** Actions of each task (targets stored per row use the first `actions[task]` entries). */
  private actions: number[] = [];
  private count = 0;
  /** Rows offered so far (the reservoir's stream length). */
  private offered = 0;
  /** Rows offered so far per task (the within-task stream of the "task" balance). */
  private offeredByTask: number[] = [];
  /** Slots held per task, and each slot's index in its task's list (random rows of a task in O(1)). */
  private slotsByTask: number[][] = [];
  private slotIndex: Int32Array;
  /**
   * Rows of each task in slot order, as sample() draws from them; built on the first sample() after
   * the memory changed. A training round calls sample() tens of times between two collections, and
   * scanning a memory of 10^5-10^6 rows on every call cost as much as the update itself. Not
   * `slotsByTask`: its swap-removals reorder a full memory's lists, which would change the rows drawn.
   */
  private rowsByTask: Map<number, number[]> | undefined;

  constructor(opts: ReservoirOptions) {
    if (!(Number.isInteger(opts.capacity) && opts.capacity >= 0))
      throw new ConfigError("memorySize", `must be an integer >= 0, got ${opts.capacity}`);
    for (const key of ["inputSize", "width"] as const)
      if (!(Number.isInteger(opts[key]) && opts[key] >= 1))
        throw new ConfigError(key, `must be an integer >= 1, got ${opts[key]}`);
    const balance = opts.balance ?? "stream";
    if (!MEMORY_BALANCES.includes(balance))
      throw new ConfigError("memoryBalance", `must be one of ${MEMORY_BALANCES.join(", ")}, got ${balance}`);
    this.balance = balance;
    this.capacity = opts.capacity;
    this.inputSize = opts.inputSize;
    this.inputDtype = opts.inputDtype;
    this.width = opts.width;
    this.input =
      opts.inputDtype === "uint8"
        ? new Uint8Array(this.capacity * this.inputSize)
        : new Float32Array(this.capacity * this.inputSize);
    this.out = new Float32Array(this.capacity * this.width);
    this.task = new Int32Array(this.capacity);
    this.slotIndex = new Int32Array(this.capacity);
  }

  /** Rows held. */
  get size(): number {
    return this.count;
  }

  /** Rows offered so far. */
  get seen(): number {
    return this.offered;
  }

  /** Bytes of the stored arrays. */
  get bytes(): number {
    return this.input.byteLength + this.out.byteLength + this.task.byteLength;
  }

  /** Widens the stored targets to `width` entries per row (a new task with more actions). */
  private widen(width: number): void {
    if (width <= this.width) return;
    const out = new Float32Array(this.capacity * width);
    for (let r = 0; r < this.count; r++)
      out.set(this.out.subarray(r * this.width, (r + 1) * this.width), r * width);
    this.out = out;
    this.width = width;
  }

  /**
   * Offers `n` rows of task `task` (input [n, inputSize], teacher outputs [n, actions]): while the
   * memory has room each is kept; after that row number i (counting every row ever offered) replaces
   * a uniformly drawn slot with probability capacity / i, else is dropped.
   */
  add(
    task: number,
    input: ArrayLike<number>,
    n: number,
    outputs: Float32Array,
    actions: number,
    rng: Rng,
  ): void {
    if (!(Number.isInteger(task) && task >= 0))
      throw new ConfigError("task", `must be an integer >= 0, got ${task}`);
    if (input.length < n * this.inputSize)
      throw new ConfigError("input", `${n} rows need ${n * this.inputSize} numbers, got ${input.length}`);
    if (outputs.length < n * actions)
      throw new ConfigError("outputs", `${n} rows need ${n * actions} numbers, got ${outputs.length}`);
    const known = this.actions[task];
    if (known !== undefined && known !== actions)
      throw new ConfigError("outputs", `task ${task} was stored with ${known} actions, now ${actions}`);
    this.actions[task] = actions;
    this.widen(actions);
    const D = this.inputSize;
    const W = this.width;
    this.offeredByTask[task] ??= 0;
    this.slotsByTask[task] ??= [];
    if (n > 0) this.rowsByTask = undefined;
    for (let r = 0; r < n; r++) {
      this.offered++;
      this.offeredByTask[task]!++;
      let slot: number;
      if (this.count < this.capacity) {
        slot = this.count++;
        this.task[slot] = task;
        this.slotIndex[slot] = this.slotsByTask[task]!.push(slot) - 1;
      } else {
        slot = this.balance === "task" ? this.balancedSlot(task, rng) : this.streamSlot(rng);
        if (slot < 0) continue;
        this.moveSlot(slot, task);
      }
      for (let i = 0; i < D; i++) this.input[slot * D + i] = input[r * D + i]!;
      this.out.fill(0, slot * W, (slot + 1) * W);
      this.out.set(outputs.subarray(r * actions, (r + 1) * actions), slot * W);
    }
  }

  /** Algorithm R over the whole stream: the slot the newest row replaces, or -1 (dropped). */
  private streamSlot(rng: Rng): number {
    if (this.capacity === 0) return -1;
    const j = rng.integer(this.offered);
    return j < this.capacity ? j : -1;
  }

  /**
   * The class-balanced rule (the memory is full): a random slot of a largest task (a random one of
   * them on a tie) when `task` holds fewer rows than the largest, else algorithm R within `task`.
   */
  private balancedSlot(task: number, rng: Rng): number {
    if (this.capacity === 0) return -1;
    const held = Array.from(this.slotsByTask, (s) => s?.length ?? 0);
    const most = Math.max(...held);
    const own = held[task] ?? 0;
    if (own < most) {
      const largest = held.flatMap((h, t) => (h === most ? [t] : []));
      const victim = this.slotsByTask[largest[rng.integer(largest.length)]!]!;
      return victim[rng.integer(victim.length)]!;
    }
    const j = rng.integer(this.offeredByTask[task]!);
    return j < own ? this.slotsByTask[task]![j]! : -1;
  }

  /** Re-files `slot` (held, full memory) under `task` in the per-task slot lists. */
  private moveSlot(slot: number, task: number): void {
    const from = this.task[slot]!;
    if (from !== task) {
      const list = this.slotsByTask[from]!;
      const last = list.pop()!;
      if (last !== slot) {
        list[this.slotIndex[slot]!] = last;
        this.slotIndex[last] = this.slotIndex[slot]!;
      }
      this.slotIndex[slot] = this.slotsByTask[task]!.push(slot) - 1;
    }
    this.task[slot] = task;
  }

  /**
   * Overwrites up to `n` of task `task`'s rows, drawn uniformly without replacement, with the given
   * rows (input [n, inputSize], teacher outputs [n, actions]): the task's share of the memory and
   * the reservoir's stream length stay as they were, only what the task's rows hold changes (states
   * its final student visits, see `studentVisitedRows`). Returns the rows replaced (at most the
   * task's rows held).
   */
  replaceRows(
    task: number,
    input: ArrayLike<number>,
    n: number,
    outputs: Float32Array,
    actions: number,
    rng: Rng,
  ): number {
    if (this.actions[task] !== actions)
      throw new ConfigError(
        "outputs",
        `task ${task} is stored with ${this.actions[task] ?? "no"} actions, the new rows have ${actions}`,
      );
    if (input.length < n * this.inputSize || outputs.length < n * actions)
      throw new ConfigError(
        "input",
        `${n} rows need ${n * this.inputSize} inputs and ${n * actions} outputs`,
      );
    const slots = this.rowsOf(task);
    const take = Math.min(n, slots.length);
    const order = rng.permutation(slots.length);
    const D = this.inputSize;
    const W = this.width;
    for (let r = 0; r < take; r++) {
      const slot = slots[order[r]!]!;
      for (let i = 0; i < D; i++) this.input[slot * D + i] = input[r * D + i]!;
      this.out.fill(0, slot * W, (slot + 1) * W);
      this.out.set(outputs.subarray(r * actions, (r + 1) * actions), slot * W);
    }
    return take;
  }

  /** Rows held per task id. */
  countByTask(): number[] {
    const counts = this.actions.map(() => 0);
    for (let r = 0; r < this.count; r++) counts[this.task[r]!] = (counts[this.task[r]!] ?? 0) + 1;
    return counts;
  }

  /**
   * `n` row indices (with replacement) among the rows whose task passes `keep` (all rows by
   * default), balanced over those tasks: each gets n / tasks of the draws (the remainder goes to
   * tasks from a random offset), uniform within the task. Balanced rather than uniform over rows,
   * so an old task learnt with a smaller budget (fewer rows in the reservoir) is replayed as often
   * as the others, as the live tasks are. Fewer (none) when no row passes.
   */
  sample(n: number, rng: Rng, keep: (task: number) => boolean = () => true): Int32Array {
    const byTask = this.indexRows();
    const tasks = [...byTask.keys()].filter(keep).sort((a, b) => a - b);
    if (tasks.length === 0) return new Int32Array(0);
    const out = new Int32Array(n);
    const k = tasks.length;
    const base = Math.floor(n / k);
    const first = rng.integer(k);
    let i = 0;
    for (let j = 0; j < k; j++) {
      const rows = byTask.get(tasks[j]!)!;
      const count = base + ((j - first + k) % k < n % k ? 1 : 0);
      for (let c = 0; c < count; c++) out[i++] = rows[rng.integer(rows.length)]!;
    }
    return out;
  }

  /** Rows held per task, each list in slot order (cached until the next add()). */
  private indexRows(): Map<number, number[]> {
    if (this.rowsByTask) return this.rowsByTask;
    const byTask = new Map<number, number[]>();
    for (let r = 0; r < this.count; r++) {
      const t = this.task[r]!;
      const rows = byTask.get(t);
      if (rows) rows.push(r);
      else byTask.set(t, [r]);
    }
    this.rowsByTask = byTask;
    return byTask;
  }

  /** Indices of the first `max` rows of task `task` (in slot order). */
  rowsOf(task: number, max = Number.POSITIVE_INFINITY): Int32Array {
    const out: number[] = [];
    for (let r = 0; r < this.count && out.length < max; r++) if (this.task[r] === task) out.push(r);
    return Int32Array.from(out);
  }

  /** The rows at `indices`, grouped by task (in task order) for the multi-head forward. */
  gather(indices: Int32Array): MemoryBatch {
    const byTask = new Map<number, number[]>();
    for (const r of indices) {
      const t = this.task[r]!;
      if (!byTask.has(t)) byTask.set(t, []);
      byTask.get(t)!.push(r);
    }
    const D = this.inputSize;
    const W = this.width;
    const input =
      this.inputDtype === "uint8" ? new Uint8Array(indices.length * D) : new Float32Array(indices.length * D);
    const groups: MemoryBatch["groups"] = [];
    const targets: Float32Array[] = [];
    let row = 0;
    for (const t of [...byTask.keys()].sort((a, b) => a - b)) {
      const rows = byTask.get(t)!;
      const k = this.actions[t]!;
      const tgt = new Float32Array(rows.length * k);
      rows.forEach((r, i) => {
        input.set(this.input.subarray(r * D, (r + 1) * D), (row + i) * D);
        tgt.set(this.out.subarray(r * W, r * W + k), i * k);
      });
      groups.push({ task: t, start: row, count: rows.length });
      targets.push(tgt);
      row += rows.length;
    }
    return { n: indices.length, input, groups, targets };
  }

  /** The memory as checkpoint tensors and JSON (saved between lifelong stages). */
  toArtifact(): { meta: Record<string, unknown>; tensors: Record<string, StoredTensor> } {
    const n = this.count;
    return {
      meta: {
        capacity: this.capacity,
        inputSize: this.inputSize,
        inputDtype: this.inputDtype,
        width: this.width,
        seen: this.offered,
        seenByTask: this.actions.map((_, t) => this.offeredByTask[t] ?? 0),
        balance: this.balance,
        count: n,
        actions: this.actions,
      },
      tensors: {
        "memory/input": { data: this.input.slice(0, n * this.inputSize), shape: [n, this.inputSize] },
        "memory/outputs": { data: this.out.slice(0, n * this.width), shape: [n, this.width] },
        "memory/task": { data: this.task.slice(0, n), shape: [n] },
      },
    };
  }

  /**
   * A memory restored by `toArtifact`'s output, with a new capacity and balance (the stored ones
   * need not match: a stream memory continued with balance "task" balances from the next row on).
   * A capacity below the rows stored keeps a uniform subset ("stream") or equal shares per task,
   * uniform within each task ("task").
   */
  static fromArtifact(
    meta: Record<string, unknown>,
    tensors: Record<string, StoredTensor>,
    capacity: number,
    rng: Rng,
    balance: MemoryBalance = "stream",
  ): ReservoirMemory {
    const m = new ReservoirMemory({
      capacity,
      inputSize: meta["inputSize"] as number,
      inputDtype: meta["inputDtype"] as ObsStorageDtype,
      width: meta["width"] as number,
      balance,
    });
    const n = meta["count"] as number;
    const input = tensors["memory/input"]!.data;
    const out = tensors["memory/outputs"]!.data as Float32Array;
    const task = tensors["memory/task"]!.data as Int32Array;
    m.actions = [...(meta["actions"] as number[])];
    const seen = Math.max(meta["seen"] as number, 0);
    // Re-offer the stored rows in a random order (drawn first, so that a "stream" memory restores
    // exactly as it did before balances existed), then restore the stream lengths: each stored row
    // stands for seen / n offered ones, so later rows keep being admitted with probability capacity / seen.
    const order = rng.permutation(n);
    const quota = balance === "task" && n > capacity ? equalShares(task.subarray(0, n), capacity) : undefined;
    const D = m.inputSize;
    const W = m.width;
    for (const r of order) {
      if (m.count >= capacity) break;
      const t = task[r]!;
      if (quota) {
        if (quota[t]! <= 0) continue;
        quota[t]!--;
      }
      const slot = m.count++;
      m.input.set(input.subarray(r * D, (r + 1) * D), slot * D);
      m.out.set(out.subarray(r * W, (r + 1) * W), slot * W);
      m.task[slot] = t;
      m.slotsByTask[t] ??= [];
      m.slotIndex[slot] = m.slotsByTask[t]!.push(slot) - 1;
    }
    m.offered = Math.max(seen, m.count);
    // Memories saved before per-task stream lengths were kept: each task's share of `seen`.
    const byTask = meta["seenByTask"] as number[] | undefined;
    const held = new Map<number, number>();
    for (let r = 0; r < n; r++) held.set(task[r]!, (held.get(task[r]!) ?? 0) + 1);
    m.offeredByTask = m.actions.map((_, t) =>
      Math.max(
        byTask?.[t] ?? Math.round(((held.get(t) ?? 0) * seen) / Math.max(n, 1)),
        m.slotsByTask[t]?.length ?? 0,
      ),
    );
    return m;
  }
}

/**
 * Rows per task when `capacity` rows are shared as equally as the tasks' row counts allow: a task
 * with fewer rows than its equal share keeps all of them and the rest is split among the others
 * (water-filling, smallest tasks first, so a split's rounding remainder goes to the larger tasks).
 */
export function equalShares(task: ArrayLike<number>, capacity: number): number[] {
  const counts: number[] = [];
  for (let r = 0; r < task.length; r++) counts[task[r]!] = (counts[task[r]!] ?? 0) + 1;
  const ids = counts.flatMap((c, t) => (c ? [t] : [])).sort((a, b) => counts[a]! - counts[b]! || a - b);
  const quota = Array.from(counts, () => 0);
  let left = capacity;
  ids.forEach((t, i) => {
    const fair = Math.floor(left / (ids.length - i));
    quota[t] = Math.min(counts[t]!, fair);
    left -= quota[t]!;
  });
  return quota;
}
