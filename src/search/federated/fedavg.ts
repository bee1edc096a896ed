/** The server's aggregation in weight mode (McMahan et al. 2017). */
import { ConfigError } from "../../core/errors.js";
import type { StudentWeights } from "../trial.js";

/** Sample-weighted mean of the clients' weights (FedAvg). */
export function fedAvg(updates: Array<{ samples: number; weights: StudentWeights }>): StudentWeights {
  const total = updates.reduce((t, u) => t + u.samples, 0);
  if (!(total > 0)) throw new ConfigError("updates", "FedAvg needs at least one update with samples > 0");
  const avg = (pick: (w: StudentWeights) => number[]) => {
    const out = new Array<number>(pick(updates[0]!.weights).length).fill(0);
    for (const u of updates) {
      const a = pick(u.weights);
      if (a.length !== out.length)
        throw new ConfigError("updates", "clients sent weights of different shapes");
      const f = u.samples / total;
      for (let i = 0; i < a.length; i++) out[i]! += f * a[i]!;
    }
    // The global model is float32, like every student.
    return Array.from(Float32Array.from(out));
  };
  const first = updates[0]!.weights;
  const w: StudentWeights = {
    layers: first.layers.map((_, li) => ({
      weight: avg((w) => w.layers[li]!.weight),
      bias: avg((w) => w.layers[li]!.bias),
    })),
  };
  if (first.logStd) w.logStd = avg((w) => w.logStd!);
  return w;
}
