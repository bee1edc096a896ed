/**
 * The shared input of a multi-task student: every task's observation is put into one input of a
 * fixed shape, so one trunk can read them all.
 *
 * - Images (MinAtar: [10, 10, C] with C = 4 to 10 object channels per game) keep their grid and are
 *   padded with zero channels up to `channels` (default: the most of any task; MinAtar games pad to
 *   10, MinAtar's largest, so a later lifelong stage can bring Seaquest). Channel c of a task is
 *   channel c of the input: the games' channels mean different things, and the trunk learns them
 *   per game (a task embedding or the channel pattern itself tells the games apart).
 * - Vectors (classic control: CartPole 4, Acrobot 6, MountainCar 2 numbers) are padded with zeros
 *   at the end, after the task's own observation normalisation (the teacher's statistics, when it
 *   has them), so the padding is a true zero of the normalised input.
 *
 * Images and vectors cannot share one input (a ConfigError names the tasks). Padding is folded away
 * when a task's deployable policy is cut out of the student (MultiHeadStudent.specFor): zero inputs
 * contribute nothing, so the first layer's weights of the padded entries are dropped and the task's
 * policy takes the env's own observation.
 */
import { ConfigError } from "../../core/errors.js";
import type { ObsStorageDtype } from "../../core/spaces.js";
import { compileObsNorm, type ObsNormalizer } from "../../nn/obs-norm.js";
import type { ObsNormSpec } from "../../nn/spec.js";

/** What the layout needs to know of one task. */
export interface TaskShape {
  /** The task's name (its env id). */
  name: string;
  /** One observation's shape in the task's env: [n] or [height, width, channels]. */
  obsShape: readonly number[];
  /** Element type of the env's observations. */
  dtype: ObsStorageDtype;
  /** Number of discrete actions. */
  actions: number;
  /** The teacher's observation normalisation (applied before padding), when it has one. */
  obsNorm?: ObsNormSpec;
}

export type LayoutKind = "image" | "vector";

/** Channels of MinAtar's largest game (Seaquest): the default padding of MinAtar tasks. */
export const MINATAR_MAX_CHANNELS = 10;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export interface LayoutOptions {
  /**
   * Pad to this many channels (images) or entries (vectors); 0 = the default (the most of any task;
   * 10 for MinAtar games). Must hold every task.
   */
  padTo?: number;
}

export class TaskLayout {
  readonly kind: LayoutKind;
  /** Shape of the student's input: [h, w, channels] or [size]. */
  readonly inputShape: number[];
  readonly inputSize: number;
  /** uint8 when every task gives uint8 observations without normalisation (MinAtar), else float32. */
  readonly inputDtype: ObsStorageDtype;
  readonly tasks: readonly TaskShape[];
  private readonly norms: Array<ObsNormalizer | undefined>;
  private normBuf = new Float32Array(0);

  constructor(tasks: readonly TaskShape[], opts: LayoutOptions = {}) {
    if (tasks.length === 0) throw new ConfigError("teacher", "a multi-task student needs at least one task");
    const images = tasks.filter((t) => t.obsShape.length === 3);
    if (images.length > 0 && images.length < tasks.length) {
      const vec = tasks.find((t) => t.obsShape.length !== 3)!;
      throw new ConfigError(
        "teacher",
        `tasks mix image and vector observations (${images[0]!.name} gives [${images[0]!.obsShape}], ${vec.name} gives [${vec.obsShape}]); one student input cannot hold both`,
      );
    }
    this.kind = images.length > 0 ? "image" : "vector";
    this.tasks = tasks;
    const padTo = opts.padTo ?? 0;
    if (!(Number.isInteger(padTo) && padTo >= 0))
      throw new ConfigError("padTo", `expected an integer >= 0, got ${padTo}`);
    if (this.kind === "image") {
      const [h, w] = tasks[0]!.obsShape as [number, number, number];
      for (const t of tasks) {
        if (t.obsShape[0] !== h || t.obsShape[1] !== w) {
          throw new ConfigError(
            "teacher",
            `image tasks must share their grid: ${tasks[0]!.name} is ${h}x${w}, ${t.name} is ${t.obsShape[0]}x${t.obsShape[1]}`,
          );
        }
      }
      const most = Math.max(...tasks.map((t) => t.obsShape[2]!));
      const minatar = tasks.every((t) => t.name.startsWith("MinAtar/")) ? MINATAR_MAX_CHANNELS : 0;
      const channels = padTo || Math.max(most, minatar);
      this.checkFits(padTo, channels, most, "channels");
      this.inputShape = [h, w, channels];
    } else {
      const most = Math.max(...tasks.map((t) => sizeOf(t.obsShape)));
      const size = padTo || most;
      this.checkFits(padTo, size, most, "entries");
      this.inputShape = [size];
    }
    this.inputSize = sizeOf(this.inputShape);
    this.inputDtype = tasks.every((t) => t.dtype === "uint8" && !t.obsNorm) ? "uint8" : "float32";
    this.norms = tasks.map((t) => (t.obsNorm ? compileObsNorm(t.obsNorm, sizeOf(t.obsShape)) : undefined));
  }

  private checkFits(padTo: number, target: number, most: number, what: string): void {
    if (target < most) {
      const big = this.tasks.find(
        (t) => (what === "channels" ? t.obsShape[2]! : sizeOf(t.obsShape)) === most,
      )!;
      throw new ConfigError(
        "padTo",
        `${padTo} ${what} cannot hold ${big.name}, which has ${most}; use padTo >= ${most} (or 0 for the default)`,
      );
    }
  }

  /** Observation numbers of task `t`. */
  obsSize(t: number): number {
    return sizeOf(this.task(t).obsShape);
  }

  task(t: number): TaskShape {
    const task = this.tasks[t];
    if (!task) throw new ConfigError("task", `task id ${t} is not in [0, ${this.tasks.length})`);
    return task;
  }

  /** A layout with more tasks (lifelong distillation); the input shape is kept and must hold them. */
  withTasks(more: readonly TaskShape[]): TaskLayout {
    const pad = this.kind === "image" ? this.inputShape[2]! : this.inputSize;
    for (const t of more) {
      const need = t.obsShape.length === 3 ? t.obsShape[2]! : sizeOf(t.obsShape);
      if ((t.obsShape.length === 3) === (this.kind === "image") && need > pad)
        throw new ConfigError(
          "padTo",
          `the student's input holds ${pad} ${this.kind === "image" ? "channels" : "entries"} (fixed by the first stage's padTo), ${t.name} has ${need}; start the first stage with padTo >= ${need}`,
        );
    }
    const next = new TaskLayout([...this.tasks, ...more], { padTo: pad });
    if (next.kind !== this.kind) {
      throw new ConfigError(
        "teacher",
        `the student reads ${this.kind} observations; ${more[0]?.name} gives another kind`,
      );
    }
    if (next.inputDtype !== this.inputDtype) {
      throw new ConfigError(
        "teacher",
        `the student's input is ${this.inputDtype}; ${more.map((t) => t.name).join(", ")} would make it ${next.inputDtype}`,
      );
    }
    return next;
  }

  /**
   * For each entry of task t's observation, its index in the student's input (images: channel c of
   * pixel p goes to p * channels + c; vectors: entry i to i).
   */
  inputIndex(t: number): Int32Array {
    const task = this.task(t);
    const n = sizeOf(task.obsShape);
    if (this.kind === "vector") return Int32Array.from({ length: n }, (_, i) => i);
    const c = task.obsShape[2]!;
    const C = this.inputShape[2]!;
    return Int32Array.from({ length: n }, (_, i) => Math.floor(i / c) * C + (i % c));
  }

  /**
   * `n` observations of task t (row-major) as student input rows, written into `out` from row
   * `row`: normalised with the task's statistics when it has them, then zero-padded.
   */
  toInput(t: number, obs: ArrayLike<number>, n: number, out: Float32Array | Uint8Array, row = 0): void {
    const size = this.obsSize(t);
    if (obs.length < n * size)
      throw new ConfigError(
        "obs",
        `task ${this.task(t).name}: ${n} observations need ${n * size} numbers, got ${obs.length}`,
      );
    let src: ArrayLike<number> = obs;
    const norm = this.norms[t];
    if (norm) {
      if (this.normBuf.length < n * size) this.normBuf = new Float32Array(n * size);
      norm(obs, this.normBuf, n * size);
      src = this.normBuf;
    }
    const D = this.inputSize;
    out.fill(0, row * D, (row + n) * D);
    if (this.kind === "vector") {
      for (let r = 0; r < n; r++) for (let i = 0; i < size; i++) out[(row + r) * D + i] = src[r * size + i]!;
      return;
    }
    const c = this.task(t).obsShape[2]!;
    const C = this.inputShape[2]!;
    const pixels = size / c;
    for (let r = 0; r < n; r++) {
      const o = (row + r) * D;
      const s = r * size;
      for (let p = 0; p < pixels; p++) for (let k = 0; k < c; k++) out[o + p * C + k] = src[s + p * c + k]!;
    }
  }

  /** Rows of the input's element type. */
  allocInput(rows: number): Float32Array | Uint8Array {
    return this.inputDtype === "uint8"
      ? new Uint8Array(rows * this.inputSize)
      : new Float32Array(rows * this.inputSize);
  }

  /** Plain data (saved with the student). */
  toJSON(): {
    kind: LayoutKind;
    inputShape: number[];
    tasks: Array<Omit<TaskShape, "obsNorm"> & { obsNorm?: boolean }>;
  } {
    return {
      kind: this.kind,
      inputShape: [...this.inputShape],
      tasks: this.tasks.map((t) => ({
        name: t.name,
        obsShape: [...t.obsShape],
        dtype: t.dtype,
        actions: t.actions,
        obsNorm: !!t.obsNorm,
      })),
    };
  }
}
