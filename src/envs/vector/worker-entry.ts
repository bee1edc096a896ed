/**
 * The worker side of `WorkerVectorEnv` (see worker-protocol.ts). Builds its sub-envs, then blocks
 * in `Atomics.wait` between commands so a step costs no event-loop turn.
 */

import { pathToFileURL } from "node:url";
import { type MessagePort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { canStepInto, type Env } from "../../core/env.js";
import { ConfigError } from "../../core/errors.js";
import type { BoxValue } from "../../core/spaces.js";
import { allocObs, type VectorObs, type VectorObsDtype, vectorLayout } from "./vector-env.js";
import {
  CMD,
  Cmd,
  DONE,
  SEQ,
  type SharedBuffers,
  STATUS,
  STRIDE,
  Status,
  type WorkerError,
  type WorkerInit,
  type WorkerReply,
} from "./worker-protocol.js";

type Factory = (index: number, kwargs: Record<string, unknown>) => Env<unknown, unknown>;

const init = workerData as WorkerInit & { port: MessagePort };
const port = init.port;
const control = new Int32Array(init.control);
const base = init.worker * STRIDE;

function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

function toWorkerError(e: unknown): WorkerError {
  if (e instanceof Error) {
    return { name: e.name, message: e.message, field: e instanceof ConfigError ? e.field : undefined };
  }
  return { name: "Error", message: String(e) };
}

function finish(seq: number, status: number): void {
  Atomics.store(control, base + STATUS, status);
  Atomics.store(control, base + DONE, seq);
  Atomics.notify(control, base + DONE);
}

async function loadFactory(): Promise<Factory> {
  if (init.module) {
    const url = /^[a-z]+:/i.test(init.module) ? init.module : pathToFileURL(init.module).href;
    const mod = (await import(url)) as Record<string, unknown>;
    if (init.exportName) {
      const f = mod[init.exportName];
      if (typeof f !== "function") {
        throw new ConfigError("exportName", `${init.module} has no function export "${init.exportName}"`);
      }
      return f as Factory;
    }
  }
  if (!init.envId) throw new ConfigError("envId", "required unless module and exportName give a factory");
  const { make, prepareEnv } = await import("../registry.js");
  const id = init.envId;
  await prepareEnv(id);
  return (_i, kwargs) => make(id, kwargs, init.makeOptions);
}

class Runner {
  private readonly envs: Env<unknown, unknown>[];
  private actions!: Float64Array;
  private obs!: VectorObs;
  private rewards!: Float64Array;
  private terminated!: Uint8Array;
  private truncated!: Uint8Array;
  private ended!: Uint8Array;
  private finalObs!: VectorObs;
  private episode!: Float64Array;
  private readonly actionBufs: Array<BoxValue | Int32Array | undefined>;
  private readonly obsSize: number;
  /** Every env writes its observation straight into the shared batch (`Env.stepInto`). */
  private readonly stepsInto: boolean;
  private readonly obsDtype: VectorObsDtype;
  private readonly actSize: number;
  private readonly epReturn: Float64Array;
  private readonly epLength: Float64Array;
  private readonly epStart: Float64Array;

  constructor(envs: Env<unknown, unknown>[]) {
    this.envs = envs;
    const layout = vectorLayout(envs[0]!.observationSpace, envs[0]!.actionSpace, "WorkerVectorEnv");
    const space = layout.actSpace;
    this.obsSize = layout.obsSize;
    this.stepsInto = envs.every(canStepInto);
    this.obsDtype = layout.obsDtype;
    this.actSize = layout.actSize;
    this.actionBufs = envs.map(() =>
      space.type === "Box"
        ? space.alloc()
        : space.type === "MultiDiscrete"
          ? new Int32Array(this.actSize)
          : undefined,
    );
    const n = envs.length;
    this.epReturn = new Float64Array(n);
    this.epLength = new Float64Array(n);
    this.epStart = new Float64Array(n);
  }

  attach(b: SharedBuffers): void {
    this.actions = new Float64Array(b.actions);
    const total = b.obs.byteLength / (this.obsDtype === "uint8" ? 1 : 4);
    this.obs = allocObs(this.obsDtype, total, b.obs);
    this.rewards = new Float64Array(b.rewards);
    this.terminated = new Uint8Array(b.terminated);
    this.truncated = new Uint8Array(b.truncated);
    this.ended = new Uint8Array(b.ended);
    this.finalObs = allocObs(this.obsDtype, total, b.finalObs);
    this.episode = new Float64Array(b.episode);
  }

  reset(seeds: Array<number | undefined>, options: Record<string, unknown> | undefined): void {
    for (let j = 0; j < this.envs.length; j++) {
      const i = init.first + j;
      const { obs } = this.envs[j]!.reset({ seed: seeds[i], options });
      this.writeObs(this.obs, i, obs as ArrayLike<number>);
      this.startEpisode(j);
    }
  }

  step(): void {
    const d = this.actSize;
    for (let j = 0; j < this.envs.length; j++) {
      const i = init.first + j;
      const env = this.envs[j]!;
      let action: unknown;
      const buf = this.actionBufs[j];
      if (buf === undefined) action = this.actions[i];
      else {
        for (let k = 0; k < d; k++) buf[k] = this.actions[i * d + k]!;
        action = buf;
      }
      const off = i * this.obsSize;
      const r = this.stepsInto ? env.stepInto!(action, this.obs, off) : env.step(action);
      this.rewards[i] = r.reward;
      this.terminated[i] = r.terminated ? 1 : 0;
      this.truncated[i] = r.truncated ? 1 : 0;
      this.epReturn[j] = this.epReturn[j]! + r.reward;
      this.epLength[j] = this.epLength[j]! + 1;
      if (r.terminated || r.truncated) {
        this.ended[i] = 1;
        if (this.stepsInto) this.finalObs.set(this.obs.subarray(off, off + this.obsSize), off);
        else this.writeObs(this.finalObs, i, r.obs as ArrayLike<number>);
        this.episode[3 * i] = this.epReturn[j]!;
        this.episode[3 * i + 1] = this.epLength[j]!;
        this.episode[3 * i + 2] = Math.round((performance.now() - this.epStart[j]!) * 1000) / 1e6;
        this.writeObs(this.obs, i, env.reset().obs as ArrayLike<number>);
        this.startEpisode(j);
      } else {
        this.ended[i] = 0;
        if (!this.stepsInto) this.writeObs(this.obs, i, r.obs as ArrayLike<number>);
      }
    }
  }

  states(): number[][] {
    return this.envs.map((env, j) => {
      if (typeof env.getState !== "function") {
        throw new ConfigError(
          `envs[${init.first + j}]`,
          `${env.unwrapped.constructor.name} has no getState()`,
        );
      }
      return env.getState();
    });
  }

  close(): void {
    for (const env of this.envs) env.close();
  }

  private startEpisode(j: number): void {
    this.epReturn[j] = 0;
    this.epLength[j] = 0;
    this.epStart[j] = performance.now();
  }

  private writeObs(target: VectorObs, i: number, obs: ArrayLike<number>): void {
    const off = i * this.obsSize;
    if (obs.constructor === target.constructor && obs.length === this.obsSize)
      target.set(obs as VectorObs, off);
    else for (let k = 0; k < this.obsSize; k++) target[off + k] = obs[k]!;
  }
}

function nextMessage<T>(): T {
  const m = receiveMessageOnPort(port);
  if (!m) throw new Error("WorkerVectorEnv protocol: expected a message from the main thread");
  return m.message as T;
}

async function main(): Promise<void> {
  let runner: Runner;
  try {
    const factory = await loadFactory();
    const envs = Array.from({ length: init.count }, (_, j) => factory(init.first + j, { ...init.kwargs }));
    runner = new Runner(envs);
    post({
      kind: "ready",
      observationSpace: envs[0]!.observationSpace.toJSON(),
      actionSpace: envs[0]!.actionSpace.toJSON(),
    });
    finish(1, Status.ok);
  } catch (e) {
    post({ kind: "error", error: toWorkerError(e) });
    finish(1, Status.error);
    port.close();
    return;
  }
  let seq = 1;
  for (;;) {
    Atomics.wait(control, base + SEQ, seq);
    seq = Atomics.load(control, base + SEQ);
    const cmd = Atomics.load(control, base + CMD);
    let status: number = Status.ok;
    try {
      if (cmd === Cmd.step) runner.step();
      else if (cmd === Cmd.reset) {
        const m = nextMessage<{ seeds: Array<number | undefined>; options?: Record<string, unknown> }>();
        runner.reset(m.seeds, m.options);
      } else if (cmd === Cmd.attach) runner.attach(nextMessage<SharedBuffers>());
      else if (cmd === Cmd.getStates) post({ kind: "states", states: runner.states() });
      else if (cmd === Cmd.close) runner.close();
    } catch (e) {
      post({ kind: "error", error: toWorkerError(e) });
      status = Status.error;
    }
    finish(seq, status);
    if (cmd === Cmd.close) break;
  }
  port.close();
}

void main();
