/**
 * The distillation replay buffer: a fixed-capacity ring of observations with what the teacher
 * said about them (outputs, optional log std, value and hidden features), plus, when asked, the
 * transition itself (action, reward, next observation, terminated) for TD-loss mixing.
 *
 * Sampling is uniform, or teacher-prioritised: observation i is drawn with probability
 * P(i) = p_i / sum_j p_j, p_i = (c_i + eps)^alpha, where c_i is the teacher's confidence there
 * (inverse entropy 1 / (H + 0.05), or the Q-gap). States where the teacher is decisive are where a student's
 * mistake costs most (Rusu et al. 2016 keep the teacher's hard decisions with a low temperature;
 * here they are also sampled more). Each draw carries the importance weight
 * w_i = (N P(i))^-beta / max_batch w, as in prioritised replay (Schaul et al. 2016), so beta = 1
 * undoes the bias of the non-uniform draw and beta = 0 keeps it.
 */
import { ConfigError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import {
  allocObsStorage,
  checkObsStorageDtype,
  checkUint8Storable,
  type ObsStorage,
  type ObsStorageDtype,
} from "../core/spaces.js";
import { SumTree } from "./sum-tree.js";
import { type ConfidenceMeasure, type TeacherBatch, teacherConfidence } from "./teacher.js";

export type Prioritisation = "none" | ConfidenceMeasure;
export const PRIORITISATIONS: readonly Prioritisation[] = ["none", "entropy", "qgap"];

export interface DistillBufferOptions {
  capacity: number;
  obsSize: number;
  /** Teacher output width (actions or action dimensions). */
  actionSize: number;
  /** Scalars per stored action (1 for discrete). Default 1. */
  actionDim?: number;
  /** Hidden features to keep, by name and width. Default none. */
  features?: ReadonlyArray<{ name: string; size: number }>;
  /** Keep actions, rewards, next observations and terminations (for TD mixing). Default false. */
  transitions?: boolean;
  /** Default "none". */
  prioritisation?: Prioritisation;
  /** Priority exponent; 0 = uniform. Default 0.6. */
  priorityAlpha?: number;
  /** Small constant so no state has zero probability. Default 0.01. */
  priorityEps?: number;
  /**
   * Element type of the stored observations (and next observations): "uint8" for images such as
   * MinAtar's (a quarter of the memory; the observations added must be integers in [0, 255]).
   * Samples are float32 either way. Default "float32".
   */
  obsDtype?: ObsStorageDtype;
}

export interface DistillAddBatch {
  /** [n, obsSize] */
  obs: Float32Array | Uint8Array;
  teacher: TeacherBatch;
  /** [n, actionDim] actions taken (needed when `transitions`). */
  actions?: Float32Array;
  rewards?: Float32Array;
  nextObs?: Float32Array | Uint8Array;
  terminated?: Uint8Array;
  taskIds?: Int32Array;
}

export interface DistillSample {
  n: number;
  indices: Int32Array;
  obs: Float32Array;
  teacherOut: Float32Array;
  teacherLogStd?: Float32Array;
  teacherValue?: Float32Array;
  features: Record<string, Float32Array>;
  /** Importance weights (all 1 for uniform sampling). */
  weights: Float32Array;
  actions?: Float32Array;
  rewards?: Float32Array;
  nextObs?: Float32Array;
  terminated?: Uint8Array;
  taskIds: Int32Array;
}

export class DistillBuffer {
  readonly capacity: number;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly actionDim: number;
  readonly prioritisation: Prioritisation;
  readonly obsDtype: ObsStorageDtype;
  private readonly alpha: number;
  private readonly eps: number;
  private readonly obs: ObsStorage;
  private readonly out: Float32Array;
  private logStd?: Float32Array;
  private value?: Float32Array;
  private readonly feats: Record<string, { size: number; data: Float32Array }> = {};
  private readonly act?: Float32Array;
  private readonly rew?: Float32Array;
  private readonly next?: ObsStorage;
  private readonly term?: Uint8Array;
  private readonly task: Int32Array;
  private readonly tree?: SumTree;
  private pos = 0;
  private count = 0;
  private added = 0;

  constructor(opts: DistillBufferOptions) {
    for (const key of ["capacity", "obsSize", "actionSize"] as const) {
      if (!(Number.isInteger(opts[key]) && opts[key] >= 1)) {
        throw new ConfigError(
          key === "capacity" ? "bufferSize" : key,
          `must be an integer >= 1, got ${opts[key]}`,
        );
      }
    }
    this.capacity = opts.capacity;
    this.obsSize = opts.obsSize;
    this.actionSize = opts.actionSize;
    this.actionDim = opts.actionDim ?? 1;
    this.prioritisation = opts.prioritisation ?? "none";
    if (!PRIORITISATIONS.includes(this.prioritisation)) {
      throw new ConfigError(
        "prioritisation",
        `"${this.prioritisation}" is not allowed; allowed: ${PRIORITISATIONS.join(", ")}`,
      );
    }
    this.alpha = opts.priorityAlpha ?? 0.6;
    this.eps = opts.priorityEps ?? 0.01;
    const cap = this.capacity;
    this.obsDtype = checkObsStorageDtype("obsDtype", opts.obsDtype ?? "float32");
    this.obs = allocObsStorage(this.obsDtype, cap * this.obsSize);
    this.out = new Float32Array(cap * this.actionSize);
    for (const f of opts.features ?? [])
      this.feats[f.name] = { size: f.size, data: new Float32Array(cap * f.size) };
    if (opts.transitions) {
      this.act = new Float32Array(cap * this.actionDim);
      this.rew = new Float32Array(cap);
      this.next = allocObsStorage(this.obsDtype, cap * this.obsSize);
      this.term = new Uint8Array(cap);
    }
    this.task = new Int32Array(cap);
    if (this.prioritisation !== "none") this.tree = new SumTree(cap);
  }

  /** Entries currently stored. */
  get size(): number {
    return this.count;
  }

  /** Entries ever added (including overwritten ones). */
  get totalAdded(): number {
    return this.added;
  }

  add(b: DistillAddBatch): void {
    const t = b.teacher;
    const n = t.n;
    if (b.obs.length !== n * this.obsSize || t.actionSize !== this.actionSize) {
      throw new ConfigError(
        "buffer",
        `batch of ${n} does not fit obsSize ${this.obsSize} / actionSize ${this.actionSize}`,
      );
    }
    if (this.act && !(b.actions && b.rewards && b.nextObs && b.terminated)) {
      throw new ConfigError(
        "buffer",
        "this buffer keeps transitions: actions, rewards, nextObs and terminated are needed",
      );
    }
    if (this.obsDtype === "uint8") {
      checkUint8Storable("buffer obs", b.obs);
      if (this.next) checkUint8Storable("buffer nextObs", b.nextObs!);
    }
    if (t.logStd && !this.logStd) this.logStd = new Float32Array(this.capacity * this.actionSize);
    if (t.values && !this.value) this.value = new Float32Array(this.capacity);
    const conf = this.tree ? teacherConfidence(t, this.prioritisation as ConfidenceMeasure) : undefined;
    const { obsSize: d, actionSize: k, actionDim: ad } = this;
    for (let r = 0; r < n; r++) {
      const i = this.pos;
      this.obs.set(b.obs.subarray(r * d, (r + 1) * d), i * d);
      this.out.set(t.outputs.subarray(r * k, (r + 1) * k), i * k);
      if (t.logStd) this.logStd!.set(t.logStd.subarray(r * k, (r + 1) * k), i * k);
      if (t.values) this.value![i] = t.values[r]!;
      for (const [name, f] of Object.entries(this.feats)) {
        const src = t.features[name];
        if (!src) throw new ConfigError("featureLayers", `the teacher batch has no feature "${name}"`);
        f.data.set(src.subarray(r * f.size, (r + 1) * f.size), i * f.size);
      }
      if (this.act) {
        this.act.set(b.actions!.subarray(r * ad, (r + 1) * ad), i * ad);
        this.rew![i] = b.rewards![r]!;
        this.next!.set(b.nextObs!.subarray(r * d, (r + 1) * d), i * d);
        this.term![i] = b.terminated![r]!;
      }
      this.task[i] = b.taskIds?.[r] ?? 0;
      if (this.tree) this.tree.set(i, (conf![r]! + this.eps) ** this.alpha);
      this.pos = (this.pos + 1) % this.capacity;
      this.count = Math.min(this.count + 1, this.capacity);
      this.added++;
    }
  }

  /** Draws `n` entries (with replacement); `beta` is the importance-weight exponent. */
  sample(n: number, rng: Rng, beta = 0.4): DistillSample {
    if (this.count === 0) throw new ConfigError("buffer", "cannot sample from an empty buffer");
    const idx = new Int32Array(n);
    const weights = new Float32Array(n).fill(1);
    if (this.tree) {
      const total = this.tree.total;
      const seg = total / n;
      let maxW = 0;
      for (let s = 0; s < n; s++) {
        // Stratified: one draw per equal slice of the total mass (lower variance than n free draws).
        const i = this.tree.find(Math.min((s + rng.random()) * seg, total * (1 - 1e-12)));
        idx[s] = i;
        const p = this.tree.get(i) / total;
        weights[s] = (this.count * p) ** -beta;
        maxW = Math.max(maxW, weights[s]!);
      }
      for (let s = 0; s < n; s++) weights[s] = weights[s]! / maxW;
    } else {
      for (let s = 0; s < n; s++) idx[s] = rng.integer(this.count);
    }
    return this.gather(idx, weights);
  }

  /** The entries at `indices`, in order (weights all 1). */
  gather(indices: Int32Array, weights = new Float32Array(indices.length).fill(1)): DistillSample {
    const n = indices.length;
    // Float32 out whatever the storage (a uint8 row converts in the set).
    const pick = (src: Float32Array | Uint8Array, w: number): Float32Array => {
      const out = new Float32Array(n * w);
      for (let s = 0; s < n; s++) out.set(src.subarray(indices[s]! * w, (indices[s]! + 1) * w), s * w);
      return out;
    };
    const features: Record<string, Float32Array> = {};
    for (const [name, f] of Object.entries(this.feats)) features[name] = pick(f.data, f.size);
    const sample: DistillSample = {
      n,
      indices,
      obs: pick(this.obs, this.obsSize),
      teacherOut: pick(this.out, this.actionSize),
      features,
      weights,
      taskIds: Int32Array.from(indices, (i) => this.task[i]!),
    };
    if (this.logStd) sample.teacherLogStd = pick(this.logStd, this.actionSize);
    if (this.value) sample.teacherValue = pick(this.value, 1);
    if (this.act) {
      sample.actions = pick(this.act, this.actionDim);
      sample.rewards = pick(this.rew!, 1);
      sample.nextObs = pick(this.next!, this.obsSize);
      sample.terminated = Uint8Array.from(indices, (i) => this.term![i]!);
    }
    return sample;
  }

  /** Probability of drawing entry i under the current priorities (uniform: 1 / size). */
  probability(i: number): number {
    if (!this.tree) return i < this.count ? 1 / this.count : 0;
    return this.tree.get(i) / this.tree.total;
  }
}
