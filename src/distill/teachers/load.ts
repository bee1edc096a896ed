/**
 * Loading teachers from files: rldistill checkpoints (any artifact with a policy: PPO/DQN agents,
 * policies, students) and ONNX models (`.onnx`, needs onnxruntime-node). Several files make an
 * ensemble.
 *
 * A teacher's spaces come from the checkpoint's metadata (`observationSpace` / `actionSpace`,
 * else the env id it was trained on, rebuilt with `make`); an ONNX file, or a checkpoint without
 * either, takes the target env's spaces once its input and output sizes are checked.
 */
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import type { Env } from "../../core/env.js";
import { ArtifactError, ConfigError, RlDistillError } from "../../core/errors.js";
import { type AnySpace, type SpaceJSON, spaceFromJSON } from "../../core/spaces.js";
import { make } from "../../envs/registry.js";
import { loadPolicy } from "../../nn/checkpoint.js";
import type { PolicySpec } from "../../nn/spec.js";
import type { Teacher } from "../teacher.js";
import { type EnsembleMode, EnsembleTeacher } from "./ensemble.js";
import { OnnxTeacher } from "./onnx-teacher.js";
import { SpecTeacher } from "./spec-teacher.js";

export interface LoadTeacherOptions {
  /** The env the teacher will be distilled on (spaces for ONNX files and bare policies). */
  env?: Env<unknown, unknown>;
}

function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a directory" : e.message;
    throw new ConfigError("teacher", `cannot read "${path}": ${why}`);
  }
}

/** Spaces recorded with a checkpoint (meta merged over config): explicit JSON, else the env it was trained on. */
function spacesFromMeta(meta: Record<string, unknown>): { obs: AnySpace; act: AnySpace } | undefined {
  if (meta.observationSpace && meta.actionSpace) {
    return {
      obs: spaceFromJSON(meta.observationSpace as SpaceJSON),
      act: spaceFromJSON(meta.actionSpace as SpaceJSON),
    };
  }
  const id =
    typeof meta.env === "string" ? meta.env : typeof meta.envId === "string" ? meta.envId : undefined;
  if (!id) return undefined;
  const env = make(id, (meta.envKwargs as Record<string, unknown> | undefined) ?? {});
  const out = {
    obs: env.observationSpace as unknown as AnySpace,
    act: env.actionSpace as unknown as AnySpace,
  };
  env.close();
  return out;
}

function targetSpaces(path: string, opts: LoadTeacherOptions): { obs: AnySpace; act: AnySpace } {
  if (!opts.env) {
    throw new ConfigError(
      "teacher",
      `${path} records no spaces or env id; give the env it is to be distilled on`,
    );
  }
  return {
    obs: opts.env.observationSpace as unknown as AnySpace,
    act: opts.env.actionSpace as unknown as AnySpace,
  };
}

/** One teacher from an rldistill checkpoint or an `.onnx` file. */
export async function loadTeacher(path: string, opts: LoadTeacherOptions = {}): Promise<Teacher> {
  const name = basename(path);
  const bytes = readBytes(path);
  if (extname(path).toLowerCase() === ".onnx") {
    const { obs, act } = targetSpaces(path, opts);
    return OnnxTeacher.create(bytes, { name, observationSpace: obs, actionSpace: act });
  }
  let spec: PolicySpec;
  let meta: Record<string, unknown>;
  try {
    const loaded = loadPolicy(path);
    spec = loaded.spec;
    // Agents (PPO, DQN) keep their env id in the artifact's config, students in its meta.
    const config = loaded.artifact.config;
    meta = {
      ...(config && typeof config === "object" ? (config as Record<string, unknown>) : {}),
      ...loaded.meta,
    };
  } catch (err) {
    // The loader's messages start with the path already: say it once.
    if (err instanceof RlDistillError)
      throw new ArtifactError(`teacher ${path}: ${err.message.replace(`${path}: `, "")}`);
    throw new ArtifactError(
      `teacher ${path}: not a readable rldistill checkpoint (${(err as Error).message})`,
    );
  }
  const spaces = spacesFromMeta(meta) ?? targetSpaces(path, opts);
  return new SpecTeacher(spec, { name, observationSpace: spaces.obs, actionSpace: spaces.act });
}

/** Every `paths` entry as one teacher: itself when alone, else an ensemble in `mode`. */
export async function loadTeachers(
  paths: readonly string[],
  mode: EnsembleMode,
  opts: LoadTeacherOptions = {},
): Promise<Teacher> {
  if (paths.length === 0)
    throw new ConfigError("teacher", "at least one teacher file is needed (--teacher PATH)");
  const teachers: Teacher[] = [];
  for (const p of paths) teachers.push(await loadTeacher(p, opts));
  return teachers.length === 1 ? teachers[0]! : new EnsembleTeacher(teachers, mode);
}
