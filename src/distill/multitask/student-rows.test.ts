import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { parseArch } from "../../nn/arch.js";
import { initBackend } from "../../nn/backend.js";
import type { ActingEnv } from "../collect.js";
import { TaskLayout } from "./layout.js";
import { MultiHeadStudent } from "./multi-head-student.js";
import { studentVisitedRows } from "./student-rows.js";
import { loadTask } from "./tasks.js";

const TEACHER = new URL("../../../models/cartpole-ppo.rldistill", import.meta.url).pathname;

describe("studentVisitedRows", () => {
  it("rolls out the task's greedy student head and labels its states with the teacher", async () => {
    await initBackend();
    const task = await loadTask("CartPole-v1", TEACHER);
    try {
      const layout = new TaskLayout([task.shape], { padTo: 6 });
      const student = new MultiHeadStudent({ layout, arch: parseArch("8"), rng: new Rng(2) });
      // A head that always pushes left: head bias of action 0 far above action 1.
      const [headStart] = student.taskRanges()[0]!;
      const bias = headStart + 8 * 2;
      student.values[bias] = 50;
      student.values[bias + 1] = -50;
      student.paramsChanged();
      const actions: number[] = [];
      const observed: Float32Array[] = [];
      const makeEnv = (k: number) => {
        const env = task.makeEnv(k) as ActingEnv;
        const reset = env.reset.bind(env);
        const step = env.step.bind(env);
        env.reset = (opts) => {
          const r = reset(opts);
          observed.push(Float32Array.from(r.obs));
          return r;
        };
        env.step = (a) => {
          actions.push(Number(a));
          const r = step(a);
          observed.push(Float32Array.from(r.obs));
          return r;
        };
        return env;
      };
      const rows = await studentVisitedRows({
        student,
        task: 0,
        layout,
        teacher: task.teacher,
        makeEnv,
        n: 30,
        numEnvs: 2,
        seed: 3,
        rng: new Rng(4),
      });
      expect(rows.n).toBe(30);
      expect(rows.input).toHaveLength(30 * 6);
      // The student acted (the teacher balances the pole and would push right too).
      expect(actions.length).toBeGreaterThanOrEqual(30);
      expect(new Set(actions)).toEqual(new Set([0]));
      // Each row is a state the envs emitted, padded as the student reads it, with the teacher's outputs.
      const states = observed.map((o) => {
        const input = layout.allocInput(1);
        layout.toInput(0, o, 1, input);
        return { input, obs: o };
      });
      for (let r = 0; r < rows.n; r++) {
        const row = rows.input.subarray(6 * r, 6 * r + 6);
        const match = states.find((s) => s.input.every((x, i) => x === row[i]));
        expect(match).toBeDefined();
        expect(Array.from(row.subarray(4))).toEqual([0, 0]);
        const t = await task.teacher.predict(match!.obs, 1);
        for (let a = 0; a < 2; a++) expect(rows.outputs[2 * r + a]).toBeCloseTo(t.outputs[a]!, 4);
      }
    } finally {
      task.teacher.dispose?.();
    }
  });
});
