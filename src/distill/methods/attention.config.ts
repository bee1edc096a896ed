/** Attention transfer's own config fields (see config-fields.ts for those every method shares). */
import type { MethodConfig } from "../config-fields.js";

export const ATTENTION_CONFIG = {
  method: "attention",
  replay: true,
  fields: {
    attentionLayers: {
      type: "string",
      default: "auto",
      help: "teacher conv layers whose spatial attention maps the student's conv layers match (conv0,conv1 or auto = all, paired from the output end; spatial sizes must match)",
    },
    attentionWeights: {
      type: "string",
      default: "",
      help: "per-layer weights beta, comma separated (default 1000 each, Zagoruyko and Komodakis's value for a loss averaged over positions)",
    },
    attentionP: {
      type: "integer",
      default: 2,
      min: 1,
      help: "exponent p of the map mean_c |F_c|^p",
    },
  },
} as const satisfies MethodConfig;
