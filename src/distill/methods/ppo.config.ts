/** DistilledPPO's own config fields (see config-fields.ts for those every method shares). */
import { ALPHA_FIELD, GAMMA_FIELD, type MethodConfig } from "../config-fields.js";

export const PPO_CONFIG = {
  method: "ppo",
  replay: false,
  fields: {
    alpha: ALPHA_FIELD,
    ppoSteps: { type: "integer", default: 128, min: 1, help: "rollout length per env" },
    ppoEpochs: { type: "integer", default: 4, min: 1, help: "epochs per rollout" },
    ppoMinibatches: { type: "integer", default: 4, min: 1, help: "minibatches per epoch" },
    clipRange: { type: "number", default: 0.2, min: 0, exclusiveMin: true, help: "PPO ratio clip" },
    entCoef: { type: "number", default: 0, min: 0, help: "entropy bonus of the PPO loss" },
    vfCoef: {
      type: "number",
      default: 0.5,
      min: 0,
      help: "weight of the critic's loss (on GAE returns) in the PPO loss",
    },
    gamma: GAMMA_FIELD,
    gaeLambda: { type: "number", default: 0.95, min: 0, max: 1, help: "GAE lambda" },
  },
} as const satisfies MethodConfig;
