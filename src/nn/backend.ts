/**
 * The one place rldistill gets its tensor library from.
 *
 * Everything numeric imports `tf` from here (never from "@tensorflow/tfjs-core" directly), so
 * the backend set-up and the gradient registry below are always in force, and another backend
 * can be put in behind the same small op set (see gradients.ts for the differentiable ops).
 *
 * Backends: "wasm" (default, 5-50x faster than "cpu" for training here) and "cpu" (the pure-JS
 * reference, used by tests to cross-check wasm). The environment variable RLDISTILL_BACKEND
 * picks the default. The wasm backend is single-threaded under Node.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { ConfigError, describeValue } from "../core/errors.js";
import { registerGradients } from "./gradients.js";

export type { Rank, Scalar, Tensor, Tensor1D, Tensor2D, Tensor4D, Variable } from "@tensorflow/tfjs-core";
export { tf };

export type BackendName = "wasm" | "cpu";
export const BACKENDS: readonly BackendName[] = ["wasm", "cpu"];

let wasmPathsSet = false;
let current: BackendName | undefined;

function parseBackend(field: string, value: unknown): BackendName {
  if (value === "wasm" || value === "cpu") return value;
  throw new ConfigError(field, `unknown backend ${describeValue(value)}; allowed: ${BACKENDS.join(", ")}`);
}

/** The backend `initBackend()` picks without an argument: RLDISTILL_BACKEND, else "wasm". */
export function defaultBackend(): BackendName {
  const fromEnv = typeof process !== "undefined" ? process.env.RLDISTILL_BACKEND : undefined;
  return fromEnv ? parseBackend("RLDISTILL_BACKEND", fromEnv) : "wasm";
}

/**
 * Makes `name` the active backend (idempotent; switching is allowed, e.g. to compare wasm with
 * cpu in a test). Call it once before building models. Resolves to the active backend's name.
 */
export async function initBackend(name?: BackendName): Promise<BackendName> {
  const wanted = name === undefined ? defaultBackend() : parseBackend("backend", name);
  registerGradients();
  if (current === wanted && tf.getBackend() === wanted) return wanted;
  if (wanted === "wasm" && !wasmPathsSet) {
    // The .wasm binaries sit beside the package's main file; pointing at them explicitly keeps
    // loading independent of the caller's working directory and of bundlers.
    const require = createRequire(import.meta.url);
    const main = require.resolve("@tensorflow/tfjs-backend-wasm");
    setWasmPaths(path.dirname(main) + path.sep);
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend(wanted);
  if (!ok) throw new ConfigError("backend", `the ${wanted} backend failed to initialise`);
  await tf.ready();
  // The cpu backend prints an advert for tfjs-node (which cannot be installed here) on its first
  // tensor; it is the reference backend for checks, not a mistake worth a banner.
  if (wanted === "cpu") (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  current = wanted;
  return wanted;
}

/** The active backend, or undefined before `initBackend`. */
export function activeBackend(): BackendName | undefined {
  return current === undefined ? undefined : (tf.getBackend() as BackendName);
}
