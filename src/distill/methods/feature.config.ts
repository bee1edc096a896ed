/** Feature distillation's own config fields (see config-fields.ts for those every method shares). */
import { FEATURE_LAYERS_FIELD, type MethodConfig } from "../config-fields.js";

export const FEATURE_CONFIG = {
  method: "feature",
  replay: true,
  fields: {
    featureLayers: FEATURE_LAYERS_FIELD,
    featureWeights: {
      type: "string",
      default: "",
      help: "per-layer weights, comma separated (default all 1)",
    },
    featureStage: {
      type: "number",
      default: 0.3,
      min: 0,
      max: 1,
      help: "fraction of training spent on features alone before the outputs are distilled",
    },
  },
} as const satisfies MethodConfig;
