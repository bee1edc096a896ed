import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { parseArch } from "../../nn/arch.js";
import { compileSpec } from "../../nn/fast.js";
import { TaskLayout, type TaskShape } from "./layout.js";
import { MultiHeadStudent, type TaskGroup } from "./multi-head-student.js";

const images: TaskShape[] = [
  { name: "A-v0", obsShape: [5, 5, 2], dtype: "uint8", actions: 3 },
  { name: "B-v0", obsShape: [5, 5, 4], dtype: "uint8", actions: 5 },
];
const vectors: TaskShape[] = [
  { name: "C-v0", obsShape: [3], dtype: "float32", actions: 2 },
  {
    name: "D-v0",
    obsShape: [5],
    dtype: "float32",
    actions: 4,
    obsNorm: {
      mean: Float32Array.of(0.1, 0, 0, 0, -1),
      var: Float32Array.of(2, 1, 1, 0.5, 1),
      epsilon: 1e-8,
      clip: 5,
    },
  },
];

function randomObs(shape: TaskShape, n: number, rng: Rng): Float32Array {
  const size = shape.obsShape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n * size }, () =>
    shape.dtype === "uint8" ? (rng.random() < 0.3 ? 1 : 0) : rng.normal(),
  );
}

/** A student with non-zero embeddings (they start at 0) so that folding them is tested. */
function student(tasks: TaskShape[], arch: string, rng = new Rng(3)) {
  const layout = new TaskLayout(tasks);
  const s = new MultiHeadStudent({ layout, arch: parseArch(arch), taskEmbedding: true, rng });
  for (const [a, b] of s.taskRanges())
    for (let i = a; i < b; i++) if (s.values[i] === 0) s.values[i] = rng.normal(0, 0.3);
  s.paramsChanged();
  return { s, layout };
}

function padded(layout: TaskLayout, t: number, obs: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * layout.inputSize);
  layout.toInput(t, obs, n, out);
  return out;
}

describe("MultiHeadStudent", () => {
  for (const [name, tasks, arch] of [
    ["conv trunk over padded image channels", images, "conv4x3,fc8"],
    ["dense trunk over padded, normalised vectors", vectors, "6,5"],
  ] as const) {
    it(`${name}: each task's exported policy computes its head on the env's own observations`, () => {
      const { s, layout } = student([...tasks], arch);
      const rng = new Rng(9);
      tasks.forEach((task, t) => {
        const obs = randomObs(task, 4, rng);
        const [out] = s.forward(padded(layout, t, obs, 4), 4, [{ task: t, start: 0, count: 4 }]);
        const spec = s.specFor(t);
        expect(spec.obsShape).toEqual(task.obsShape);
        expect(spec.actionSize).toBe(task.actions);
        const ref = compileSpec(spec).forward(obs, 4);
        expect(out!.length).toBe(4 * task.actions);
        for (let i = 0; i < out!.length; i++) expect(out![i]).toBeCloseTo(ref[i]!, 4);
      });
      // The exported policy has only the task's inputs and head: fewer parameters than the whole student.
      expect(s.taskParams(0)).toBeLessThan(s.params);
    });
  }

  it("routes rows to their task's head: one forward for a mixed batch equals the per-task forwards", () => {
    const { s, layout } = student([...vectors], "6,5");
    const rng = new Rng(1);
    const a = randomObs(vectors[0]!, 3, rng);
    const b = randomObs(vectors[1]!, 2, rng);
    const x = new Float32Array(5 * layout.inputSize);
    layout.toInput(0, a, 3, x, 0);
    layout.toInput(1, b, 2, x, 3);
    const groups: TaskGroup[] = [
      { task: 0, start: 0, count: 3 },
      { task: 1, start: 3, count: 2 },
    ];
    const [oa, ob] = s.forward(x, 5, groups).map((o) => o.slice());
    expect(Array.from(oa!)).toEqual(Array.from(s.forward(padded(layout, 0, a, 3), 3, [groups[0]!])[0]!));
    expect(Array.from(ob!)).toEqual(
      Array.from(s.forward(padded(layout, 1, b, 2), 2, [{ ...groups[1]!, start: 0 }])[0]!),
    );
    // A batch of task 1 only: task 0's head and embedding get no gradient.
    s.forward(padded(layout, 1, b, 2), 2, [{ task: 1, start: 0, count: 2 }]);
    s.backward([Float32Array.from({ length: 8 }, (_, i) => (i % 3) - 1)]);
    const [h0, h1] = s.taskRanges();
    expect(s.grad.subarray(h0![0], h0![1]).every((g) => g === 0)).toBe(true);
    expect(s.grad.subarray(h1![0], h1![1]).some((g) => g !== 0)).toBe(true);
    expect(s.grad.subarray(0, s.trunkSize).some((g) => g !== 0)).toBe(true);
  });

  it("backward matches finite differences (trunk, heads, embeddings)", () => {
    const { s, layout } = student([...vectors], "4,3");
    const rng = new Rng(5);
    const x = new Float32Array(5 * layout.inputSize);
    layout.toInput(0, randomObs(vectors[0]!, 2, rng), 2, x, 0);
    layout.toInput(1, randomObs(vectors[1]!, 3, rng), 3, x, 2);
    const groups: TaskGroup[] = [
      { task: 0, start: 0, count: 2 },
      { task: 1, start: 2, count: 3 },
    ];
    const coef = [
      Float32Array.from({ length: 4 }, () => rng.normal()),
      Float32Array.from({ length: 12 }, () => rng.normal()),
    ];
    const loss = () => {
      const outs = s.forward(x, 5, groups);
      let l = 0;
      outs.forEach((o, g) => {
        for (let i = 0; i < o.length; i++) l += coef[g]![i]! * o[i]!;
      });
      return l;
    };
    loss();
    s.backward(coef);
    const grad = s.grad.slice();
    const eps = 1e-2;
    let checked = 0;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      s.values[i] = v + eps;
      s.paramsChanged();
      const up = loss();
      s.values[i] = v - eps;
      s.paramsChanged();
      const down = loss();
      s.values[i] = v;
      s.paramsChanged();
      expect(grad[i]).toBeCloseTo((up - down) / (2 * eps), 2);
      checked++;
    }
    expect(checked).toBe(s.values.length);
  });

  it("adds tasks without changing what the earlier heads compute", () => {
    const layout = new TaskLayout([vectors[0]!], { padTo: 5 });
    const s = new MultiHeadStudent({ layout, arch: parseArch("6"), taskEmbedding: true, rng: new Rng(2) });
    const obs = randomObs(vectors[0]!, 2, new Rng(4));
    const before = s.forward(padded(layout, 0, obs, 2), 2, [{ task: 0, start: 0, count: 2 }])[0]!.slice();
    const values = s.values.slice();
    s.addTasks(layout.withTasks([vectors[1]!]), new Rng(8));
    expect(s.tasks).toBe(2);
    expect(Array.from(s.values.subarray(0, values.length))).toEqual(Array.from(values));
    const after = s.forward(padded(s.layout, 0, obs, 2), 2, [{ task: 0, start: 0, count: 2 }])[0]!;
    expect(Array.from(after)).toEqual(Array.from(before));
  });

  it("refuses malformed task groups", () => {
    const { s, layout } = student([...vectors], "4");
    const x = new Float32Array(4 * layout.inputSize);
    expect(() => s.forward(x, 4, [{ task: 2, start: 0, count: 4 }])).toThrow(/task id 2/);
    expect(() =>
      s.forward(x, 4, [
        { task: 0, start: 0, count: 2 },
        { task: 0, start: 2, count: 2 },
      ]),
    ).toThrow(/twice/);
    expect(() => s.forward(x, 4, [{ task: 0, start: 0, count: 3 }])).toThrow(/cover 3 rows of 4/);
    expect(() => s.forward(x, 4, [{ task: 0, start: 1, count: 3 }])).toThrow(/contiguous/);
  });
});
