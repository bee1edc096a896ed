import { availableParallelism } from "node:os";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { Info } from "../../core/env.js";
import { ConfigError, checkNumber, ResetNeededError, RlDistillError } from "../../core/errors.js";
import {
  type Box,
  type Discrete,
  type MultiDiscrete,
  type SpaceJSON,
  spaceFromJSON,
  spacesEqual,
} from "../../core/spaces.js";
import type { MakeOptions } from "../registry.js";
import {
  allocObs,
  checkActionBatch,
  checkNumEnvs,
  EMPTY_INFO,
  type FinalInfo,
  FinalObsBlocks,
  obsBytes,
  subEnvSeeds,
  type VectorActions,
  type VectorEnv,
  type VectorObs,
  type VectorObsDtype,
  type VectorResetOptions,
  type VectorResetResult,
  type VectorStepResult,
  vectorLayout,
} from "./vector-env.js";
import { bootstrapCode, rebuildError } from "./worker-bootstrap.js";
import {
  CMD,
  Cmd,
  DONE,
  SEQ,
  type SharedBuffers,
  STATUS,
  STRIDE,
  Status,
  type WorkerInit,
  type WorkerReply,
} from "./worker-protocol.js";

export interface WorkerVectorEnvOptions {
  /** Registered env id; each worker builds its sub-envs with `make(envId, kwargs, makeOptions)`. */
  envId?: string;
  /** Passed to make() or to the factory. Must be structured-cloneable (no functions). */
  kwargs?: Record<string, unknown>;
  /** JSON-able make() options (maxEpisodeSteps, disableActionCheck). */
  makeOptions?: MakeOptions;
  /**
   * An ES module (file path or URL) each worker imports first: to register custom envs (then give
   * `envId`), or, with `exportName`, to provide a factory `(index, kwargs) => Env` used instead of make().
   */
  module?: string;
  exportName?: string;
  /** Threads to spread the sub-envs over. Default min(numEnvs, available cores). */
  numWorkers?: number;
  /** Seed of the first `reset()` when it is called without one (sub-env i gets seed + i). */
  seed?: number;
  /** Longest wait for the workers on any call (startup included), ms. Default 60000. */
  timeoutMs?: number;
}

/**
 * The `VectorEnv` interface with the sub-envs in worker threads, for envs whose step is expensive.
 * `step()` stays synchronous: the main thread writes the actions into shared memory, wakes the
 * workers with `Atomics.notify` and blocks in `Atomics.wait` until they have written observations,
 * rewards and flags back. Same-step auto-reset as `SyncVectorEnv`, and the same trajectories for
 * the same seed and actions.
 *
 * Limits, because only flat numbers cross the threads:
 * - observations cross as float32 (as uint8 for uint8 Box observations); sub-env infos do not cross: `infos[i]` is empty, except
 *   where sub-env i ended: `{ finalObs, finalInfo: { episode: { r, l, t } } }`, the episode
 *   statistics being computed in the worker as `RecordEpisodeStatistics` would;
 * - sub-envs are built in the workers from `envId` + kwargs or from a module factory: wrapper
 *   functions cannot be passed (wrap inside the factory module instead);
 * - custom envs registered in the main thread are unknown to the workers: register them in `module`.
 * Call `close()` to stop the workers (they are unref'd, so a forgotten close does not hang exit).
 */
export class WorkerVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly numWorkers: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Discrete | Box | MultiDiscrete;
  readonly obsSize: number;
  readonly obsDtype: VectorObsDtype;
  readonly actSize: number;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly control: Int32Array;
  private readonly seqs: number[];
  private readonly timeoutMs: number;
  private readonly shared: {
    actions: Float64Array;
    obs: VectorObs;
    rewards: Float64Array;
    terminated: Uint8Array;
    truncated: Uint8Array;
    ended: Uint8Array;
    finalObs: VectorObs;
    episode: Float64Array;
  };
  private readonly obs: VectorObs;
  private readonly rewards: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly infos: Info[];
  private readonly finalObsBlocks: FinalObsBlocks;
  private pendingSeed: number | undefined;
  private needsReset = true;
  private closed = false;

  constructor(numEnvs: number, opts: WorkerVectorEnvOptions) {
    this.numEnvs = checkNumEnvs(numEnvs);
    if (!opts?.envId && !(opts?.module && opts.exportName)) {
      throw new ConfigError("WorkerVectorEnv.envId", "give envId, or module + exportName of an env factory");
    }
    this.numWorkers = checkNumber(
      "WorkerVectorEnv.numWorkers",
      opts.numWorkers ?? Math.min(numEnvs, availableParallelism()),
      {
        integer: true,
        min: 1,
        max: numEnvs,
      },
    );
    this.timeoutMs = checkNumber("WorkerVectorEnv.timeoutMs", opts.timeoutMs ?? 60_000, { positive: true });
    this.pendingSeed =
      opts.seed === undefined ? undefined : checkNumber("seed", opts.seed, { integer: true });
    this.control = new Int32Array(new SharedArrayBuffer(this.numWorkers * STRIDE * 4));
    this.seqs = new Array(this.numWorkers).fill(1);
    const code = bootstrapCode();
    const per = Math.floor(numEnvs / this.numWorkers);
    const extra = numEnvs % this.numWorkers;
    let first = 0;
    for (let w = 0; w < this.numWorkers; w++) {
      const count = per + (w < extra ? 1 : 0);
      const { port1, port2 } = new MessageChannel();
      Atomics.store(this.control, w * STRIDE + SEQ, 1);
      const init: WorkerInit & { port: MessagePort } = {
        control: this.control.buffer as SharedArrayBuffer,
        worker: w,
        first,
        count,
        envId: opts.envId,
        kwargs: opts.kwargs ?? {},
        makeOptions: opts.makeOptions ?? {},
        module: opts.module,
        exportName: opts.exportName,
        port: port2,
      };
      const worker = new Worker(code, { eval: true, workerData: init, transferList: [port2] });
      worker.unref();
      this.workers.push(worker);
      this.ports.push(port1);
      first += count;
    }

    let spaces: { observationSpace: SpaceJSON; actionSpace: SpaceJSON } | undefined;
    try {
      this.await("start");
      for (let w = 0; w < this.numWorkers; w++) {
        const reply = this.reply(w);
        if (reply?.kind !== "ready") throw new RlDistillError(`WorkerVectorEnv: worker ${w} did not start`);
        const got = {
          observationSpace: reply.observationSpace as SpaceJSON,
          actionSpace: reply.actionSpace as SpaceJSON,
        };
        if (
          spaces &&
          !spacesEqual(spaceFromJSON(got.observationSpace), spaceFromJSON(spaces.observationSpace))
        ) {
          throw new ConfigError("WorkerVectorEnv", `worker ${w}'s envs have other spaces than worker 0's`);
        }
        spaces ??= got;
      }
    } catch (e) {
      this.terminate();
      throw e;
    }
    const layout = vectorLayout(
      spaceFromJSON(spaces!.observationSpace),
      spaceFromJSON(spaces!.actionSpace),
      "WorkerVectorEnv",
    );
    this.singleObservationSpace = layout.obsSpace;
    this.singleActionSpace = layout.actSpace;
    this.obsSize = layout.obsSize;
    this.obsDtype = layout.obsDtype;
    this.actSize = layout.actSize;

    const n = numEnvs;
    const obsBytesTotal = n * this.obsSize * obsBytes(this.obsDtype);
    const sab = (bytes: number) => new SharedArrayBuffer(bytes);
    const buffers: SharedBuffers = {
      actions: sab(n * this.actSize * 8),
      obs: sab(obsBytesTotal),
      rewards: sab(n * 8),
      terminated: sab(n),
      truncated: sab(n),
      ended: sab(n),
      finalObs: sab(obsBytesTotal),
      episode: sab(n * 3 * 8),
    };
    this.shared = {
      actions: new Float64Array(buffers.actions),
      obs: allocObs(this.obsDtype, n * this.obsSize, buffers.obs),
      rewards: new Float64Array(buffers.rewards),
      terminated: new Uint8Array(buffers.terminated),
      truncated: new Uint8Array(buffers.truncated),
      ended: new Uint8Array(buffers.ended),
      finalObs: allocObs(this.obsDtype, n * this.obsSize, buffers.finalObs),
      episode: new Float64Array(buffers.episode),
    };
    this.obs = allocObs(this.obsDtype, n * this.obsSize);
    this.rewards = new Float64Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.infos = new Array(n).fill(EMPTY_INFO);
    this.finalObsBlocks = new FinalObsBlocks(this.obsDtype, this.obsSize);
    for (const port of this.ports) port.postMessage(buffers);
    this.command(Cmd.attach);
  }

  reset(opts: VectorResetOptions = {}): VectorResetResult {
    this.checkOpen();
    const seeds = subEnvSeeds(this.numEnvs, opts.seed ?? this.pendingSeed);
    this.pendingSeed = undefined;
    for (const port of this.ports) port.postMessage({ seeds, options: opts.options });
    this.needsReset = true;
    this.command(Cmd.reset);
    this.needsReset = false;
    this.copyObs();
    this.infos.fill(EMPTY_INFO);
    return { obs: this.obs, infos: this.infos };
  }

  step(actions: VectorActions): VectorStepResult {
    this.checkOpen();
    if (this.needsReset) throw new ResetNeededError("WorkerVectorEnv: call reset() before step()");
    checkActionBatch(actions, this.numEnvs, this.actSize);
    const shared = this.shared;
    for (let k = 0; k < actions.length; k++) shared.actions[k] = actions[k]!;
    this.needsReset = true;
    this.command(Cmd.step);
    this.needsReset = false;
    this.copyObs();
    this.rewards.set(shared.rewards);
    this.terminated.set(shared.terminated);
    this.truncated.set(shared.truncated);
    const o = this.obsSize;
    for (let i = 0; i < this.numEnvs; i++) {
      if (shared.ended[i] === 0) {
        this.infos[i] = EMPTY_INFO;
        continue;
      }
      const info: FinalInfo = {
        finalObs: this.finalObsBlocks.copyOf(shared.finalObs, i * o),
        finalInfo: {
          episode: {
            r: shared.episode[3 * i]!,
            l: shared.episode[3 * i + 1]!,
            t: shared.episode[3 * i + 2]!,
          },
        },
      };
      this.infos[i] = info;
    }
    return {
      obs: this.obs,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
      infos: this.infos,
    };
  }

  getStates(): number[][] {
    this.checkOpen();
    this.command(Cmd.getStates);
    const states: number[][] = [];
    for (let w = 0; w < this.numWorkers; w++) {
      const reply = this.reply(w);
      if (reply?.kind !== "states") throw new RlDistillError(`WorkerVectorEnv: worker ${w} sent no states`);
      states.push(...reply.states);
    }
    return states;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.command(Cmd.close);
    } finally {
      this.terminate();
    }
  }

  /** The shared observations into this thread's batch: both are views of dtype `obsDtype` (one memcpy). */
  private copyObs(): void {
    const { obs } = this;
    const src = this.shared.obs;
    if (obs instanceof Uint8Array) obs.set(src as Uint8Array);
    else obs.set(src as Float32Array);
  }

  /** Sends `cmd` to every worker and waits for all of them; rethrows the first worker error. */
  private command(cmd: number): void {
    for (let w = 0; w < this.numWorkers; w++) {
      const b = w * STRIDE;
      Atomics.store(this.control, b + CMD, cmd);
      this.seqs[w] = this.seqs[w]! + 1;
      Atomics.store(this.control, b + SEQ, this.seqs[w]!);
      Atomics.notify(this.control, b + SEQ);
    }
    this.await(`command ${cmd}`);
  }

  /** Blocks until every worker has answered its current SEQ; throws the first worker error. */
  private await(what: string): void {
    const deadline = performance.now() + this.timeoutMs;
    for (let w = 0; w < this.numWorkers; w++) {
      const idx = w * STRIDE + DONE;
      for (;;) {
        const done = Atomics.load(this.control, idx);
        if (done === this.seqs[w]) break;
        const left = deadline - performance.now();
        if (left <= 0) {
          this.closed = true;
          this.terminate();
          throw new RlDistillError(
            `WorkerVectorEnv: worker ${w} did not answer (${what}) within ${this.timeoutMs} ms`,
          );
        }
        Atomics.wait(this.control, idx, done, left);
      }
    }
    for (let w = 0; w < this.numWorkers; w++) {
      if (Atomics.load(this.control, w * STRIDE + STATUS) === Status.error) {
        const reply = this.reply(w);
        // Drain the other workers' errors so they do not answer a later call.
        for (let v = w + 1; v < this.numWorkers; v++) {
          if (Atomics.load(this.control, v * STRIDE + STATUS) === Status.error) this.reply(v);
        }
        throw rebuildError(
          reply?.kind === "error" ? reply.error : { name: "Error", message: "unknown worker error" },
          w,
        );
      }
    }
  }

  private reply(w: number): WorkerReply | undefined {
    return receiveMessageOnPort(this.ports[w]!)?.message as WorkerReply | undefined;
  }

  private terminate(): void {
    for (const port of this.ports) port.close();
    for (const worker of this.workers) void worker.terminate();
  }

  private checkOpen(): void {
    if (this.closed) throw new ResetNeededError("WorkerVectorEnv: used after close()");
  }
}
