/** The residual method's own config fields (see config-fields.ts for those every method shares). */
import { FEATURE_LAYERS_FIELD, type MethodConfig } from "../config-fields.js";

export const RESIDUAL_CONFIG = {
  method: "residual",
  replay: true,
  fields: {
    featureLayers: FEATURE_LAYERS_FIELD,
    adapterEnd: {
      type: "number",
      default: 0.6,
      min: 0,
      max: 1,
      exclusiveMin: true,
      help: "progress by which the teacher-feature adapter has been annealed to zero",
    },
  },
} as const satisfies MethodConfig;
