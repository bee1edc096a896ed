/**
 * Soft-label federated distillation: instead of weights, the clients send their teachers' action
 * probabilities on a shared set of unlabelled states that the server holds (federated distillation
 * on public data: Li & Wang 2019, FedMD; Lin et al. 2020, FedDF). A round:
 *
 *   1. the server draws `publicStates` states by running the current global student on the public
 *      env (the env with its default parameters, no client's kwargs) from a public seed; round 1's
 *      student is the seeded initialisation (near-uniform actions). Later rounds visit the states
 *      the improving global student reaches, as DAgger does (Ross et al. 2011);
 *   2. each sampled client labels those states with its local teacher (a `label` trial) and sends
 *      back `{ samples, labels }`: one probability row per state, nothing else (it never steps its
 *      env for this, so none of its observations or rewards can leave);
 *   3. the server averages the clients' rows state by state (the cross-entropy to a mixture is the
 *      mean of the cross-entropies, so this is exactly training on every client's labels), adds
 *      them to the states of earlier rounds, and distils the global student on all of them:
 *      `serverEpochs` epochs of minibatch Adam on KL(labels || student), from the current weights.
 *
 *   const pub = collectPublicStates({ env, global, activation, n: 2048, seed, obsNorm });
 *   const avg = averageLabels(messages, actionSize);          // [n, actions]
 *   const next = await trainOnLabels({ global, data, ... });  // new global weights
 *
 * Discrete actions only (a soft label is a distribution over actions).
 */

import type { Env } from "../../core/env.js";
import { ConfigError } from "../../core/errors.js";
import { checkInterrupt } from "../../core/interrupt.js";
import { Rng } from "../../core/rng.js";
import type { AnySpace } from "../../core/spaces.js";
import { klLossArrays } from "../../distill/losses/categorical.js";
import { Student } from "../../distill/student.js";
import { make } from "../../envs/registry.js";
import { ArrayAdam } from "../../nn/optim.js";
import type { Activation, ObsNormSpec } from "../../nn/spec.js";
import { layersFromWeights, weightsOf } from "../execute.js";
import type { LabelMessage, StudentWeights } from "../trial.js";

/** The server's labelled public states so far. */
export interface PublicSet {
  obsSize: number;
  actionSize: number;
  /** [n, obsSize] row-major. */
  states: number[];
  /** [n, actionSize] row-major: the clients' mean probabilities. */
  labels: number[];
}

interface StudentShape {
  obsSize: number;
  obsShape: number[];
  actionSpace: AnySpace;
  hidden: number[];
  activation: Activation;
  obsNorm?: ObsNormSpec;
}

function studentFrom(shape: StudentShape, weights: StudentWeights): Student {
  const s = new Student({
    obsSize: shape.obsSize,
    obsShape: shape.obsShape,
    actionSpace: shape.actionSpace,
    hidden: shape.hidden,
    activation: shape.activation,
    output: "logits",
    obsNorm: shape.obsNorm,
    rng: new Rng(0),
  });
  s.loadWeights(layersFromWeights(weights, shape.activation));
  return s;
}

/**
 * `n` states of the public env (`env` with its default parameters) visited by the global student
 * acting by sampling its softmax, episodes reset with seeds from `seed`. Plain numbers [n, obsSize].
 */
export async function collectPublicStates(opts: {
  env: string;
  global: StudentWeights;
  shape: StudentShape;
  n: number;
  seed: number;
  signal?: AbortSignal;
}): Promise<number[]> {
  const { shape, n } = opts;
  const student = studentFrom(shape, opts.global);
  const env = make(opts.env) as Env<Float32Array, number>;
  const rng = new Rng(opts.seed);
  const out: number[] = [];
  try {
    let episode = 0;
    let obs = env.reset({ seed: opts.seed * 1000 + episode }).obs;
    const k = student.actionSize;
    const p = new Float64Array(k);
    while (out.length < n * shape.obsSize) {
      await checkInterrupt(opts.signal);
      for (let i = 0; i < shape.obsSize; i++) out.push(obs[i]!);
      const logits = student.forward(obs, 1).out;
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, logits[j]!);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += p[j] = Math.exp(logits[j]! - max);
      let u = rng.uniform(0, sum);
      let action = k - 1;
      for (let j = 0; j < k; j++) {
        u -= p[j]!;
        if (u < 0) {
          action = j;
          break;
        }
      }
      const step = env.step(action);
      obs = step.obs;
      if (step.terminated || step.truncated) obs = env.reset({ seed: opts.seed * 1000 + ++episode }).obs;
    }
  } finally {
    env.close();
    student.dispose();
  }
  return out.map((x) => Math.fround(x));
}

/** Appends a round's labelled states to the server's set (in place). */
export function addPublic(into: PublicSet, round: PublicSet): void {
  for (const x of round.states) into.states.push(x);
  for (const x of round.labels) into.labels.push(x);
}

/** The clients' probability rows averaged state by state (each client labelled the same states). */
export function averageLabels(messages: LabelMessage[], n: number, actionSize: number): number[] {
  if (messages.length === 0) throw new ConfigError("messages", "no client returned labels this round");
  const out = new Float64Array(n * actionSize);
  for (const [i, m] of messages.entries()) {
    if (m.samples !== n || m.labels.length !== n * actionSize)
      throw new ConfigError(
        `messages[${i}]`,
        `holds ${m.labels.length} labels for ${m.samples} states; expected ${n} x ${actionSize}`,
      );
    for (let j = 0; j < out.length; j++) out[j]! += m.labels[j]! / messages.length;
  }
  return Array.from(Float32Array.from(out));
}

/**
 * The global student distilled on the labelled public states: `epochs` passes of minibatch Adam
 * (fresh each round, so a resumed run repeats it exactly) on KL(labels || softmax(student)),
 * starting from `global`. Returns the new global weights.
 */
export async function trainOnLabels(opts: {
  global: StudentWeights;
  shape: StudentShape;
  data: PublicSet;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  signal?: AbortSignal;
}): Promise<StudentWeights> {
  const { data, shape } = opts;
  const n = data.states.length / data.obsSize;
  const student = studentFrom(shape, opts.global);
  const opt = new ArrayAdam([student.paramGroup()], { lr: opts.learningRate });
  const rng = new Rng(opts.seed);
  const states = Float32Array.from(data.states);
  // KL's teacher side takes logits: log-probabilities are logits of the same distribution.
  const targets = Float32Array.from(data.labels, (p) => Math.log(Math.max(p, 1e-8)));
  const bs = Math.min(opts.batchSize, n);
  const obsBatch = new Float32Array(bs * data.obsSize);
  const tBatch = new Float32Array(bs * data.actionSize);
  try {
    for (let e = 0; e < opts.epochs; e++) {
      const order = rng.permutation(n);
      for (let start = 0; start + bs <= n; start += bs) {
        await checkInterrupt(opts.signal);
        for (let r = 0; r < bs; r++) {
          const i = order[start + r]!;
          obsBatch.set(states.subarray(i * data.obsSize, (i + 1) * data.obsSize), r * data.obsSize);
          tBatch.set(targets.subarray(i * data.actionSize, (i + 1) * data.actionSize), r * data.actionSize);
        }
        const { out } = student.forward(obsBatch, bs);
        const loss = klLossArrays(out, tBatch, bs);
        student.backward({ out: loss.grads.studentLogits! });
        opt.apply();
        student.paramsChanged();
      }
    }
    return weightsOf(student.toSpec());
  } finally {
    student.dispose();
  }
}
