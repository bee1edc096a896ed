/** `studentObsNorm`: the student's own frozen input statistics when its teacher has none. */
import type { Env } from "../core/env.js";
import { ConfigError } from "../core/errors.js";
import { type AnySpace, Box } from "../core/spaces.js";
import { collectStates } from "../eval/similarity.js";
import type { ObsNormSpec } from "../nn/spec.js";
import type { DistillConfig } from "./config.js";
import { obsStatistics } from "./crossmodal/stats.js";
import type { EnvFactory } from "./evaluation.js";
import { type Teacher, teacherPolicy } from "./teacher.js";

/**
 * `studentObsNorm`: input statistics for a student whose teacher has none (a SAC teacher trained on
 * raw MuJoCo observations, whose joint velocities run to +-10 while heights stay near 1): mean and
 * variance of `studentObsNorm` states of greedy teacher rollouts, frozen for the run and saved in
 * the student's spec. Deterministic for the run's seed, so a resumed run rebuilds the same ones.
 */
export function studentInputNorm(
  teacher: Teacher,
  makeEnv: EnvFactory,
  observationSpace: AnySpace,
  cfg: DistillConfig,
): ObsNormSpec | undefined {
  if (cfg.studentObsNorm === 0) return undefined;
  if (
    !(observationSpace instanceof Box) ||
    observationSpace.shape.length !== 1 ||
    observationSpace.dtype === "uint8"
  )
    throw new ConfigError(
      "studentObsNorm",
      `is for float vector observations; ${cfg.env}'s are ${JSON.stringify(observationSpace.toJSON())} (set 0)`,
    );
  const env = makeEnv(cfg.numEnvs) as Env;
  try {
    const states = collectStates(teacherPolicy(teacher), env, {
      steps: cfg.studentObsNorm,
      seed: cfg.seed,
      deterministic: true,
    });
    return obsStatistics(states.obs, states.count, states.obsSize);
  } finally {
    env.close();
  }
}
