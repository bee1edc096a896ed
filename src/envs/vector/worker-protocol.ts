/**
 * The protocol between `WorkerVectorEnv` and its workers. Each worker owns a block of `STRIDE`
 * int32 slots in one shared control array (a 64-byte block, so workers do not share a cache line):
 * the main thread bumps SEQ after writing CMD; the worker runs the command, writes STATUS, then
 * sets DONE to that SEQ. Bulk data (actions, obs, rewards, flags, final obs, episode statistics)
 * lives in shared arrays; rare, variable-size data (seeds, states, errors) goes as messages read
 * synchronously with `receiveMessageOnPort`, posted before DONE is set.
 */
import type { MakeOptions } from "../registry.js";

export const STRIDE = 16;
export const SEQ = 0;
export const CMD = 1;
export const DONE = 2;
export const STATUS = 3;

export const Cmd = { attach: 1, reset: 2, step: 3, getStates: 4, close: 5 } as const;
export const Status = { ok: 0, error: 1 } as const;

/** What each worker receives at start. Everything must be structured-cloneable. */
export interface WorkerInit {
  control: SharedArrayBuffer;
  worker: number;
  /** Global indices of this worker's sub-envs. */
  first: number;
  count: number;
  envId?: string;
  kwargs: Record<string, unknown>;
  makeOptions: MakeOptions;
  module?: string;
  exportName?: string;
}

export interface SharedBuffers {
  actions: SharedArrayBuffer;
  obs: SharedArrayBuffer;
  rewards: SharedArrayBuffer;
  terminated: SharedArrayBuffer;
  truncated: SharedArrayBuffer;
  /** 1 where the sub-env ended in the last step (finalObs / episode are valid). */
  ended: SharedArrayBuffer;
  finalObs: SharedArrayBuffer;
  /** Three float64 per sub-env: return, length, seconds, as RecordEpisodeStatistics. */
  episode: SharedArrayBuffer;
}

export interface WorkerError {
  name: string;
  message: string;
  field?: string;
}

export type WorkerReply =
  | { kind: "ready"; observationSpace: unknown; actionSpace: unknown }
  | { kind: "states"; states: number[][] }
  | { kind: "error"; error: WorkerError };
