/**
 * Loading teachers from files, recognised by their content (not their extension):
 * - rldistill checkpoints (any artifact with a policy: PPO/DQN agents, policies, students);
 * - ONNX models (run by onnxruntime-node; `output`, `kind`, `value` choose and name the tensors);
 * - Stable-Baselines3 model archives (`.zip` with `data` + `policy.pth`, torch/sb3.ts);
 * - plain PyTorch state_dicts (`torch.save(actor.state_dict(), path)`, CleanRL) with an
 *   architecture description `arch` (`actor:tanh`, see torch/sequential.ts).
 * Several files make an ensemble. `obsNorm` (VecNormalize statistics as JSON, obs-norm.ts) is
 * folded into the teacher.
 *
 * A teacher's spaces come from the checkpoint's metadata (`observationSpace` / `actionSpace`,
 * else the env id it was trained on, rebuilt with `make`); other formats, or a checkpoint without
 * either, take the target env's spaces once their input and output sizes are checked.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Env } from "../../core/env.js";
import { ArtifactError, ConfigError, RlDistillError } from "../../core/errors.js";
import { type AnySpace, flatSize, type SpaceJSON, spaceFromJSON } from "../../core/spaces.js";
import { type PolicyOutputKind, parseKindSpec } from "../../deploy/onnx-outputs.js";
import { decodeModel } from "../../deploy/onnx-proto.js";
import { make } from "../../envs/registry.js";
import { loadPolicy, MAGIC } from "../../nn/checkpoint.js";
import type { ObsNormSpec, PolicySpec } from "../../nn/spec.js";
import type { Teacher } from "../teacher.js";
import { type TeacherCritic, teacherCriticFromArtifact } from "./critic.js";
import { type EnsembleMode, EnsembleTeacher } from "./ensemble.js";
import { readObsNormFile } from "./obs-norm.js";
import { OnnxTeacher } from "./onnx-teacher.js";
import { SpecTeacher } from "./spec-teacher.js";
import { isSb3Archive, sb3ArchiveSpec, stateDictSpec, type TorchSpec } from "./torch/sb3.js";
import { parseTorchArch } from "./torch/sequential.js";
import { isZip, ZipArchive } from "./torch/zip.js";

/** How one teacher file is to be read (the `--teacher-*` and `--obs-norm` flags). */
export interface TeacherSourceOptions {
  /** ONNX: the policy tensor (an output or any computed tensor). */
  output?: string;
  /** logits | probs | q | mean[,logstd=NAME|VALUE] (see `parseKindSpec`). */
  kind?: string;
  /** ONNX: the state-value tensor, or "none". */
  value?: string;
  /** VecNormalize statistics: a JSON file path, or the statistics themselves. */
  obsNorm?: string | ObsNormSpec;
  /** Plain state_dicts: `[PREFIX:]ACTIVATION`, e.g. `actor:tanh`. */
  arch?: string;
}

export interface LoadTeacherOptions extends TeacherSourceOptions {
  /** The env the teacher will be distilled on (spaces for ONNX files and bare policies). */
  env?: Env<unknown, unknown>;
}

export type ModelFormat = "rldistill" | "onnx" | "sb3-zip" | "torch-state-dict";

function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a directory" : e.message;
    throw new ConfigError("teacher", `cannot read "${path}": ${why}`);
  }
}

/** What a model file is, from its bytes; undefined when it is none of the known formats. */
export function detectModelFormat(bytes: Uint8Array): ModelFormat | undefined {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (magic === MAGIC) return "rldistill";
  if (isZip(bytes)) {
    try {
      return isSb3Archive(new ZipArchive(bytes)) ? "sb3-zip" : "torch-state-dict";
    } catch {
      return undefined;
    }
  }
  try {
    const m = decodeModel(bytes);
    if (m.graph.nodes.length > 0 && m.graph.outputs.length > 0) return "onnx";
  } catch {
    // not protobuf
  }
  return undefined;
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

function onlyFor(
  name: string,
  format: string,
  opts: TeacherSourceOptions,
  keys: Array<keyof TeacherSourceOptions>,
): void {
  const flag: Record<string, string> = {
    output: "--teacher-output",
    value: "--teacher-value",
    arch: "--teacher-arch",
    kind: "--teacher-kind",
  };
  for (const k of keys)
    if (opts[k] !== undefined && opts[k] !== "")
      throw new ConfigError(
        k === "arch" ? "teacherArch" : `teacher${k[0]!.toUpperCase()}${k.slice(1)}`,
        `${flag[k]} does not apply to ${name} (${format})`,
      );
}

function obsNormOf(opts: TeacherSourceOptions, obsSize: number): ObsNormSpec | undefined {
  if (opts.obsNorm === undefined || opts.obsNorm === "") return undefined;
  return typeof opts.obsNorm === "string" ? readObsNormFile(opts.obsNorm, obsSize) : opts.obsNorm;
}

/** A spec-based teacher with the options that apply to specs: kind override (logits <-> q) and obs-norm. */
function specTeacher(
  name: string,
  spec: PolicySpec,
  spaces: { obs: AnySpace; act: AnySpace },
  opts: TeacherSourceOptions,
  notes: readonly string[],
  critic?: TeacherCritic,
): Teacher {
  let s = spec;
  if (opts.kind) {
    const { kind, logStd } = parseKindSpec(opts.kind);
    if (kind === "probs")
      throw new ConfigError(
        "teacherKind",
        `${name} is a network ending in a linear layer; probs applies to ONNX outputs only`,
      );
    s = { ...s, output: kind };
    if (typeof logStd === "number") s.logStd = new Float32Array(s.actionSize).fill(logStd);
    else if (logStd !== undefined)
      throw new ConfigError("teacherKind", `${name}: logstd=NAME applies to ONNX files; give a number`);
  }
  const norm = obsNormOf(opts, flatSize(spaces.obs));
  if (norm) {
    if (s.obsNorm)
      throw new ConfigError(
        "obsNorm",
        `${name} already normalises its observations (its checkpoint has statistics); drop --obs-norm`,
      );
    s = { ...s, obsNorm: norm };
  }
  const teacher = new SpecTeacher(s, { name, observationSpace: spaces.obs, actionSpace: spaces.act });
  return Object.assign(teacher, notes.length ? { notes } : {}, critic ? { qCritic: critic } : {});
}

/** One teacher from a model file of any supported format (see the file comment). */
export async function loadTeacher(path: string, opts: LoadTeacherOptions = {}): Promise<Teacher> {
  const name = basename(path);
  const bytes = readBytes(path);
  const format = detectModelFormat(bytes);
  if (format === "onnx") {
    onlyFor(name, "an ONNX model", opts, ["arch"]);
    const { obs, act } = targetSpaces(path, opts);
    const kind = opts.kind ? parseKindSpec(opts.kind) : undefined;
    return OnnxTeacher.create(bytes, {
      name,
      observationSpace: obs,
      actionSpace: act,
      output: opts.output || undefined,
      kind: kind?.kind as PolicyOutputKind | undefined,
      logStd: kind?.logStd,
      value: opts.value || undefined,
      obsNorm: obsNormOf(opts, flatSize(obs)),
    });
  }
  if (format === "sb3-zip" || format === "torch-state-dict") {
    onlyFor(name, format === "sb3-zip" ? "a Stable-Baselines3 archive" : "a state_dict", opts, [
      "output",
      "value",
    ]);
    const spaces = targetSpaces(path, opts);
    let torch: TorchSpec;
    if (format === "sb3-zip") {
      onlyFor(name, "a Stable-Baselines3 archive", opts, ["arch"]);
      torch = sb3ArchiveSpec(bytes, name);
    } else {
      if (!opts.arch)
        throw new ConfigError(
          "teacherArch",
          `${name} is a PyTorch state_dict, which does not record its layers' activations; describe them with --teacher-arch, e.g. actor:tanh (docs/byom.md)`,
        );
      const continuous = spaces.act.type === "Box";
      torch = stateDictSpec(bytes, parseTorchArch(opts.arch), continuous ? "mean" : "logits", name);
    }
    return specTeacher(name, torch.spec, spaces, opts, torch.notes);
  }
  if (format !== "rldistill") {
    throw new ArtifactError(
      `teacher ${path}: not a recognised model file (rldistill checkpoint, ONNX model, Stable-Baselines3 .zip, or torch.save state_dict)`,
    );
  }
  onlyFor(name, "an rldistill checkpoint", opts, ["output", "value", "arch"]);
  let spec: PolicySpec;
  let meta: Record<string, unknown>;
  let critic: TeacherCritic | undefined;
  try {
    const loaded = loadPolicy(path);
    spec = loaded.spec;
    critic = teacherCriticFromArtifact(loaded.artifact, spec);
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
  return specTeacher(name, spec, spaces, opts, [], critic);
}

/** The spec of a non-ONNX model file (checkpoint, SB3 zip, state_dict + arch), e.g. for `rldistill import`. */
export function readModelSpec(path: string, opts: { arch?: string; continuous?: boolean } = {}): TorchSpec {
  const bytes = readBytes(path);
  const format = detectModelFormat(bytes);
  const name = basename(path);
  if (format === "sb3-zip") return sb3ArchiveSpec(bytes, name);
  if (format === "torch-state-dict") {
    if (!opts.arch)
      throw new ConfigError(
        "--arch",
        `${name} is a PyTorch state_dict; describe its layers with --arch, e.g. actor:tanh`,
      );
    return stateDictSpec(
      bytes,
      parseTorchArch(opts.arch, "--arch"),
      opts.continuous ? "mean" : "logits",
      name,
    );
  }
  if (format === "rldistill") {
    return { spec: loadPolicy(path).spec, notes: [], family: "rldistill" };
  }
  throw new ArtifactError(
    `${path}: not a recognised model file${format === "onnx" ? " here (ONNX is read by importOnnx)" : ""}`,
  );
}

export interface LoadTeachersOptions extends LoadTeacherOptions {
  /** Options per teacher (same order as the paths), over the shared ones. */
  perTeacher?: readonly TeacherSourceOptions[];
  /** Ensembles: each member's temperature when turned into probabilities (see EnsembleTeacher). */
  temperatures?: readonly number[];
}

/** Every `paths` entry as one teacher: itself when alone, else an ensemble in `mode`. */
export async function loadTeachers(
  paths: readonly string[],
  mode: EnsembleMode,
  opts: LoadTeachersOptions = {},
): Promise<Teacher> {
  if (paths.length === 0)
    throw new ConfigError("teacher", "at least one teacher file is needed (--teacher PATH)");
  const { perTeacher, temperatures, ...shared } = opts;
  if (perTeacher && perTeacher.length !== paths.length)
    throw new ConfigError(
      "teacher",
      `${perTeacher.length} sets of teacher options for ${paths.length} teachers`,
    );
  const teachers: Teacher[] = [];
  for (const [i, p] of paths.entries())
    teachers.push(await loadTeacher(p, { ...shared, ...perTeacher?.[i] }));
  return teachers.length === 1 ? teachers[0]! : new EnsembleTeacher(teachers, mode, { temperatures });
}

/** The teacher fields of a distillation config: one value for every teacher, or one per teacher separated by ";". */
export interface TeacherConfigFields {
  teacherOutput: string;
  teacherKind: string;
  teacherValue: string;
  teacherArch: string;
  obsNorm: string;
  teacherTemperature: string;
}

function perTeacherValues(field: string, text: string, count: number): string[] {
  if (text === "") return new Array<string>(count).fill("");
  const parts = text.split(";").map((s) => s.trim());
  if (parts.length === 1) return new Array<string>(count).fill(parts[0]!);
  if (parts.length !== count)
    throw new ConfigError(
      field,
      `"${text}" gives ${parts.length} values for ${count} teachers; give one, or one per teacher separated by ";"`,
    );
  return parts;
}

/** Per-teacher source options and ensemble temperatures from the config's teacher fields. */
export function teacherSourcesFromConfig(
  f: TeacherConfigFields,
  count: number,
): { perTeacher: TeacherSourceOptions[]; temperatures?: number[] } {
  const col = (field: keyof TeacherConfigFields) => perTeacherValues(field, f[field], count);
  const [output, kind, value, arch, obsNorm] = (
    ["teacherOutput", "teacherKind", "teacherValue", "teacherArch", "obsNorm"] as const
  ).map(col) as [string[], string[], string[], string[], string[]];
  for (const k of kind) if (k !== "") parseKindSpec(k);
  const perTeacher = output.map((_, i) => {
    const o: TeacherSourceOptions = {};
    if (output[i]) o.output = output[i];
    if (kind[i]) o.kind = kind[i];
    if (value[i]) o.value = value[i];
    if (arch[i]) o.arch = arch[i];
    if (obsNorm[i]) o.obsNorm = obsNorm[i];
    return o;
  });
  if (f.teacherTemperature === "") return { perTeacher };
  const temperatures = col("teacherTemperature").map((t) => Number(t));
  if (temperatures.some((t) => !(t > 0 && Number.isFinite(t))))
    throw new ConfigError("teacherTemperature", `expected numbers > 0, got "${f.teacherTemperature}"`);
  if (count < 2) throw new ConfigError("teacherTemperature", "applies to an ensemble (several --teacher)");
  return { perTeacher, temperatures };
}
