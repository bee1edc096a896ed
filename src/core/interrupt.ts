/**
 * Stopping long work when asked (Ctrl-C), for every command and library call:
 *
 *   const stop = onInterrupt({ message: "interrupted: saving the student..." });
 *   try {
 *     for (...) {                         // a long loop
 *       await yieldIfDue();               // lets the event loop see SIGINT (every 5 ms)
 *       if (stop.signal.aborted) break;   // graceful: stop here, then save what there is
 *     }
 *     await evaluateSomething({ signal: stop.signal }); // abortable work throws InterruptedError
 *   } finally {
 *     stop.dispose();
 *   }
 *
 * The first Ctrl-C aborts `signal` (loops stop at their next safe point, save and return); a
 * second one exits at once with code 130 (`process.exit` runs the exit hooks that remove
 * temporary files and release run-folder locks, and every file was written atomically, so nothing
 * is left half-written).
 *
 * Why yield: a signal handler runs on the event loop, which a synchronous loop (or one that only
 * awaits settled promises) never reaches, so Ctrl-C would wait for the whole run. tsx goes further:
 * a child that does not acknowledge a relayed signal within 30 ms is sent it again, then killed.
 */
import { writeSync } from "node:fs";
import { RlDistillError } from "./errors.js";

/** Thrown by abortable work (evaluations) once a stop was asked for. Exit code 130. */
export class InterruptedError extends RlDistillError {
  constructor(message = "interrupted") {
    super(message);
    this.name = "InterruptedError";
  }
}

/** How often long loops hand the event loop a turn. */
export const YIELD_EVERY_MS = 5;

let lastYield = performance.now();

/**
 * Resolves after one turn of the event loop (setImmediate) when the last yield of this process is
 * more than YIELD_EVERY_MS old; undefined (nothing to await) otherwise. A few microseconds.
 */
export function yieldIfDue(): Promise<void> | undefined {
  const now = performance.now();
  if (now - lastYield <= YIELD_EVERY_MS) return undefined;
  lastYield = now;
  return new Promise((resolve) => setImmediate(resolve));
}

/** `yieldIfDue`, then throws InterruptedError when `signal` was aborted (for abortable loops). */
export async function checkInterrupt(signal?: AbortSignal): Promise<void> {
  const y = yieldIfDue();
  if (y) await y;
  if (signal?.aborted) throw interruptReason(signal);
}

/** The error an aborted signal stands for. */
export function interruptReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/** Writes a line to stdout (1) or stderr (2) synchronously: it survives an immediate exit. */
export function writeLineSync(fd: 1 | 2, line: string): void {
  try {
    writeSync(fd, `${line}\n`);
  } catch {
    // A closed pipe: nothing more can be said.
  }
}

export interface InterruptOptions {
  /** Printed (stderr) at the first Ctrl-C. */
  message?: string;
  /**
   * A second SIGINT closer than this to the first is taken as the same Ctrl-C (tsx relays a
   * signal a second time when the child's acknowledgement is late). Default 300 ms.
   */
  debounceMs?: number;
  /** The signals to handle. Default SIGINT and SIGTERM. */
  signals?: NodeJS.Signals[];
}

export interface InterruptHandle {
  /** Aborted at the first Ctrl-C (reason: an InterruptedError). */
  readonly signal: AbortSignal;
  /** Whether a stop was asked for. */
  readonly stopped: boolean;
  /** Removes the signal handlers. */
  dispose(): void;
}

/**
 * Ctrl-C handling for a long command: the first SIGINT (or SIGTERM) aborts `signal`, the second
 * exits at once with code 130. Commands of later areas (`search`, `federated`) use it the same way.
 */
export function onInterrupt(opts: InterruptOptions = {}): InterruptHandle {
  const controller = new AbortController();
  const debounce = opts.debounceMs ?? 300;
  const signals = opts.signals ?? ["SIGINT", "SIGTERM"];
  let first = 0;
  const handler = (sig: NodeJS.Signals) => {
    const now = performance.now();
    if (!controller.signal.aborted) {
      first = now;
      if (opts.message) writeLineSync(2, opts.message);
      controller.abort(new InterruptedError(`interrupted (${sig})`));
      return;
    }
    if (now - first < debounce) return;
    writeLineSync(2, "interrupted again: exiting now (files on disk are whole: each was written atomically)");
    process.exit(130);
  };
  for (const s of signals) process.on(s, handler);
  return {
    signal: controller.signal,
    get stopped() {
      return controller.signal.aborted;
    },
    dispose() {
      for (const s of signals) process.off(s, handler);
    },
  };
}
