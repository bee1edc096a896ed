/** The policy method's own config fields (see config-fields.ts for those every method shares). */
import type { MethodConfig } from "../config-fields.js";

export const POLICY_CONFIG = {
  method: "policy",
  replay: true,
  fields: {
    argmaxCoef: {
      type: "number",
      default: 0,
      min: 0,
      help: "discrete teachers: weight of a cross-entropy term on the teacher's greedy action (loss nll) added to the policy loss, so near-tied states are decided the teacher's way; 0 = off",
    },
    valueCoef: {
      type: "number",
      default: 0,
      min: 0,
      help: "value distillation: weight of the MSE between a student value head and the teacher's V(s) (actor-critic teachers) or Q(s, .) (Q teachers); 0 = off",
    },
  },
} as const satisfies MethodConfig;
