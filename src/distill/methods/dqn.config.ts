/** Q-value distillation's own config fields (see config-fields.ts for those every method shares). */
import { ALPHA_FIELD, GAMMA_FIELD, type MethodConfig } from "../config-fields.js";

export const DQN_CONFIG = {
  method: "dqn",
  replay: true,
  fields: {
    alpha: ALPHA_FIELD,
    gamma: GAMMA_FIELD,
    advantageCoef: {
      type: "number",
      default: 0.5,
      min: 0,
      help: "dual target: weight of the MSE between student and teacher advantages A = Q - mean_a Q",
    },
    stateValueCoef: {
      type: "number",
      default: 0,
      min: 0,
      help: "dual target: weight of the MSE between student and teacher state values V = mean_a Q (the offset the softmax target cannot see)",
    },
    targetUpdate: {
      type: "integer",
      default: 500,
      min: 1,
      help: "gradient steps between target-network copies (TD mix, alpha < 1)",
    },
  },
} as const satisfies MethodConfig;
