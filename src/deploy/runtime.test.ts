import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileSpec } from "../nn/fast.js";
import type { PolicySpec } from "../nn/spec.js";
import { dequantizeSpec, quantizeSpec } from "./quantize.js";
import {
  ALL_RUNTIME_FEATURES,
  compactRuntime,
  type RuntimeFeatures,
  runtimeFeatures,
  runtimeModuleText,
  runtimeSource,
  shortenNames,
} from "./runtime-compact.js";
import {
  exportRuntime,
  packRuntime,
  RUNTIME_FILES,
  RUNTIME_MODULE,
  runtimeModule,
} from "./runtime-export.js";
import { RUNTIME_MAX_INLINE, RUNTIME_SOURCE, type RuntimeModule } from "./runtime-source.js";
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
    expect(bytes(f, RUNTIME_FILES.module)).toBeLessThan(11_000);
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

describe("act: certified fast path and specialised code", () => {
  /** Actions of the runtime and of compileSpec on `count` observations; returns how many differ. */
  function mismatches(policy: { act(o: Float32Array): unknown }, spec: PolicySpec, count: number): number {
    const size = spec.obsShape.reduce((a, b) => a * b, 1);
    const obs = randomObservations(7, count, size, 3);
    const fast = compileSpec(spec);
    let bad = 0;
    for (let b = 0; b < count; b++) {
      const o = obs.subarray(b * size, (b + 1) * size);
      if (policy.act(o) !== fast.act(o, { deterministic: true })) bad++;
    }
    return bad;
  }

  it("tanhApprox is within TANH_ERROR / 4 of Math.tanh, and odd", async () => {
    const rt = await runtimeModule();
    let worst = 0;
    for (let i = 0; i <= 2_000_000; i++) {
      const x = i * 1e-5;
      worst = Math.max(worst, Math.abs(rt.tanhApprox(x) - Math.tanh(x)));
      if (i % 997 === 0) expect(rt.tanhApprox(-x)).toBe(-rt.tanhApprox(x));
    }
    expect(worst).toBeLessThan(rt.TANH_ERROR / 4);
    expect(worst).toBeGreaterThan(0); // it is an approximation: the exact fallback matters
    expect(rt.tanhApprox(Number.NaN)).toBeNaN();
  });

  it("exact ties and near-ties fall back to the exact forward (first maximum, as compileSpec)", async () => {
    const rt = await runtimeModule();
    const spec = randomMlpSpec({ obsSize: 4, hidden: [32, 32], actionSize: 3, obsNorm: true, seed: 11 });
    const last = spec.layers[2]! as { weight: Float32Array; bias: Float32Array; outSize: number };
    // Outputs 1 and 2: the same row (an exact tie); output 0 the same but 1 ulp-ish apart.
    for (let i = 0; i < 32; i++) {
      last.weight[i * 3 + 2] = last.weight[i * 3 + 1]!;
      last.weight[i * 3] = Math.fround(last.weight[i * 3 + 1]! * (1 + 2 ** -22));
    }
    last.bias[2] = last.bias[1]!;
    last.bias[0] = last.bias[1]!;
    const b = packRuntime(spec);
    const policy = rt.fromBytes(b.json, b.bin);
    expect(mismatches(policy, spec, 500)).toBe(0);
  });

  it("on decision boundaries (observations bisected to float32 neighbours) acts as compileSpec", async () => {
    const spec = randomMlpSpec({ obsSize: 4, hidden: [32, 32], actionSize: 3, seed: 15 });
    const b = packRuntime(spec);
    const policy = (await runtimeModule()).fromBytes(b.json, b.bin);
    const fast = compileSpec(spec);
    const act = (o: Float32Array) => fast.act(o, { deterministic: true });
    const obs = randomObservations(8, 400, 4, 3);
    let boundaries = 0;
    for (let p = 0; p + 1 < 400; p += 2) {
      let lo = obs.slice(p * 4, p * 4 + 4);
      let hi = obs.slice(p * 4 + 4, p * 4 + 8);
      if (act(lo) === act(hi)) continue;
      // Bisect until the midpoint rounds to an end: lo and hi are float32 neighbours along the line.
      for (let k = 0; k < 80; k++) {
        const mid = lo.map((v, i) => (v + hi[i]!) / 2);
        if (mid.every((v, i) => v === lo[i] || v === hi[i])) break;
        if (act(mid) === act(lo)) lo = mid;
        else hi = mid;
      }
      boundaries++;
      expect(policy.act(lo)).toBe(act(lo));
      expect(policy.act(hi)).toBe(act(hi));
    }
    expect(boundaries).toBeGreaterThan(50);
  });

  for (const [name, spec] of [
    [
      "4-32-32-2 tanh (specialised code)",
      randomMlpSpec({ obsSize: 4, hidden: [32, 32], actionSize: 2, seed: 12 }),
    ],
    ["6-128-128-3 tanh (loops)", randomMlpSpec({ obsSize: 6, hidden: [128, 128], actionSize: 3, seed: 13 })],
    [
      "6-16-3 relu q",
      randomMlpSpec({ obsSize: 6, hidden: [16], actionSize: 3, activation: "relu", output: "q", seed: 14 }),
    ],
  ] as const) {
    for (const weights of ["float32", "int8"] as const) {
      it(`${name} ${weights}: the same action as compileSpec on 3000 observations`, async () => {
        const b = packRuntime(spec, { weights });
        const policy = (await runtimeModule()).fromBytes(b.json, b.bin);
        const simulated = weights === "int8" ? dequantizeSpec(quantizeSpec(spec)) : spec;
        expect(mismatches(policy, simulated, 3000)).toBe(0);
      });
    }
  }
});

describe("compactRuntime", () => {
  it("drops comments and indentation, keeps strings and what a newline means", async () => {
    const compact = compactRuntime(RUNTIME_SOURCE);
    expect(compact.length).toBeLessThan(0.7 * RUNTIME_SOURCE.length);
    expect(compact).not.toMatch(/^\s/m);
    expect(compact).toContain('"policy.json: output "');
    const toy = compactRuntime(
      'const a = "x // y" ; // c\nlet b = a\n  + 1 /* d */ + +2;\nexport { a, b }\n',
    );
    expect(toy).toBe('const a="x // y";let b=a\n+1+ +2;export{a,b}\n');
    const mod = await import(`data:text/javascript;base64,${Buffer.from(toy).toString("base64")}`);
    expect(mod.b).toBe("x // y12");
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

function importText(text: string): Promise<RuntimeModule> {
  return import(
    /* @vite-ignore */ `data:text/javascript;base64,${Buffer.from(text).toString("base64")}`
  ) as Promise<RuntimeModule>;
}

const NO_FEATURES: RuntimeFeatures = {
  conv: false,
  int8: false,
  continuous: false,
  value: false,
  large: false,
};

describe("runtime variants: only the code the policy needs", () => {
  it("an MLP float32 module is much smaller than the full one and acts and forwards identically", async () => {
    const spec = randomMlpSpec({ obsSize: 4, hidden: [32, 32], actionSize: 2, obsNorm: true, seed: 21 });
    const b = packRuntime(spec);
    expect(b.module).toBe(runtimeModuleText(NO_FEATURES));
    expect(b.module.length).toBeLessThan(RUNTIME_MODULE.length - 1500);
    expect(Buffer.byteLength(b.module)).toBeLessThan(7500);
    const small = (await importText(b.module)).fromBytes(b.json, b.bin);
    const full = (await runtimeModule()).fromBytes(b.json, b.bin);
    const obs = randomObservations(22, 1000, 4, 3);
    for (let k = 0; k < 1000; k++) {
      const o = obs.subarray(k * 4, k * 4 + 4);
      expect(small.act(o)).toBe(full.act(o));
      expect(Array.from(small.forward(o)["logits"]!)).toEqual(Array.from(full.forward(o)["logits"]!));
    }
  });

  it("each bundle's module has the sections its spec needs, and only those", () => {
    const mlp = randomMlpSpec({ obsSize: 4, hidden: [32, 32], actionSize: 2, seed: 23 });
    const expected: Array<[string, PolicySpec, "float32" | "int8", Partial<RuntimeFeatures>]> = [
      ["mlp", mlp, "float32", {}],
      ["mlp int8", mlp, "int8", { int8: true }],
      ["cnn", randomCnnSpec(3), "float32", { conv: true, large: true, value: true }],
      ["cnn int8", randomCnnSpec(3), "int8", { conv: true, large: true, int8: true, value: true }],
      ["continuous", cases[3]![1], "float32", { continuous: true }],
      ["value head", cases[0]![1], "float32", { value: true }],
      [
        "256-256",
        randomMlpSpec({ obsSize: 8, hidden: [256, 256], actionSize: 4, seed: 24 }),
        "float32",
        { large: true },
      ],
    ];
    // Property names survive the renaming; each occurs only in its feature's section.
    const marks: Record<keyof RuntimeFeatures, string> = {
      conv: ".kernelSize",
      int8: ".getInt8(",
      continuous: ".actionLow",
      value: ".value=",
      large: "r3=",
    };
    for (const [name, spec, weights, want] of expected) {
      const features = { ...NO_FEATURES, ...want };
      expect(runtimeFeatures(spec, weights), name).toEqual(features);
      const module = packRuntime(spec, { weights }).module;
      for (const [f, mark] of Object.entries(marks)) {
        expect(module.includes(mark), `${name}: ${f}`).toBe(features[f as keyof RuntimeFeatures]);
        expect(RUNTIME_MODULE, f).toContain(mark);
      }
    }
    expect(RUNTIME_SOURCE).toContain(`const MAX_INLINE = ${RUNTIME_MAX_INLINE};`);
    const limit = randomMlpSpec({ obsSize: 8, hidden: [64, 64], actionSize: 4, seed: 25 }); // 8192 weights
    expect(runtimeFeatures(limit, "float32").large).toBe(false);
  });

  it("a module without a feature refuses a policy.json that needs it", async () => {
    const rt = await importText(runtimeModuleText(NO_FEATURES));
    const refuse = (spec: PolicySpec, weights: "float32" | "int8", message: RegExp) => {
      const b = packRuntime(spec, { weights });
      expect(() => rt.fromBytes(b.json, b.bin)).toThrow(message);
    };
    refuse(randomCnnSpec(3), "float32", /layers\[0\]\.kind "conv2d" is not supported by this runtime/);
    refuse(cases[1]![1], "int8", /weight\.dtype "int8" is not supported by this runtime/);
    refuse(cases[3]![1], "float32", /output mean is not supported by this runtime/);
    refuse(cases[0]![1], "float32", /valueLayers are not supported by this runtime/);
  });

  it("where eval is forbidden, a stripped module's loops act exactly as compileSpec", async () => {
    const specs = [
      randomMlpSpec({ obsSize: 4, hidden: [32, 32], actionSize: 3, obsNorm: true, seed: 26 }),
      randomMlpSpec({ obsSize: 6, hidden: [16], actionSize: 3, activation: "relu", output: "q", seed: 27 }),
    ];
    for (const spec of specs) {
      const b = packRuntime(spec);
      // A Content-Security-Policy without 'unsafe-eval' makes new Function throw.
      expect(b.module.split("new Function(").length).toBe(2);
      const forbidden = b.module.replace("new Function(", '(()=>{throw new EvalError("forbidden")})(');
      const policy = (await importText(forbidden)).fromBytes(b.json, b.bin);
      const fast = compileSpec(spec);
      const size = spec.obsShape[0]!;
      const obs = randomObservations(28, 2000, size, 3);
      for (let k = 0; k < 2000; k++) {
        const o = obs.subarray(k * size, (k + 1) * size);
        expect(policy.act(o)).toBe(fast.act(o, { deterministic: true }));
        expect(Array.from(Object.values(policy.forward(o))[0]!)).toEqual(Array.from(fast.forward(o)));
      }
    }
  });

  it("runtimeSource checks its markers; shortenNames keeps strings, properties and object keys", () => {
    expect(runtimeSource(ALL_RUNTIME_FEATURES, "a\n//#if conv\nb\n//#else\nc\n//#endif\nd")).toBe("a\nb\nd");
    expect(runtimeSource(NO_FEATURES, "a\n//#if conv\nb\n//#else\nc\n//#endif\nd")).toBe("a\nc\nd");
    expect(runtimeSource(NO_FEATURES, "//#if !int8\nx\n//#endif")).toBe("x");
    expect(() => runtimeSource(NO_FEATURES, "//#if gpu\n//#endif")).toThrow(/unknown feature "gpu"/);
    expect(() => runtimeSource(NO_FEATURES, "//#if conv\n//#if int8\n//#endif")).toThrow(/nested/);
    expect(() => runtimeSource(NO_FEATURES, "//#if conv\nx")).toThrow(/without \/\/#endif/);
    expect(() => runtimeSource(NO_FEATURES, "//#endif")).toThrow(/without \/\/#if/);
    const code =
      'const longName=1;function f(longName){return o.longName+longName+"longName"+g(...longName);}';
    expect(shortenNames(code, ["longName"])).toBe(
      'let a=1;function f(a){return o.longName+a+"longName"+g(...a);}',
    );
    expect(() => shortenNames("x={longName:1}", ["longName"])).toThrow(/"longName" is an object key/);
  });
});
