/**
 * The flat config of a distillation run (`rldistill distill`, `distill()`): the fields every run
 * has (config-fields.ts), the replay fields of the methods that learn from teacher-labelled states,
 * and the fields the chosen method declares (methods/<method>.config.ts). Defaults are written
 * once there; `resolveDistillConfig` validates every value at the edge with errors that name the
 * field and what is allowed, and refuses a field of another method (naming the method it belongs
 * to). Per-env presets (presets/distill.json) sit between the defaults and the user's values:
 * defaults < preset < --config file < flags and --set.
 *
 * Schedules (`tau`, `alpha`, `beta`, `collectNoise`, `criticGuideCoef`) are strings: a constant ("0.7") or "start:end:shape"
 * ("5:1:linear"), parsed by src/core/schedules.ts, functions of training progress in [0, 1]; their
 * values are checked over the whole run (tau > 0, alpha and beta in [0, 1], collectNoise in [0, 2], criticGuideCoef >= 0).
 */
import {
  type ConfigOf,
  type ConfigSchema,
  describeSchema,
  parseAssignment,
  resolveConfig,
} from "../core/config.js";
import { ConfigError, describeValue } from "../core/errors.js";
import { loadPreset } from "../core/presets.js";
import { formatSchedule, parseSchedule, scheduleRange } from "../core/schedules.js";
import { formatArch, formatConv, parseArch, parseConvs } from "../nn/arch.js";
import {
  COMMON_FIELDS,
  DISTILL_METHODS,
  type DistillMethod,
  type MethodConfig,
  REPLAY_FIELDS,
} from "./config-fields.js";
import { parseWeights } from "./feature-pairs.js";
import { getLoss } from "./losses/registry.js";
import { ATTENTION_CONFIG } from "./methods/attention.config.js";
import { DQN_CONFIG } from "./methods/dqn.config.js";
import { FEATURE_CONFIG } from "./methods/feature.config.js";
import { POLICY_CONFIG } from "./methods/policy.config.js";
import { PPO_CONFIG } from "./methods/ppo.config.js";
import { RESIDUAL_CONFIG } from "./methods/residual.config.js";

export { DISTILL_METHODS, type DistillMethod } from "./config-fields.js";

/** Each method's declared config, by name. */
export const METHOD_CONFIGS: Record<DistillMethod, MethodConfig> = {
  policy: POLICY_CONFIG,
  ppo: PPO_CONFIG,
  dqn: DQN_CONFIG,
  feature: FEATURE_CONFIG,
  residual: RESIDUAL_CONFIG,
  attention: ATTENTION_CONFIG,
};

/** Every field of every method, for `--set` parsing (types) and the resolved config's type. */
export const DISTILL_SCHEMA = {
  ...COMMON_FIELDS,
  ...REPLAY_FIELDS,
  ...POLICY_CONFIG.fields,
  ...PPO_CONFIG.fields,
  ...DQN_CONFIG.fields,
  ...FEATURE_CONFIG.fields,
  ...RESIDUAL_CONFIG.fields,
  ...ATTENTION_CONFIG.fields,
} as const satisfies ConfigSchema;

/** alpha values that are not schedules: weights updated from evaluations (src/distill/weights.ts). */
export const ADAPTIVE_ALPHAS: readonly string[] = ["qdagger", "dynamic"];

/**
 * The resolved flat config. A run's object holds the common fields and those of its method only
 * (config.json shows exactly what the run used); the type lists every method's fields so each
 * method reads its own without casts.
 */
export type DistillHyper = ConfigOf<typeof DISTILL_SCHEMA>;

/** The student's architecture as one string ("conv8x3,fc32", "32,32"), as --student takes it. */
export function studentArch(cfg: Pick<DistillHyper, "student" | "studentConvs">): string {
  return formatArch({ convs: parseConvs(cfg.studentConvs, "studentConvs"), hidden: cfg.student });
}

/** Everything a run needs: the teachers' paths plus the flat schema fields. */
export interface DistillConfig extends DistillHyper {
  teachers: string[];
}

/** What `distill()` accepts: any subset of the config; `student` may be an architecture string ("conv8x3,fc32"). */
export type DistillInput = Omit<Partial<DistillConfig>, "student"> & { student?: number[] | string };

/** The schema of one method's run: common fields, replay fields if it uses the replay, its own. */
export function methodSchema(method: DistillMethod): ConfigSchema {
  const m = METHOD_CONFIGS[method];
  return { ...COMMON_FIELDS, ...(m.replay ? REPLAY_FIELDS : {}), ...m.fields };
}

/** Methods whose config declares `field`. */
function ownersOf(field: string): DistillMethod[] {
  return DISTILL_METHODS.filter((m) => field in methodSchema(m));
}

/** A schedule field's values must stay in [min, max] (or above min, exclusive) over the whole run. */
export function checkScheduleRange(
  field: string,
  text: string,
  range: { min: number; max?: number; exclusiveMin?: boolean; allowed: string },
): void {
  const s = parseSchedule(text, field);
  const [lo, hi] = scheduleRange(s);
  const low = range.exclusiveMin ? !(lo > range.min) : lo < range.min;
  if (low || (range.max !== undefined && hi > range.max)) {
    throw new ConfigError(
      field,
      `${JSON.stringify(text)} takes values from ${lo} to ${hi} over the run (${formatSchedule(s)}); allowed: ${range.allowed}`,
    );
  }
}

/** Checks what the schema cannot: the teacher list, the loss name, schedules and their ranges. */
function checkCross(cfg: DistillConfig): void {
  if (!Array.isArray(cfg.teachers) || cfg.teachers.length === 0) {
    throw new ConfigError("teacher", "at least one teacher file is needed (--teacher PATH)");
  }
  for (const [i, t] of cfg.teachers.entries()) {
    if (typeof t !== "string" || t === "")
      throw new ConfigError(`teacher[${i}]`, `expected a file path, got ${describeValue(t)}`);
  }
  if (cfg.env === "") throw new ConfigError("env", "required: the env id to distil on (--env CartPole-v1)");
  const loss = getLoss(cfg.loss, "loss");
  parseConvs(cfg.studentConvs, "studentConvs");
  if (cfg.student.length === 0 && cfg.studentConvs === "")
    throw new ConfigError("student", "needs at least one layer, e.g. 32,32 or conv8x3,fc32");
  if (cfg.scaleByTauSquared === "true" && !loss.options.includes("tau"))
    throw new ConfigError(
      "scaleByTauSquared",
      `loss ${cfg.loss} takes no temperature; tau^2 scaling applies to tempered losses (kl, reverse-kl, js)`,
    );
  checkScheduleRange("tau", cfg.tau, { min: 0, exclusiveMin: true, allowed: "a temperature > 0 throughout" });
  if (cfg.beta !== undefined)
    checkScheduleRange("beta", cfg.beta, { min: 0, max: 1, allowed: "a probability in [0, 1] throughout" });
  if (cfg.collectNoise !== undefined)
    checkScheduleRange("collectNoise", cfg.collectNoise, {
      min: 0,
      max: 2,
      allowed: "a std in [0, 2] half-ranges throughout (0 = off)",
    });
  if (cfg.criticGuideCoef !== undefined)
    checkScheduleRange("criticGuideCoef", cfg.criticGuideCoef, {
      min: 0,
      allowed: "a weight >= 0 throughout (0 = off)",
    });
  if (cfg.lrSchedule !== undefined)
    checkScheduleRange("lrSchedule", cfg.lrSchedule, {
      min: 0,
      max: 1,
      allowed: "a factor in [0, 1] on learningRate throughout",
    });
  if (cfg.alpha !== undefined && !ADAPTIVE_ALPHAS.includes(cfg.alpha))
    checkScheduleRange("alpha", cfg.alpha, {
      min: 0,
      max: 1,
      allowed: `a weight in [0, 1] throughout, or ${ADAPTIVE_ALPHAS.join(" / ")}`,
    });
  if (cfg.featureWeights !== undefined) parseWeights(cfg.featureWeights, "featureWeights");
  if (cfg.attentionWeights !== undefined) parseWeights(cfg.attentionWeights, "attentionWeights");
  if (cfg.quantizeAwareStart > 0 && !cfg.quantizeAware)
    throw new ConfigError("quantizeAwareStart", "applies only with quantizeAware=true (--quantize-aware)");
}

/**
 * Resolves a config from layers, later ones winning: schema defaults, then the env's preset
 * (presets/distill.json), then each given object. Unknown keys, fields of another method, bad
 * values, unknown losses and schedules out of range throw a ConfigError naming the field.
 */
export function resolveDistillConfig(
  ...layers: Array<DistillInput | Record<string, unknown>>
): DistillConfig {
  const merged: Record<string, unknown> = {};
  for (const l of layers) for (const [k, v] of Object.entries(l)) if (v !== undefined) merged[k] = v;
  const { teachers, ...rest } = merged as { teachers?: unknown } & Record<string, unknown>;
  // An architecture string sets both fields: "conv8x3,fc32" -> student [32], studentConvs "conv8x3".
  if (typeof rest.student === "string") {
    const arch = parseArch(rest.student, "student");
    rest.student = arch.hidden;
    rest.studentConvs = arch.convs.map(formatConv).join(",");
  }
  // studentDeterministic was a boolean before it took "auto": callers' true / false keep working.
  if (typeof rest.studentDeterministic === "boolean")
    rest.studentDeterministic = String(rest.studentDeterministic);
  const env = typeof rest.env === "string" ? rest.env : "";
  const preset = env ? loadPreset("distill", env, DISTILL_SCHEMA).config : {};
  const method = resolveConfig(
    { method: COMMON_FIELDS.method },
    { method: rest.method ?? preset.method },
    "distill",
  ).method;
  const schema = methodSchema(method as DistillMethod);
  // A preset is per env, not per method: it applies the fields the chosen method has.
  const given = { ...Object.fromEntries(Object.entries(preset).filter(([k]) => k in schema)), ...rest };
  for (const key of Object.keys(rest)) {
    if (key in schema || !(key in DISTILL_SCHEMA)) continue;
    throw new ConfigError(
      `distill.${key}`,
      `is a field of method ${ownersOf(key).join(" / ")}, not of ${method} (its fields: distill --help)`,
    );
  }
  const hyper = resolveConfig(schema, given, "distill") as unknown as DistillHyper;
  const cfg: DistillConfig = { ...hyper, teachers: (teachers as string[] | undefined) ?? [] };
  if (cfg.out === "") cfg.out = `runs/distill-${cfg.env}-${cfg.method}-s${cfg.seed}`;
  checkCross(cfg);
  return cfg;
}

/** `--set key=value` for the distillation schema. */
export function parseDistillAssignment(assignment: string): [string, unknown] {
  return parseAssignment(DISTILL_SCHEMA, assignment, "distill");
}

/** The field lists for `--help`: common and replay fields, then each method's own. */
export function describeDistillFields(preset: Record<string, unknown> = {}, presetName = "preset"): string {
  const parts = [
    "Fields of every run:",
    describeSchema(COMMON_FIELDS, preset, presetName),
    "",
    "Collection and replay (methods policy, dqn, feature, residual, attention):",
    describeSchema(REPLAY_FIELDS, preset, presetName),
  ];
  for (const m of DISTILL_METHODS)
    parts.push("", `Method ${m}:`, describeSchema(METHOD_CONFIGS[m].fields, preset, presetName));
  return parts.join("\n");
}
