/**
 * The base of the MuJoCo envs, as Gymnasium's `MujocoEnv`: a compiled model and its data, a
 * `frameSkip` of physics steps per env step (`dt = timestep * frameSkip`), `setState(qpos, qvel)`
 * followed by `mj_forward`, and `mj_rnePostConstraint` after stepping so contact forces
 * (`cfrc_ext`) are current.
 *
 * Subclasses give the model, the observation, the reward and termination, and the reset noise.
 * The internal state is `[...qpos, ...qvel]` (`getState()`); `reset({ options: { state } })` takes
 * that array or `{ qpos, qvel }`.
 */
import {
  applyResetSeed,
  checkResetOptions,
  type Env,
  type EnvSpec,
  type Info,
  type ResetOptions,
  type ResetResult,
  type RgbFrame,
  type StepResult,
} from "../../core/env.js";
import { ConfigError, describeValue, InvalidActionError, ResetNeededError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { Box } from "../../core/spaces.js";
import { drawScene, type View } from "./draw.js";
import type { KwargReader } from "./kwargs.js";
import { compileMjcf, type MainModule, type MjData, type MjModel, mujocoRuntime } from "./runtime.js";

export interface MujocoEnvSetup {
  /** Gymnasium's class name without "Env", for error messages ("Hopper"). */
  name: string;
  xml: string;
  /** Gymnasium's default `frame_skip`. */
  frameSkip: number;
  /** Observation size for the given kwargs. */
  obsSize: number;
  view: Omit<View, "followBody"> & { followBody?: string };
}

export abstract class MujocoEnv implements Env<Float32Array, Float32Array> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace: Box<Float32Array>;
  spec?: EnvSpec;

  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  /** Physics steps per env step. */
  readonly frameSkip: number;
  /** Seconds per env step: the model's timestep times `frameSkip`. */
  readonly dt: number;
  /** The model's reference configuration (Gymnasium's `init_qpos`) and zero velocities. */
  readonly initQpos: Float64Array;
  readonly initQvel: Float64Array;

  protected readonly name: string;
  protected readonly mj: MainModule;
  protected readonly model: MjModel;
  protected readonly data: MjData;
  protected readonly rng = new Rng(0);
  private readonly view: View;
  private hasState = false;
  private closed = false;

  constructor(setup: MujocoEnvSetup, kw: KwargReader) {
    this.name = setup.name;
    this.mj = mujocoRuntime(setup.name);
    this.frameSkip = kw.int("frameSkip", setup.frameSkip, { min: 1 });
    const frictionScale = kw.num("frictionScale", 1, { min: 0 });
    const massScale = kw.num("massScale", 1, { positive: true });
    const gravity = kw.raw("gravity") === undefined ? undefined : kw.num("gravity", 0);
    this.model = compileMjcf(this.mj, setup.name, setup.xml);
    this.data = new this.mj.MjData(this.model);
    // The reference configuration is read before mj_setConst, which leaves data.qpos elsewhere
    // (with massScale != 1 Hopper's reset height was 0.004 instead of 1.25: every episode ended at once).
    this.initQpos = Float64Array.from(this.data.qpos as Float64Array);
    this.initQvel = Float64Array.from(this.data.qvel as Float64Array);
    if (applyPhysics(this.model, frictionScale, massScale, gravity)) {
      // Constants derived from masses (subtree masses, inverse weights) are recomputed.
      this.mj.mj_setConst(this.model, this.data);
    }
    this.nq = this.model.nq;
    this.nv = this.model.nv;
    this.nu = this.model.nu;
    this.dt = this.model.opt.timestep * this.frameSkip;
    const ctrl = this.model.actuator_ctrlrange as Float64Array;
    const low = Array.from({ length: this.nu }, (_, i) => ctrl[2 * i]!);
    const high = Array.from({ length: this.nu }, (_, i) => ctrl[2 * i + 1]!);
    this.actionSpace = new Box<Float32Array>(low, high, { dtype: "float32" });
    this.observationSpace = new Box<Float32Array>(-Infinity, Infinity, {
      shape: [setup.obsSize],
      dtype: "float32",
    });
    const follow = setup.view.followBody === undefined ? -1 : this.bodyId(setup.view.followBody);
    this.view = { ...setup.view, followBody: follow };
  }

  get unwrapped(): this {
    return this;
  }

  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    this.checkOpen();
    applyResetSeed(this.name, this.rng, opts.seed);
    const options = checkResetOptions(this.name, opts.options, ["state"]);
    this.mj.mj_resetData(this.model, this.data);
    if (options["state"] !== undefined) {
      const { qpos, qvel } = this.readState(options["state"]);
      this.setState(qpos, qvel);
    } else {
      this.resetModel();
    }
    this.hasState = true;
    return { obs: this.observe(), info: this.resetInfo() };
  }

  step(action: Float32Array): StepResult<Float32Array> {
    this.checkOpen();
    if (!this.hasState) throw new ResetNeededError(`${this.name}: step() called before reset()`);
    if (!isActionLike(action, this.nu)) {
      throw new InvalidActionError(
        `${this.name}: action ${describeValue(action)} must be an array of ${this.nu} numbers`,
      );
    }
    return this.stepWith(action);
  }

  /** `[...qpos, ...qvel]` (Gymnasium's `state_vector()`). */
  getState(): number[] {
    return [...(this.data.qpos as Float64Array), ...(this.data.qvel as Float64Array)];
  }

  render(): RgbFrame {
    this.checkOpen();
    return drawScene(this.model, this.data, this.view);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.data.delete();
    this.model.delete();
  }

  /** The env step: simulate, observe, reward, terminate. */
  protected abstract stepWith(action: Float32Array): StepResult<Float32Array>;

  protected abstract observe(): Float32Array;

  /** Draws the random start (Gymnasium's `reset_model`) and calls `setState`. */
  protected abstract resetModel(): void;

  protected resetInfo(): Info {
    return {};
  }

  /** Sets the joint positions and velocities, then recomputes everything that derives from them. */
  protected setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    (this.data.qpos as Float64Array).set(qpos);
    (this.data.qvel as Float64Array).set(qvel);
    this.mj.mj_forward(this.model, this.data);
    this.mj.mj_rnePostConstraint(this.model, this.data);
  }

  /** Gymnasium's `do_simulation`: the action goes to `ctrl` (MuJoCo clamps it to ctrlrange). */
  protected doSimulation(action: ArrayLike<number>): void {
    (this.data.ctrl as Float64Array).set(action);
    for (let i = 0; i < this.frameSkip; i++) this.mj.mj_step(this.model, this.data);
    // Forces such as cfrc_ext are computed only on request (as Gymnasium does after each step).
    this.mj.mj_rnePostConstraint(this.model, this.data);
  }

  protected qpos(): Float64Array {
    return this.data.qpos as Float64Array;
  }

  protected qvel(): Float64Array {
    return this.data.qvel as Float64Array;
  }

  /** Uniform noise in [-scale, scale] around `base` (one draw per entry, in order). */
  protected uniformAround(base: Float64Array, scale: number): Float64Array {
    return base.map((v) => v + this.rng.uniform(-scale, scale));
  }

  /** Gaussian noise of std `scale` around `base`. */
  protected normalAround(base: Float64Array, scale: number): Float64Array {
    return base.map((v) => v + scale * this.rng.normal());
  }

  protected bodyId(name: string): number {
    const id = this.mj.mj_name2id(this.model, this.mj.mjtObj.mjOBJ_BODY.value, name);
    if (id < 0) throw new ConfigError(this.name, `the model has no body named "${name}"`);
    return id;
  }

  /** Sum of squares of the action (the control cost before its weight). */
  protected static squaredNorm(a: ArrayLike<number>): number {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
    return s;
  }

  private readState(state: unknown): { qpos: number[]; qvel: number[] } {
    const field = `${this.name}.reset.options.state`;
    const layout = `[...qpos (${this.nq}), ...qvel (${this.nv})] or { qpos, qvel }`;
    let qpos: unknown;
    let qvel: unknown;
    if (Array.isArray(state) || state instanceof Float64Array || state instanceof Float32Array) {
      if (state.length !== this.nq + this.nv) {
        throw new ConfigError(field, `expected ${this.nq + this.nv} numbers ${layout}, got ${state.length}`);
      }
      qpos = Array.from(state).slice(0, this.nq);
      qvel = Array.from(state).slice(this.nq);
    } else if (typeof state === "object" && state !== null) {
      ({ qpos, qvel } = state as { qpos?: unknown; qvel?: unknown });
    } else {
      throw new ConfigError(field, `expected ${layout}, got ${describeValue(state)}`);
    }
    return {
      qpos: this.readVector(`${field}.qpos`, qpos, this.nq),
      qvel: this.readVector(`${field}.qvel`, qvel, this.nv),
    };
  }

  private readVector(field: string, v: unknown, n: number): number[] {
    if (!(Array.isArray(v) || v instanceof Float64Array || v instanceof Float32Array) || v.length !== n) {
      throw new ConfigError(field, `expected an array of ${n} numbers, got ${describeValue(v)}`);
    }
    const out = Array.from(v as ArrayLike<unknown>);
    out.forEach((x, i) => {
      if (typeof x !== "number" || !Number.isFinite(x)) {
        throw new ConfigError(field, `entry ${i} must be a finite number, got ${describeValue(x)}`);
      }
    });
    return out as number[];
  }

  private checkOpen(): void {
    if (this.closed) throw new ResetNeededError(`${this.name}: the env is closed`);
  }
}

function isActionLike(a: unknown, n: number): a is Float32Array {
  if (!(a instanceof Float32Array || a instanceof Float64Array || Array.isArray(a)) || a.length !== n)
    return false;
  for (let i = 0; i < n; i++) if (typeof a[i] !== "number" || Number.isNaN(a[i])) return false;
  return true;
}

/** The physics kwargs, applied to the compiled model (the derived constants are refreshed after). */
function applyPhysics(
  model: MjModel,
  frictionScale: number,
  massScale: number,
  gravity: number | undefined,
): boolean {
  if (frictionScale !== 1) {
    const f = model.geom_friction as Float64Array;
    for (let i = 0; i < f.length; i++) f[i] = f[i]! * frictionScale;
  }
  if (massScale !== 1) {
    const m = model.body_mass as Float64Array;
    const inertia = model.body_inertia as Float64Array;
    for (let i = 0; i < m.length; i++) m[i] = m[i]! * massScale;
    for (let i = 0; i < inertia.length; i++) inertia[i] = inertia[i]! * massScale;
  }
  if (gravity !== undefined) (model.opt.gravity as Float64Array)[2] = -gravity;
  return massScale !== 1;
}
