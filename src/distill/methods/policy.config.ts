/** The policy method's own config fields (see config-fields.ts for those every method shares). */
import type { MethodConfig } from "../config-fields.js";

export const POLICY_CONFIG = {
  method: "policy",
  replay: true,
  fields: {
    valueCoef: {
      type: "number",
      default: 0,
      min: 0,
      help: "value distillation: weight of the MSE between a student value head and the teacher's V(s) (actor-critic teachers) or Q(s, .) (Q teachers); 0 = off",
    },
  },
} as const satisfies MethodConfig;
