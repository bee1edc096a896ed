/**
 * A trial: one `distill()` run of one candidate, fully described by plain data so it can run in
 * this thread, a worker thread or on another machine, and keyed by a hash of that data.
 *
 *   const spec = makeTrial({ candidate, env, envKwargs, teacher, config, role: "search" });
 *   spec.key;                                  // sha256 of what determines the result
 *   const out = await executeTrial(spec, dir, teacher);   // distill() into the trial's own folder
 *
 * Same spec, same result (distill() is deterministic for a seed): a trial run twice (a worker
 * killed mid-trial and retried elsewhere, a coordinator that resumed) gives the same figures, so a
 * duplicate can be dropped and a search ends the same whatever ran it.
 */
import { createHash } from "node:crypto";
import type { Env } from "../core/env.js";
import { ConfigError, describeValue } from "../core/errors.js";
import type { DistillConfig } from "../distill/config.js";
import { distill } from "../distill/distill.js";
import type { DistillSummary } from "../distill/run-dir.js";
import type { Teacher } from "../distill/teacher.js";
import { loadTeacher } from "../distill/teachers/load.js";
import { make } from "../envs/registry.js";
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

export interface TrialSpec {
  key: string;
  /** search: a rung of a bracket; confirm: the winner's confirmation runs. */
  role: "search" | "confirm";
  candidate: Candidate;
  env: string;
  /** make() kwargs of the env (physical parameters of a variant). */
  envKwargs: Record<string, number>;
  teacher: TeacherRef;
  /** The fully resolved distill config (presets applied by the coordinator), without teachers/out. */
  config: TrialConfig;
}

/** What a finished trial hands back. */
export interface TrialOutcome {
  key: string;
  summary: DistillSummary;
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
  if (v.role !== "search" && v.role !== "confirm") bad("role", "search or confirm", v.role);
  if (typeof v.env !== "string" || v.env === "") bad("env", "an env id", v.env);
  const c = v.candidate as Record<string, unknown> | undefined;
  if (typeof c !== "object" || c === null) bad("candidate", "an object", c);
  if (typeof c!.kind !== "string") bad("candidate.kind", "a string", c!.kind);
  if (!Array.isArray(c!.hidden) || !c!.hidden.every((h) => Number.isInteger(h) && (h as number) >= 1))
    bad("candidate.hidden", "integer widths >= 1", c!.hidden);
  if (typeof v.envKwargs !== "object" || v.envKwargs === null) bad("envKwargs", "an object", v.envKwargs);
  for (const [k, x] of Object.entries(v.envKwargs as object))
    if (typeof x !== "number" || !Number.isFinite(x)) bad(`envKwargs.${k}`, "a finite number", x);
  const t = v.teacher as Record<string, unknown> | undefined;
  if (typeof t !== "object" || t === null || typeof t.hash !== "string" || !/^[0-9a-f]{64}$/.test(t.hash))
    bad("teacher.hash", "a sha256 hex digest", t?.hash);
  if (typeof v.config !== "object" || v.config === null) bad("config", "a distill config object", v.config);
  const spec = v as unknown as TrialSpec;
  const { key: _key, ...rest } = spec;
  if (makeTrial(rest).key !== spec.key)
    throw new ConfigError(
      "trial.key",
      `does not match the trial's content (expected ${makeTrial(rest).key})`,
    );
  return spec;
}

/** make(env, kwargs) for env `index` of a trial. */
export function envFactory(env: string, kwargs: Record<string, number>): (index: number) => Env {
  return () => make(env, kwargs) as Env;
}

/** Loads a teacher file for trials on this env (checked against the env's spaces by distill()). */
export async function loadTrialTeacher(
  path: string,
  env: string,
  kwargs: Record<string, number>,
): Promise<Teacher> {
  const probe = make(env, kwargs) as Env<unknown, unknown>;
  try {
    return await loadTeacher(path, { env: probe });
  } finally {
    probe.close();
  }
}

/** Who is running this (for the record of which worker ran which trial). */
export function workerName(): string {
  return `${process.env.HOSTNAME ?? "local"}:${process.pid}`;
}

/**
 * Runs the trial: distill() with the trial's config into `dir` (the trial's own run folder).
 * `shouldStop` is polled between distillation rounds.
 */
export async function executeTrial(
  spec: TrialSpec,
  dir: string,
  teacher: Teacher,
  opts: { shouldStop?: () => boolean; worker?: string } = {},
): Promise<TrialOutcome> {
  const t0 = performance.now();
  const { summary } = await distill(
    { ...spec.config, teachers: [spec.teacher.name], out: dir },
    // The trial's folder is the search's own: a trial cut short earlier is run again from scratch.
    { teacher, makeEnv: envFactory(spec.env, spec.envKwargs), shouldStop: opts.shouldStop, overwrite: true },
  );
  return {
    key: spec.key,
    summary,
    worker: opts.worker ?? workerName(),
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
