/**
 * What a distillation run decides from its config and its teacher before it trains: the
 * distillation weight alpha (a schedule, or QDagger / dynamic weights fed by evaluations), whether
 * the tempered loss is scaled by tau^2, and the notes and warnings about the teacher it prints.
 */
import { scheduleRange } from "../core/schedules.js";
import { ADAPTIVE_ALPHAS, type DistillConfig } from "./config.js";
import { parseSchedule } from "./schedules.js";
import type { Teacher } from "./teacher.js";
import { type DistillWeight, DynamicDistillWeight, QDaggerWeight } from "./weights.js";

/** alpha: a schedule string, or "qdagger" / "dynamic" weights updated at every evaluation. */
export function alphaOf(
  cfg: DistillConfig,
  teacherReturn: number,
  randomReturn: number,
): { alpha: (p: number) => number; weight?: DistillWeight } {
  if (cfg.alpha === "qdagger") {
    const weight = new QDaggerWeight({
      teacherReturn,
      randomReturn: randomReturn < teacherReturn ? randomReturn : undefined,
    });
    return { alpha: () => weight.value, weight };
  }
  if (cfg.alpha === "dynamic") {
    const weight = new DynamicDistillWeight();
    return { alpha: () => weight.value, weight };
  }
  if (cfg.alpha === undefined) return { alpha: () => 1 }; // methods without an RL loss
  const s = parseSchedule(cfg.alpha, "alpha");
  return { alpha: (p) => s(p) };
}

/** Notes of the teacher and of each ensemble member (how ambiguous models were read). */
export function teacherNotes(t: Teacher): string[] {
  const own = (t.notes ?? []).map((n) => `${t.name}: ${n}`);
  const members = (t as { members?: readonly Teacher[] }).members ?? [];
  return [...own, ...members.flatMap(teacherNotes)];
}

/**
 * A teacher that does little better than random actions (or short of the env's reward threshold)
 * is usually a loading problem, most often observation normalisation the model was trained with
 * (VecNormalize) and was not given: distilling it would copy a broken policy.
 */
export function teacherWarning(
  teacher: { meanReturn: number; stdReturn: number },
  random: { meanReturn: number; stdReturn: number },
  rewardThreshold: number | undefined,
  hasObsNorm: boolean,
): string | undefined {
  const hint = hasObsNorm
    ? "check the teacher's output kind (--teacher-kind) and the --obs-norm statistics"
    : "if it was trained with VecNormalize, give its statistics with --obs-norm; check --teacher-kind too";
  const gap = teacher.meanReturn - random.meanReturn;
  const scale = Math.max(Math.abs(random.meanReturn), random.stdReturn, 1);
  if (gap < 0.1 * scale)
    return `the teacher's return ${teacher.meanReturn.toFixed(1)} is near a random policy's ${random.meanReturn.toFixed(1)}; ${hint}`;
  if (rewardThreshold !== undefined && teacher.meanReturn < 0.5 * rewardThreshold && rewardThreshold > 0)
    return `the teacher's return ${teacher.meanReturn.toFixed(1)} is far below the env's reward threshold ${rewardThreshold}; ${hint}`;
  return undefined;
}

/**
 * Whether the tempered policy loss is multiplied by tau^2 (Hinton et al. 2015): on when the method
 * mixes it with another term (so the KL's gradients, which shrink as 1/tau^2, keep their weight
 * against that term), off when it is the only term (there tau^2 is a learning-rate change), unless
 * `scaleByTauSquared` says true or false.
 */
export function scalesByTauSquared(cfg: DistillConfig): boolean {
  if (cfg.scaleByTauSquared !== "auto") return cfg.scaleByTauSquared === "true";
  const alphaBelowOne = () =>
    cfg.alpha !== undefined &&
    (ADAPTIVE_ALPHAS.includes(cfg.alpha) || scheduleRange(parseSchedule(cfg.alpha, "alpha"))[0] < 1);
  switch (cfg.method) {
    case "policy":
      return cfg.valueCoef > 0;
    case "ppo":
      return alphaBelowOne();
    case "dqn":
      return cfg.advantageCoef > 0 || cfg.stateValueCoef > 0 || alphaBelowOne();
    case "feature":
      return cfg.featureCoef > 0; // hints kept alongside the output loss after the stage
    case "attention":
      return true; // the policy loss always sits beside the attention-transfer term
    default:
      return false; // residual, feature without featureCoef: the output loss stands alone in its stage
  }
}
