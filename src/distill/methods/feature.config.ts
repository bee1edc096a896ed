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
    featureCoef: {
      type: "number",
      default: 0,
      min: 0,
      help: "weight of the feature loss kept alongside the policy loss after featureStage (0 = FitNets: outputs alone; featureStage=0 featureCoef=1 = KL + features from the start)",
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
