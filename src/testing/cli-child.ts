/**
 * The `rldistill` command line in a child process, for tests of what only a process shows: Ctrl-C,
 * exit codes, SIGKILL, two runs at once. The child is plain node with tsx as a loader (as the
 * installed bin runs in plain node): the `tsx` binary would add a parent that relays signals and
 * SIGKILLs a child whose acknowledgement is 60 ms late, which on a loaded machine made tests flaky.
 *
 *   const run = startCli(["distill", "--teacher", t, "--env", "CartPole-v1", "--out", dir]);
 *   await run.waitFor(() => progressRows(dir) >= 2);
 *   run.interrupt();                       // SIGINT to its process group, as a terminal's Ctrl-C
 *   const { code, stdout, msToExit } = await run.done;
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the first `interrupt()` to the exit, when interrupted. */
  msToExit?: number;
}

export interface CliChild {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** Resolves when `ready()` is true (polled every 50 ms); rejects after `timeoutMs` or if the child exits first. */
  waitFor(ready: () => boolean, timeoutMs?: number): Promise<void>;
  /** SIGINT to the child's process group (Ctrl-C). */
  interrupt(): void;
  kill(signal?: NodeJS.Signals): void;
}

export function startCli(args: string[], opts: { env?: Record<string, string> } = {}): CliChild {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so SIGINT goes to it as a terminal sends it
  });
  let out = "";
  let err = "";
  let firstInterrupt: number | undefined;
  let exited = false;
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    err += d;
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) => {
      exited = true;
      const r: CliResult = { code, signal, stdout: out, stderr: err };
      if (firstInterrupt !== undefined) r.msToExit = performance.now() - firstInterrupt;
      resolve(r);
    });
  });
  return {
    child,
    done,
    stdout: () => out,
    stderr: () => err,
    waitFor(ready, timeoutMs = 60_000) {
      const start = Date.now();
      return new Promise<void>((resolve, reject) => {
        const tick = () => {
          if (ready()) return resolve();
          if (exited) return reject(new Error(`the child exited before it was ready:\n${out}\n${err}`));
          if (Date.now() - start > timeoutMs) {
            child.kill("SIGKILL");
            return reject(new Error(`not ready after ${timeoutMs} ms:\n${out}\n${err}`));
          }
          setTimeout(tick, 50);
        };
        tick();
      });
    },
    interrupt() {
      firstInterrupt ??= performance.now();
      if (!exited) process.kill(-child.pid!, "SIGINT");
    },
    kill(signal = "SIGKILL") {
      if (!exited) process.kill(-child.pid!, signal);
    },
  };
}

/** Complete rows of a run folder's progress.jsonl (0 when absent). */
export function progressRows(dir: string): number {
  const path = join(dir, "progress.jsonl");
  if (!existsSync(path)) return 0;
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.endsWith("}")).length;
}
