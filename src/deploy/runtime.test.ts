import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
import { dequantizeSpec, quantizeSpec } from "./quantize.js";
import { exportRuntime, packRuntime, RUNTIME_FILES, runtimeModule } from "./runtime-export.js";
import type { RuntimeModule } from "./runtime-source.js";
import {
  randomCnnSpec,
  randomMlpSpec,
  randomObservations,
  referenceAction,
  referenceForward,
} from "./test-util.js";

const tmp = mkdtempSync(join(tmpdir(), "rldistill-runtime-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function exportAndImport(
  spec: PolicySpec,
  name: string,
  weights: "float32" | "int8",
): Promise<{ dir: string; mod: RuntimeModule }> {
  const dir = join(tmp, name);
  await exportRuntime(spec, dir, { weights });
  const mod = (await import(pathToFileURL(join(dir, RUNTIME_FILES.module)).href)) as RuntimeModule;
  return { dir, mod };
}

const cases: Array<[string, PolicySpec]> = [
  [
    "mlp-tanh",
    randomMlpSpec({ obsSize: 4, hidden: [32, 32], actionSize: 2, obsNorm: true, value: true, seed: 1 }),
  ],
  [
    "mlp-relu",
    randomMlpSpec({ obsSize: 6, hidden: [64, 64], actionSize: 3, activation: "relu", output: "q", seed: 2 }),
  ],
  ["cnn", randomCnnSpec(3)],
  [
    "continuous",
    randomMlpSpec({ obsSize: 5, hidden: [16], actionSize: 2, output: "mean", obsNorm: true, seed: 4 }),
  ],
];

describe("standalone runtime (Node)", () => {
  for (const [name, spec] of cases) {
    for (const weights of ["float32", "int8"] as const) {
      it(`${name} ${weights}: identical actions to the reference on 200 observations`, async () => {
        const { dir, mod } = await exportAndImport(spec, `${name}-${weights}`, weights);
        const policy = await mod.load(dir);
        const simulated = weights === "int8" ? dequantizeSpec(quantizeSpec(spec)) : spec;
        const size = spec.obsShape.reduce((a, b) => a * b, 1);
        const obs = randomObservations(10, 200, size);
        for (let b = 0; b < 200; b++) {
          const o = obs.subarray(b * size, (b + 1) * size);
          const expected = referenceAction(simulated, o);
          const got = policy.act(o);
          if (typeof expected === "number") expect(got).toBe(expected);
          else expect(Array.from(got as Float32Array)).toEqual(Array.from(Float32Array.from(expected)));
        }
        // Same float64 arithmetic in the same order: outputs agree to the last float32 bit.
        const key = { logits: "logits", q: "q_values", mean: "action_mean" }[spec.output];
        for (let b = 0; b < 200; b++) {
          const o = obs.subarray(b * size, (b + 1) * size);
          const ref = referenceForward(simulated, o);
          const out = policy.forward(o);
          expect(Array.from(out[key]!)).toEqual(Array.from(Float32Array.from(ref.out)));
          if (spec.valueLayers) expect(out["value"]![0]).toBe(Math.fround(ref.value!));
        }
        // ... and to the library's own fast forward (nn/fast.ts), which evaluation uses.
        const fast = compileSpec(simulated);
        for (let b = 0; b < 200; b++) {
          const o = obs.subarray(b * size, (b + 1) * size);
          expect(Array.from(policy.forward(o)[key]!)).toEqual(Array.from(fast.forward(o)));
          const a = policy.act(o);
          const fa = fast.act(o, { deterministic: true });
          expect(typeof a === "number" ? a : Array.from(a)).toEqual(
            typeof fa === "number" ? fa : Array.from(fa),
          );
        }
      });
    }
  }

  it("loads from a directory path, a file URL, policy.json's path, and {json, bin} bytes", async () => {
    const spec = cases[0]![1];
    const { dir, mod } = await exportAndImport(spec, "sources", "float32");
    const o = randomObservations(1, 1, 4);
    const expected = referenceAction(spec, o);
    expect((await mod.load(dir)).act(o)).toBe(expected);
    expect((await mod.load(`${dir}/`)).act(o)).toBe(expected);
    expect((await mod.load(pathToFileURL(`${dir}/`))).act(o)).toBe(expected);
    expect((await mod.load(join(dir, RUNTIME_FILES.json))).act(o)).toBe(expected);
    const bytes = {
      json: readFileSync(join(dir, RUNTIME_FILES.json), "utf8"),
      bin: readFileSync(join(dir, RUNTIME_FILES.bin)),
    };
    const p = await mod.load(bytes);
    expect(p.act(Array.from(o))).toBe(expected);
    expect(p.obsShape).toEqual([4]);
    expect(p.actionSize).toBe(2);
  });

  it("is a few KB; int8 weights make policy.bin about 4x smaller", async () => {
    const spec = randomMlpSpec({ obsSize: 8, hidden: [256, 256], actionSize: 4, seed: 5 });
    const f = await exportRuntime(spec, join(tmp, "size-f"));
    const q = await exportRuntime(spec, join(tmp, "size-q"), { weights: "int8" });
    const bytes = (r: typeof f, name: string) => r.files.find((x) => x.name === name)!.bytes;
    expect(statSync(f.files[0]!.path).size).toBe(bytes(f, RUNTIME_FILES.module));
    expect(bytes(f, RUNTIME_FILES.module)).toBeLessThan(12_000);
    expect(bytes(f, RUNTIME_FILES.bin) / bytes(q, RUNTIME_FILES.bin)).toBeGreaterThan(3.5);
  });

  it("a QuantizedPolicySpec exports its own int8 weights; float32 of it is refused", () => {
    const q = quantizeSpec(cases[1]![1]);
    expect(JSON.parse(packRuntime(q).json).quantization).toBe("int8");
    expect(() => packRuntime(q, { weights: "float32" })).toThrow(/weights: the spec is already int8/);
    expect(() => packRuntime(cases[1]![1], { weights: "int4" as never })).toThrow(
      /weights: "int4" is not allowed; allowed: float32, int8/,
    );
  });

  it("names bad observations and foreign files", async () => {
    const { mod } = await exportAndImport(cases[0]![1], "errors", "float32");
    const b = packRuntime(cases[0]![1]);
    const p = mod.fromBytes(b.json, b.bin);
    expect(() => p.act(new Float32Array(3))).toThrow(/observation: expected 4 numbers, got 3/);
    expect(() => mod.fromBytes({ format: "other" }, b.bin)).toThrow(/format is not "rldistill-policy"/);
    expect(() => mod.fromBytes(b.json, b.bin.subarray(0, 16))).toThrow(/outside policy.bin/);
  });
});

describe("runtimeModule", () => {
  it("evaluates the runtime in-process; a packed bundle acts like the reference", async () => {
    const spec = cases[2]![1];
    const b = packRuntime(spec, { weights: "int8" });
    const policy = (await runtimeModule()).fromBytes(b.json, b.bin);
    const o = randomObservations(
      30,
      1,
      spec.obsShape.reduce((a, c) => a * c, 1),
    );
    expect(policy.act(o)).toBe(referenceAction(dequantizeSpec(quantizeSpec(spec)), o));
  });
});
