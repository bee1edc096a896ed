/** The code each worker of WorkerVectorEnv starts with, and the worker errors rebuilt in this thread. */
import { ConfigError, InvalidActionError, ResetNeededError, RlDistillError } from "../../core/errors.js";
import { workerEntryImport } from "../../core/worker-import.js";
import { DONE, STATUS, STRIDE, Status, type WorkerError } from "./worker-protocol.js";

/** The worker error as the same error class in this thread. */
export function rebuildError(e: WorkerError, worker: number): Error {
  const where = `(in worker ${worker}) `;
  switch (e.name) {
    case "ConfigError":
      return new ConfigError(e.field ?? "worker", `${where}${e.message.replace(`${e.field}: `, "")}`);
    case "InvalidActionError":
      return new InvalidActionError(where + e.message);
    case "ResetNeededError":
      return new ResetNeededError(where + e.message);
    default:
      return new RlDistillError(`${where}${e.name}: ${e.message}`);
  }
}

/**
 * A small CommonJS bootstrap evaluated in each worker: it imports worker-entry.js (compiled
 * package) or worker-entry.ts (running from sources: vitest, tsx). A failed import is reported
 * through the control array, so the constructor throws at once instead of waiting for its timeout.
 * From sources the bootstrap first registers tsx (a devDependency) in the worker itself: on Node 20,
 * `--import tsx` in a worker's execArgv does not make the worker's imports of .ts files work.
 */
export function bootstrapCode(): string {
  const load = workerEntryImport(import.meta.url, "worker-entry");
  return `
const { workerData } = require("node:worker_threads");
${load}.catch((e) => {
  const control = new Int32Array(workerData.control);
  const base = workerData.worker * ${STRIDE};
  const message = "worker failed to load: " + (e && e.message ? e.message : String(e));
  workerData.port.postMessage({ kind: "error", error: { name: "RlDistillError", message } });
  Atomics.store(control, base + ${STATUS}, ${Status.error});
  Atomics.store(control, base + ${DONE}, 1);
  Atomics.notify(control, base + ${DONE});
});
`;
}
