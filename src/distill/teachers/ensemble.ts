/**
 * Several teachers as one.
 *
 * - `mean`: the average of the members' action probabilities (logits teachers; the output is
 *   log of the mean, so softmax gives the mixture back), of Q-values (Q teachers), or the
 *   moment-matched Gaussian (Gaussian teachers).
 * - `confidence`: the same average, weighted per observation by each member's inverse entropy
 *   (1 / (H + 0.05)), so a member that is sure of its action outvotes one that is not.
 * - `route`: per-task routing for a multi-task student (Rusu et al. 2016, multi-task policy
 *   distillation): observation r is answered by member `taskIds[r]`.
 *
 * Members must share observation and action spaces, and be all Gaussian or all discrete. Discrete
 * members of different kinds (logits and Q-values, from any source: checkpoints, ONNX, SB3) are
 * combined as probabilities: member i contributes softmax(z_i / T_i) with its own temperature T_i
 * (`temperatures`, default 1 each; Q-values usually want a temperature near their typical gap
 * between actions, e.g. 0.1-1, since their scale is the return's), and the ensemble outputs the log
 * of the mixture (kind logits). Members of one kind combine as before (mean of probabilities for
 * logits, of Q-values for Q teachers) unless temperatures are given, which also apply to logits.
 * The ensemble answers synchronously only when every member can (ONNX members cannot).
 */
import { ConfigError } from "../../core/errors.js";
import { spacesEqual } from "../../core/spaces.js";
import { entropyRows, safeLog, softmaxRows } from "../../nn/distributions.js";
import {
  checkBatch,
  type FeatureInfo,
  type PredictOptions,
  type Teacher,
  type TeacherBatch,
  type TeacherKind,
} from "../teacher.js";

export type EnsembleMode = "mean" | "confidence" | "route";
export const ENSEMBLE_MODES: readonly EnsembleMode[] = ["mean", "confidence", "route"];

export interface EnsembleOptions {
  /** Per-member temperature for turning outputs into probabilities (see the file comment). */
  temperatures?: readonly number[];
}

/** Per-row member weights [members][n], summing to 1 over members. */
function memberWeights(
  batches: readonly TeacherBatch[],
  mode: EnsembleMode,
  temperatures?: readonly number[],
): Float32Array[] {
  const m = batches.length;
  const { n, actionSize: k } = batches[0]!;
  const w = batches.map(() => new Float32Array(n).fill(1 / m));
  if (mode !== "confidence") return w;
  const conf = batches.map((b, i) => {
    if (b.kind === "gaussian") {
      const c = new Float32Array(n);
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += Math.exp(b.logStd?.[r * k + j] ?? 0);
        c[r] = 1 / (s / k + 1e-3);
      }
      return c;
    }
    const h = entropyRows(softmaxRows(b.outputs, n, k, temperatures?.[i] ?? 1), n, k);
    return h.map((v) => 1 / (v + 0.05));
  });
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += conf[i]![r]!;
    for (let i = 0; i < m; i++) w[i]![r] = conf[i]![r]! / s;
  }
  return w;
}

/** Combines member answers for the same observations with per-row weights. */
export function combineBatches(
  batches: readonly TeacherBatch[],
  mode: Exclude<EnsembleMode, "route">,
  temperatures?: readonly number[],
): TeacherBatch {
  const first = batches[0]!;
  const { n, actionSize: k } = first;
  const kind = combinedKind(
    batches.map((b) => b.kind),
    temperatures,
  );
  const w = memberWeights(batches, mode, temperatures);
  const outputs = new Float32Array(n * k);
  const out: TeacherBatch = { kind, n, actionSize: k, outputs, features: {} };
  if (kind === "logits") {
    const probs = batches.map((b, i) => softmaxRows(b.outputs, n, k, temperatures?.[i] ?? 1));
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < k; j++) {
        let p = 0;
        for (let i = 0; i < batches.length; i++) p += w[i]![r]! * probs[i]![r * k + j]!;
        outputs[r * k + j] = safeLog(p);
      }
    }
  } else {
    const second = new Float32Array(n * k);
    batches.forEach((b, i) => {
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < k; j++) {
          const mu = b.outputs[r * k + j]!;
          outputs[r * k + j] = outputs[r * k + j]! + w[i]![r]! * mu;
          if (kind === "gaussian") {
            const sd = Math.exp(b.logStd?.[r * k + j] ?? 0);
            second[r * k + j] = second[r * k + j]! + w[i]![r]! * (sd * sd + mu * mu);
          }
        }
      }
    });
    if (kind === "gaussian") {
      out.logStd = second.map((s2, idx) => 0.5 * Math.log(Math.max(s2 - outputs[idx]! ** 2, 1e-12)));
    }
  }
  if (batches.every((b) => b.values)) {
    out.values = new Float32Array(n);
    batches.forEach((b, i) => {
      for (let r = 0; r < n; r++) out.values![r] = out.values![r]! + w[i]![r]! * b.values![r]!;
    });
  }
  return out;
}

/** The ensemble's kind: the members' own when they agree (and no temperatures), else logits (mixed discrete). */
function combinedKind(kinds: readonly TeacherKind[], temperatures?: readonly number[]): TeacherKind {
  const first = kinds[0]!;
  if (kinds.every((k) => k === first) && (first === "gaussian" || !temperatures)) return first;
  return "logits";
}

export class EnsembleTeacher implements Teacher {
  readonly name: string;
  readonly members: readonly Teacher[];
  readonly mode: EnsembleMode;
  readonly kind: TeacherKind;
  readonly params: number;
  readonly hasValue: boolean;
  readonly features: readonly FeatureInfo[];
  readonly temperatures?: readonly number[];
  /** Present only when every member answers synchronously. */
  readonly predictSync?: (obs: Float32Array, n: number, opts?: PredictOptions) => TeacherBatch;

  constructor(members: readonly Teacher[], mode: EnsembleMode = "mean", options: EnsembleOptions = {}) {
    if (members.length === 0) throw new ConfigError("teacher", "an ensemble needs at least one teacher");
    if (!ENSEMBLE_MODES.includes(mode)) {
      throw new ConfigError("ensemble", `"${mode}" is not allowed; allowed: ${ENSEMBLE_MODES.join(", ")}`);
    }
    const first = members[0]!;
    const { temperatures } = options;
    if (temperatures !== undefined) {
      if (temperatures.length !== members.length || temperatures.some((t) => !(t > 0 && Number.isFinite(t))))
        throw new ConfigError(
          "teacherTemperature",
          `expected ${members.length} temperatures > 0 (one per teacher), got [${temperatures.join(", ")}]`,
        );
      if (first.kind === "gaussian")
        throw new ConfigError(
          "teacherTemperature",
          "temperatures apply to discrete teachers, not Gaussian ones",
        );
    }
    for (const t of members.slice(1)) {
      const same =
        spacesEqual(t.observationSpace, first.observationSpace) &&
        spacesEqual(t.actionSpace, first.actionSpace) &&
        (t.kind === "gaussian") === (first.kind === "gaussian") &&
        (mode !== "route" || t.kind === first.kind);
      if (!same) {
        throw new ConfigError(
          "teacher",
          `ensemble members differ: ${first.name} is ${first.observationSpace} -> ${first.actionSpace} (${first.kind}), ` +
            `${t.name} is ${t.observationSpace} -> ${t.actionSpace} (${t.kind})`,
        );
      }
    }
    this.members = members;
    this.mode = mode;
    this.temperatures = temperatures;
    this.name = `ensemble-${mode}(${members.map((t) => t.name).join(", ")})`;
    this.kind =
      mode === "route"
        ? first.kind
        : combinedKind(
            members.map((t) => t.kind),
            temperatures,
          );
    if (members.every((t) => t.predictSync))
      this.predictSync = (obs, n, opts) => this.answerSync(obs, n, opts);
    this.params = members.reduce((s, t) => s + t.params, 0);
    this.hasValue = members.every((t) => t.hasValue);
    // Features are only meaningful per member, so only routing (one member per row) exposes them,
    // and only when every member has the same feature layout.
    const sig = (t: Teacher) => JSON.stringify(t.features);
    this.features = mode === "route" && members.every((t) => sig(t) === sig(first)) ? first.features : [];
  }

  get observationSpace() {
    return this.members[0]!.observationSpace;
  }
  get actionSpace() {
    return this.members[0]!.actionSpace;
  }
  get obsSize() {
    return this.members[0]!.obsSize;
  }
  get actionSize() {
    return this.members[0]!.actionSize;
  }

  async predict(obs: Float32Array, n: number, opts: PredictOptions = {}): Promise<TeacherBatch> {
    checkBatch(this, obs, n);
    if (this.mode !== "route") {
      this.checkNoFeatures(opts);
      const batches = await Promise.all(this.members.map((t) => t.predict(obs, n)));
      return combineBatches(batches, this.mode, this.temperatures);
    }
    const groups = this.groupByTask(n, opts.taskIds);
    const parts = await Promise.all(
      groups.map((rows, i) =>
        rows.length ? this.members[i]!.predict(gatherRows(obs, this.obsSize, rows), rows.length, opts) : null,
      ),
    );
    return scatter(parts, groups, n, this.kind, this.actionSize);
  }

  private answerSync(obs: Float32Array, n: number, opts: PredictOptions = {}): TeacherBatch {
    checkBatch(this, obs, n);
    if (this.mode !== "route") {
      this.checkNoFeatures(opts);
      return combineBatches(
        this.members.map((t) => t.predictSync!(obs, n)),
        this.mode,
        this.temperatures,
      );
    }
    const groups = this.groupByTask(n, opts.taskIds);
    const parts = groups.map((rows, i) =>
      rows.length
        ? this.members[i]!.predictSync!(gatherRows(obs, this.obsSize, rows), rows.length, opts)
        : null,
    );
    return scatter(parts, groups, n, this.kind, this.actionSize);
  }

  private checkNoFeatures(opts: PredictOptions): void {
    const f = opts.features;
    if (f && (f === "all" || f.length > 0)) {
      throw new ConfigError(
        "featureLayers",
        `an ensemble in "${this.mode}" mode has no hidden features to distil`,
      );
    }
  }

  private groupByTask(n: number, taskIds: Int32Array | undefined): number[][] {
    if (!taskIds || taskIds.length !== n) {
      throw new ConfigError("taskIds", `a routing ensemble needs one task id per observation (${n})`);
    }
    const groups: number[][] = this.members.map(() => []);
    for (let r = 0; r < n; r++) {
      const t = taskIds[r]!;
      if (!(t >= 0 && t < this.members.length)) {
        throw new ConfigError("taskIds", `task id ${t} at row ${r} is not in [0, ${this.members.length})`);
      }
      groups[t]!.push(r);
    }
    return groups;
  }
}

function gatherRows(x: Float32Array, width: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => {
    out.set(x.subarray(r * width, (r + 1) * width), i * width);
  });
  return out;
}

function scatter(
  parts: ReadonlyArray<TeacherBatch | null>,
  groups: readonly number[][],
  n: number,
  kind: TeacherKind,
  k: number,
): TeacherBatch {
  const present = parts.filter((p): p is TeacherBatch => p !== null);
  const out: TeacherBatch = { kind, n, actionSize: k, outputs: new Float32Array(n * k), features: {} };
  if (present.length && present.every((p) => p.logStd)) out.logStd = new Float32Array(n * k);
  if (present.length && present.every((p) => p.values)) out.values = new Float32Array(n);
  const featureNames = present.length ? Object.keys(present[0]!.features) : [];
  const widths = featureNames.map((f) => present[0]!.features[f]!.length / present[0]!.n);
  featureNames.forEach((f, i) => {
    out.features[f] = new Float32Array(n * widths[i]!);
  });
  parts.forEach((p, g) => {
    if (!p) return;
    groups[g]!.forEach((r, i) => {
      out.outputs.set(p.outputs.subarray(i * k, (i + 1) * k), r * k);
      out.logStd?.set(p.logStd!.subarray(i * k, (i + 1) * k), r * k);
      if (out.values) out.values[r] = p.values![i]!;
      featureNames.forEach((f, fi) => {
        const wd = widths[fi]!;
        out.features[f]!.set(p.features[f]!.subarray(i * wd, (i + 1) * wd), r * wd);
      });
    });
  });
  return out;
}
