/** The distillation methods by `method` name (each file beside this one declares its config). */
import type { DistillMethod } from "../config.js";
import type { DistillerFactory } from "../loop.js";
import { attentionDistiller } from "./attention.js";
import { dqnDistiller } from "./dqn.js";
import { featureDistiller } from "./feature.js";
import { policyDistiller } from "./policy.js";
import { ppoDistiller } from "./ppo.js";
import { residualDistiller } from "./residual.js";

/** Distillers by `method`. */
export const DISTILLERS: Record<DistillMethod, DistillerFactory> = {
  policy: policyDistiller,
  ppo: ppoDistiller,
  dqn: dqnDistiller,
  feature: featureDistiller,
  residual: residualDistiller,
  attention: attentionDistiller,
};
