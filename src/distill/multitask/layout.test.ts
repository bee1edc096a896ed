import { describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { TaskLayout, type TaskShape } from "./layout.js";

const img = (name: string, c: number, actions = 3): TaskShape => ({
  name,
  obsShape: [2, 2, c],
  dtype: "uint8",
  actions,
});
const vec = (name: string, n: number, obsNorm?: TaskShape["obsNorm"]): TaskShape => ({
  name,
  obsShape: [n],
  dtype: "float32",
  actions: 2,
  obsNorm,
});

describe("TaskLayout", () => {
  it("pads image channels: channel c of pixel p goes to p * C + c, the rest stay 0", () => {
    const layout = new TaskLayout([img("A-v0", 1), img("B-v0", 3)]);
    expect(layout.kind).toBe("image");
    expect(layout.inputShape).toEqual([2, 2, 3]);
    expect(layout.inputDtype).toBe("uint8");
    const out = layout.allocInput(1);
    layout.toInput(0, Uint8Array.of(1, 0, 1, 1), 1, out);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(Array.from(layout.inputIndex(0))).toEqual([0, 3, 6, 9]);
    // Task B fills every channel.
    const b = Uint8Array.from({ length: 12 }, (_, i) => i % 2);
    const out2 = layout.allocInput(2);
    layout.toInput(1, b, 1, out2, 1);
    expect(Array.from(out2.subarray(0, 12))).toEqual(Array(12).fill(0));
    expect(Array.from(out2.subarray(12))).toEqual(Array.from(b));
  });

  it("pads MinAtar games to 10 channels, so a later stage can bring Seaquest", () => {
    const layout = new TaskLayout([img("MinAtar/Breakout-v1", 4)]);
    expect(layout.inputShape).toEqual([2, 2, 10]);
    expect(new TaskLayout([img("MinAtar/Breakout-v1", 4)], { padTo: 6 }).inputShape).toEqual([2, 2, 6]);
  });

  it("normalises each vector task with its own statistics, then pads with zeros", () => {
    const norm = { mean: Float32Array.of(1, 2), var: Float32Array.of(4, 1), epsilon: 0, clip: 10 };
    const layout = new TaskLayout([vec("A-v0", 4), vec("B-v0", 2, norm)]);
    expect(layout.inputShape).toEqual([4]);
    expect(layout.inputDtype).toBe("float32");
    const out = layout.allocInput(2);
    layout.toInput(1, Float32Array.of(3, 2, 1, 5), 2, out);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 0, 3, 0, 0]);
  });

  it("refuses inputs that cannot be shared, naming the tasks", () => {
    expect(() => new TaskLayout([img("A-v0", 2), vec("B-v0", 4)])).toThrow(
      /A-v0 gives \[2,2,2\], B-v0 gives \[4\]/,
    );
    expect(() => new TaskLayout([img("A-v0", 2), { ...img("B-v0", 2), obsShape: [3, 2, 2] }])).toThrow(
      /share their grid/,
    );
    expect(() => new TaskLayout([vec("A-v0", 4), vec("B-v0", 6)], { padTo: 5 })).toThrow(
      /padTo.*B-v0, which has 6/,
    );
    expect(() => new TaskLayout([])).toThrow(ConfigError);
    const layout = new TaskLayout([vec("A-v0", 4)]);
    expect(() => layout.withTasks([vec("B-v0", 6)])).toThrow(/holds 4 entries .* padTo >= 6/);
    expect(layout.withTasks([vec("B-v0", 3)]).tasks.map((t) => t.name)).toEqual(["A-v0", "B-v0"]);
    expect(() => layout.task(3)).toThrow(/task id 3/);
  });
});
