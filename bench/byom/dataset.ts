/**
 * States and labels for training PyTorch teachers by behaviour cloning (bench/byom/train.py):
 * CartPole-v1 states visited by the shipped PPO teacher with 30% random actions (so the data
 * covers recoveries), labelled with the shipped PPO teacher's logits and value and the shipped
 * DQN teacher's Q-values. Writes JSON to the path given (default /tmp/byom-dataset.json).
 *
 *   npx tsx bench/byom/dataset.ts /work/runs-byom/dataset.json [states]
 */
import { writeFileSync } from "node:fs";
import { Rng } from "../../src/core/rng.js";
import { make } from "../../src/envs/registry.js";
import { loadPolicy } from "../../src/nn/checkpoint.js";
import { compileSpec } from "../../src/nn/fast.js";

const out = process.argv[2] ?? "/tmp/byom-dataset.json";
const states = Number(process.argv[3] ?? 50_000);
const ppo = compileSpec(loadPolicy("models/cartpole-ppo.rldistill").spec);
const dqn = compileSpec(loadPolicy("models/cartpole-dqn.rldistill").spec);
const env = make("CartPole-v1");
const rng = new Rng(7);
const obs: number[][] = [];
let o = Float32Array.from(env.reset({ seed: 7 }).obs as Float32Array);
for (let i = 0; i < states; i++) {
  obs.push(Array.from(o));
  const a = rng.random() < 0.3 ? (rng.random() < 0.5 ? 0 : 1) : ppo.act(o);
  const r = env.step(a);
  o = Float32Array.from((r.terminated || r.truncated ? env.reset().obs : r.obs) as Float32Array);
}
const flat = Float32Array.from(obs.flat());
const logits = ppo.forward(flat, states, new Float32Array(states * 2));
const value = ppo.value!(flat, states, new Float32Array(states));
const q = dqn.forward(flat, states, new Float32Array(states * 2));
writeFileSync(
  out,
  JSON.stringify({ obs, logits: Array.from(logits), value: Array.from(value), q: Array.from(q) }),
);
console.log(`wrote ${states} labelled CartPole-v1 states to ${out}`);
