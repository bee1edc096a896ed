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
    criticGuideCoef: {
      type: "string",
      default: "0",
      help: "Gaussian (continuous) teachers saved with a Q critic (SAC, TD3 agents), loss mean-mse: weight alpha of a critic-guided term as in TD3+BC's actor objective (Fujimoto & Gu 2021; they used 2.5): loss = mean-mse - lambda * mean Q1_teacher(s, clip(student mean)), lambda = alpha / mean |Q1| of the batch (not differentiated), so the student's errors are pushed towards the actions the teacher's fixed critic values more. A constant (0.5) or a schedule like beta's (piecewise:0=0,0.5=0,1=1 to turn it on late); >= 0; 0 = off",
    },
    valueCoef: {
      type: "number",
      default: 0,
      min: 0,
      help: "value distillation: weight of the MSE between a student value head and the teacher's V(s) (actor-critic teachers) or Q(s, .) (Q teachers); 0 = off",
    },
  },
} as const satisfies MethodConfig;
