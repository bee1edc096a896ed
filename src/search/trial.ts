/**
 * A trial: one `distill()` run of one candidate, fully described by plain data so it can run in
 * this thread, a worker thread or on another machine, and keyed by a hash of that data.
 *
 *   const spec = makeTrial({ candidate, env, envKwargs, teacher, config, role: "search" });
 *   spec.key;                                  // sha256 of what determines the result
 *   const out = await executeTrial(spec, dir, teachers);  // execute.ts: distill() into the trial's own folder
 *
 * Same spec, same result (distill() is deterministic for a seed): a trial run twice (a worker
 * killed mid-trial and retried elsewhere, a coordinator that resumed) gives the same figures, so a
 * duplicate can be dropped and a search ends the same whatever ran it.
 */
import { createHash } from "node:crypto";
import { ConfigError, describeValue } from "../core/errors.js";
import type { DistillConfig } from "../distill/config.js";
import type { DistillSummary } from "../distill/run-dir.js";
import { type Candidate, candidateId } from "./space.js";

/** Bumped when the payload's meaning changes; workers refuse other protocols. */
export const TRIAL_PROTOCOL = 1;

export type TrialConfig = Omit<DistillConfig, "teachers" | "out">;

export interface TeacherRef {
  /** sha256 of the teacher file's bytes (workers fetch or cache it by this). */
  hash: string;
  /** File name, for display. */
  name: string;
}

/** A student's weights as plain JSON numbers (float32 values are exact in a double). */
export interface StudentWeights {
  layers: Array<{ weight: number[]; bias: number[] }>;
  logStd?: number[];
}

/** One env variant and its teacher, in a multi-task (pooled) trial. */
export interface TrialTask {
  envKwargs: Record<string, number>;
  teacher: TeacherRef;
}

export const TRIAL_ROLES = ["search", "confirm", "federated", "label", "centralised", "evaluate"] as const;
export type TrialRole = (typeof TRIAL_ROLES)[number];

export interface TrialSpec {
  key: string;
  /**
   * search: a rung of a bracket; confirm: the winner's confirmation runs; federated: a client's
   * local update from `init` (only the update leaves); label: a soft-label client's teacher
   * probabilities on the server's public `states` (only those leave); centralised: one student on the pooled
   * `tasks`; evaluate: `init` evaluated against the teacher on the env (no training).
   */
  role: TrialRole;
  candidate: Candidate;
  env: string;
  /** make() kwargs of the env (physical parameters of a variant). */
  envKwargs: Record<string, number>;
  teacher: TeacherRef;
  /** The fully resolved distill config (presets applied by the coordinator), without teachers/out. */
  config: TrialConfig;
  /** Weights the student starts from (federated rounds) or that are evaluated (evaluate). */
  init?: StudentWeights;
  /** Pooled variants (centralised): training env i is variant i mod tasks.length with its teacher. */
  tasks?: TrialTask[];
  /** The server's public states to label (label), [n, obsSize] row-major. */
  states?: number[];
}

/** What a federated client sends back: weights and a sample count, nothing else. */
export interface ClientMessage {
  samples: number;
  weights: StudentWeights;
}

/** What a soft-label client sends back: its probability rows on the server's states, nothing else. */
export interface LabelMessage {
  samples: number;
  /** [samples, actions] row-major probabilities. */
  labels: number[];
}

/** The figures of an `evaluate` trial. */
export interface EvaluationFigures {
  retention: number | null;
  agreement: number | null;
  student_return: number;
  teacher_return: number;
  random_return: number;
  episodes: number;
}

/** What a finished trial hands back. */
export interface TrialOutcome {
  key: string;
  /** The distill run's summary (search, confirm, centralised). */
  summary?: DistillSummary;
  /** A federated client's update or labels: the only thing such a trial returns. */
  message?: ClientMessage | LabelMessage;
  /** An evaluate trial's figures. */
  evaluation?: EvaluationFigures;
  /** Who ran it (host:pid:thread), for the record. */
  worker: string;
  wallSeconds: number;
  /** The student checkpoint, base64, when it was written somewhere the coordinator cannot see. */
  studentBase64?: string;
}

/** JSON with object keys sorted at every level, so equal data hashes equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function makeTrial(parts: Omit<TrialSpec, "key">): TrialSpec {
  const key = sha256(
    canonicalJson({
      protocol: TRIAL_PROTOCOL,
      candidate: candidateId(parts.candidate),
      env: parts.env,
      envKwargs: parts.envKwargs,
      teacher: parts.teacher.hash,
      config: parts.config,
      init: parts.init ?? null,
      tasks: parts.tasks?.map((t) => ({ envKwargs: t.envKwargs, teacher: t.teacher.hash })) ?? null,
      // Absent for every role but label, so the keys of other trials are what they were.
      ...(parts.states ? { states: sha256(new Uint8Array(Float32Array.from(parts.states).buffer)) } : {}),
    }),
  ).slice(0, 24);
  return { key, ...parts };
}

/**
 * Checks a payload that arrived from outside (a queue job): every field present and of the right
 * type, and the key matching its content. Throws a ConfigError naming the first bad field.
 */
export function checkTrialSpec(value: unknown): TrialSpec {
  const bad = (field: string, want: string, got: unknown): never => {
    throw new ConfigError(`trial.${field}`, `expected ${want}, got ${describeValue(got)}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("", "an object", value);
  const v = value as Record<string, unknown>;
  if (typeof v.key !== "string" || !/^[0-9a-f]{24}$/.test(v.key)) bad("key", "24 hex digits", v.key);
  if (!(TRIAL_ROLES as readonly unknown[]).includes(v.role)) bad("role", TRIAL_ROLES.join(", "), v.role);
  if (typeof v.env !== "string" || v.env === "") bad("env", "an env id", v.env);
  const c = v.candidate as Record<string, unknown> | undefined;
  if (typeof c !== "object" || c === null) bad("candidate", "an object", c);
  if (typeof c!.kind !== "string") bad("candidate.kind", "a string", c!.kind);
  if (!Array.isArray(c!.hidden) || !c!.hidden.every((h) => Number.isInteger(h) && (h as number) >= 1))
    bad("candidate.hidden", "integer widths >= 1", c!.hidden);
  if (
    c!.convs !== undefined &&
    !(
      Array.isArray(c!.convs) &&
      c!.convs.every(
        (x) =>
          Number.isInteger(x?.channels) &&
          x.channels >= 1 &&
          Number.isInteger(x?.kernelSize) &&
          x.kernelSize >= 1,
      )
    )
  )
    bad("candidate.convs", "a list of {channels, kernelSize} integers >= 1", c!.convs);
  if (typeof v.envKwargs !== "object" || v.envKwargs === null) bad("envKwargs", "an object", v.envKwargs);
  for (const [k, x] of Object.entries(v.envKwargs as object))
    if (typeof x !== "number" || !Number.isFinite(x)) bad(`envKwargs.${k}`, "a finite number", x);
  const t = v.teacher as Record<string, unknown> | undefined;
  if (typeof t !== "object" || t === null || typeof t.hash !== "string" || !/^[0-9a-f]{64}$/.test(t.hash))
    bad("teacher.hash", "a sha256 hex digest", t?.hash);
  if (typeof v.config !== "object" || v.config === null) bad("config", "a distill config object", v.config);
  if (v.init !== undefined) {
    const init = v.init as StudentWeights;
    const numbers = (a: unknown) =>
      Array.isArray(a) && a.every((x) => typeof x === "number" && Number.isFinite(x));
    if (!Array.isArray(init?.layers) || !init.layers.every((l) => numbers(l?.weight) && numbers(l?.bias)))
      bad("init.layers", "layers of finite weight and bias numbers", init?.layers);
  }
  if (
    v.states !== undefined &&
    !(Array.isArray(v.states) && v.states.every((x) => typeof x === "number" && Number.isFinite(x)))
  )
    bad("states", "a list of finite numbers", v.states);
  if (v.role === "label" && v.states === undefined) bad("states", "the states to label", v.states);
  if (v.tasks !== undefined && (!Array.isArray(v.tasks) || v.tasks.length === 0))
    bad("tasks", "a non-empty list of {envKwargs, teacher}", v.tasks);
  const spec = v as unknown as TrialSpec;
  const { key: _key, ...rest } = spec;
  if (makeTrial(rest).key !== spec.key)
    throw new ConfigError(
      "trial.key",
      `does not match the trial's content (expected ${makeTrial(rest).key})`,
    );
  return spec;
}
