/**
 * Mixing a distillation loss with the student's own RL loss, as in Kickstarting (Schmitt et al.
 * 2018) and QDagger (Agarwal et al. 2022), where the distillation weight decays as the student
 * catches up (see ../weights.ts and ../schedules.ts for where alpha comes from).
 */

import { checkNumber } from "../../core/errors.js";
import { tf } from "../../nn/backend.js";
import type { LossResult } from "./common.js";

function asResult(x: LossResult | tf.Scalar): LossResult {
  return x instanceof tf.Tensor ? { loss: x as tf.Scalar, metrics: {} } : x;
}

/**
 * L = alpha * L_distill + (1 - alpha) * L_RL, alpha in [0, 1]. The metrics of both parts are
 * kept under `distill/` and `rl/` with their unweighted losses as `distill/loss` and `rl/loss`.
 */
export function combineLosses(
  alpha: number,
  distill: LossResult | tf.Scalar,
  rl: LossResult | tf.Scalar,
): LossResult {
  checkNumber("alpha", alpha, { min: 0, max: 1 });
  const d = asResult(distill);
  const r = asResult(rl);
  const metrics: Record<string, tf.Scalar> = { "distill/loss": d.loss, "rl/loss": r.loss };
  for (const [k, v] of Object.entries(d.metrics)) metrics[`distill/${k}`] = v;
  for (const [k, v] of Object.entries(r.metrics)) metrics[`rl/${k}`] = v;
  const loss = tf.add(tf.mul(d.loss, alpha), tf.mul(r.loss, 1 - alpha)) as tf.Scalar;
  return { loss, metrics };
}
