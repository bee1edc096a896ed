import { canStepInto, type Env, type Info } from "../../core/env.js";
import { ConfigError, checkNumber, ResetNeededError } from "../../core/errors.js";
import {
  type Box,
  type BoxValue,
  type Discrete,
  type MultiDiscrete,
  spacesEqual,
} from "../../core/spaces.js";
import {
  allocObs,
  checkActionBatch,
  checkNumEnvs,
  EMPTY_INFO,
  type FinalInfo,
  FinalObsBlocks,
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

export interface SyncVectorEnvOptions {
  /** Seed of the first `reset()` when it is called without one (sub-env i gets seed + i). */
  seed?: number;
}

/**
 * N envs stepped one after the other in this thread, with same-step auto-reset (see
 * `vector-env.ts`). The fastest choice for cheap envs such as classic control: no copies between
 * threads. The batch buffers are allocated once and overwritten by each step.
 */
export class SyncVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly envs: ReadonlyArray<Env<unknown, unknown>>;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Discrete | Box | MultiDiscrete;
  readonly obsSize: number;
  readonly obsDtype: VectorObsDtype;
  readonly actSize: number;
  private readonly obs: VectorObs;
  private readonly rewards: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly infos: Info[];
  private readonly finalObsBlocks: FinalObsBlocks;
  /** Per-env action arrays for Box / MultiDiscrete, reused each step. */
  private readonly actionBufs: Array<BoxValue | Int32Array>;
  private readonly discrete: boolean;
  /** Every sub-env writes its observation straight into the batch (`Env.stepInto`). */
  private readonly stepsInto: boolean;
  private pendingSeed: number | undefined;
  private needsReset = true;
  private closed = false;

  constructor(
    factory: (index: number) => Env<unknown, unknown>,
    numEnvs: number,
    opts: SyncVectorEnvOptions = {},
  ) {
    this.numEnvs = checkNumEnvs(numEnvs);
    if (typeof factory !== "function") throw new ConfigError("factory", "expected a function (index) => Env");
    this.pendingSeed =
      opts.seed === undefined ? undefined : checkNumber("seed", opts.seed, { integer: true });
    this.envs = Array.from({ length: numEnvs }, (_, i) => factory(i));
    const first = this.envs[0]!;
    const layout = vectorLayout(first.observationSpace, first.actionSpace, "SyncVectorEnv");
    this.envs.forEach((env, i) => {
      if (
        !spacesEqual(env.observationSpace, first.observationSpace) ||
        !spacesEqual(env.actionSpace, first.actionSpace)
      ) {
        throw new ConfigError("factory", `sub-env ${i} has other spaces than sub-env 0`);
      }
    });
    this.singleObservationSpace = layout.obsSpace;
    this.singleActionSpace = layout.actSpace;
    this.obsSize = layout.obsSize;
    this.obsDtype = layout.obsDtype;
    this.actSize = layout.actSize;
    this.discrete = layout.actSpace.type === "Discrete";
    const space = layout.actSpace;
    this.actionBufs = this.discrete
      ? []
      : this.envs.map(() => (space.type === "Box" ? space.alloc() : new Int32Array(this.actSize)));
    this.obs = allocObs(this.obsDtype, numEnvs * this.obsSize);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.infos = new Array(numEnvs).fill(EMPTY_INFO);
    this.finalObsBlocks = new FinalObsBlocks(this.obsDtype, this.obsSize);
    this.stepsInto = this.envs.every(canStepInto);
  }

  reset(opts: VectorResetOptions = {}): VectorResetResult {
    this.checkOpen();
    const seeds = subEnvSeeds(this.numEnvs, opts.seed ?? this.pendingSeed);
    this.pendingSeed = undefined;
    for (let i = 0; i < this.numEnvs; i++) {
      const { obs, info } = this.envs[i]!.reset({ seed: seeds[i], options: opts.options });
      this.writeObs(i, obs as ArrayLike<number>);
      this.infos[i] = info;
    }
    this.needsReset = false;
    return { obs: this.obs, infos: this.infos };
  }

  step(actions: VectorActions): VectorStepResult {
    this.checkOpen();
    if (this.needsReset) throw new ResetNeededError("SyncVectorEnv: call reset() before step()");
    checkActionBatch(actions, this.numEnvs, this.actSize);
    const d = this.actSize;
    // A sub-env that throws leaves the others half stepped: demand a reset before going on.
    this.needsReset = true;
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i]!;
      let action: unknown;
      if (this.discrete) action = actions[i];
      else {
        const buf = this.actionBufs[i]!;
        for (let k = 0; k < d; k++) buf[k] = actions[i * d + k]!;
        action = buf;
      }
      const off = i * this.obsSize;
      const r = this.stepsInto ? env.stepInto!(action, this.obs, off) : env.step(action);
      this.rewards[i] = r.reward;
      this.terminated[i] = r.terminated ? 1 : 0;
      this.truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        const finalObs = this.finalObsBlocks.obs();
        if (this.stepsInto) finalObs.set(this.obs.subarray(off, off + this.obsSize));
        else finalObs.set(r.obs as ArrayLike<number>);
        const next = env.reset();
        this.writeObs(i, next.obs as ArrayLike<number>);
        const info: FinalInfo = { ...next.info, finalObs, finalInfo: r.info };
        this.infos[i] = info;
      } else {
        if (!this.stepsInto) this.writeObs(i, r.obs as ArrayLike<number>);
        this.infos[i] = r.info;
      }
    }
    this.needsReset = false;
    return {
      obs: this.obs,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
      infos: this.infos,
    };
  }

  getStates(): number[][] {
    return this.envs.map((env, i) => {
      if (typeof env.getState !== "function") {
        throw new ConfigError(`envs[${i}]`, `${env.unwrapped.constructor.name} has no getState()`);
      }
      return env.getState();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const env of this.envs) env.close();
  }

  private writeObs(i: number, obs: ArrayLike<number>): void {
    const off = i * this.obsSize;
    // A typed array of the batch's own type copies as one memcpy; anything else converts per entry.
    if (obs.constructor === this.obs.constructor && obs.length === this.obsSize) {
      this.obs.set(obs as VectorObs, off);
    } else for (let k = 0; k < this.obsSize; k++) this.obs[off + k] = obs[k]!;
  }

  private checkOpen(): void {
    if (this.closed) throw new ResetNeededError("SyncVectorEnv: used after close()");
  }
}
