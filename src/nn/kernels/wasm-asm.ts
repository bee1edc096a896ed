/**
 * A tiny WebAssembly assembler: just what the SIMD kernels (simd-module.ts) are written with.
 *
 * Instructions are written in WAT's folded form as TypeScript calls that return bytes, operands
 * first: `i32.add(get(i), i32.c(4))` is `(i32.add (local.get $i) (i32.const 4))`. A module is a
 * list of functions with named locals; `assemble` returns its binary (WebAssembly 1.0 plus the
 * fixed-width SIMD proposal, which every engine this project supports has: Node >= 16.4, Chrome
 * >= 91, Firefox >= 89, Safari >= 16.4). Writing the bytes here keeps the kernels in TypeScript,
 * type-checked and built with the library, with no toolchain and no committed binary.
 *
 * Opcodes: https://webassembly.github.io/spec/core/binary/instructions.html and the SIMD
 * proposal's table (https://github.com/WebAssembly/simd/blob/main/proposals/simd/BinarySIMD.md).
 */

export type Code = readonly number[];

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
/** One of I32, F32, V128. */
export type ValType = number;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function f32Bytes(v: number): number[] {
  return Array.from(new Uint8Array(Float32Array.of(v).buffer));
}

/** Concatenates instruction sequences. */
export function seq(...parts: Code[]): number[] {
  const out: number[] = [];
  for (const p of parts) for (const b of p) out.push(b);
  return out;
}

const op =
  (...opcode: number[]) =>
  (...operands: Code[]): number[] =>
    seq(...operands, opcode);
const simd =
  (code: number) =>
  (...operands: Code[]): number[] =>
    seq(...operands, [0xfd, ...uleb(code)]);
/** Memory access: `align` is log2 of the alignment hint; `offset` a constant byte offset. */
const memOp =
  (opcode: number[], align: number) =>
  (address: Code, offset = 0): number[] =>
    seq(address, opcode, uleb(align), uleb(offset));
const storeOp =
  (opcode: number[], align: number) =>
  (address: Code, value: Code, offset = 0): number[] =>
    seq(address, value, opcode, uleb(align), uleb(offset));

// ---- control ---------------------------------------------------------------------------------

const EMPTY_BLOCK = 0x40;
export const block = (...body: Code[]): number[] => seq([0x02, EMPTY_BLOCK], ...body, [0x0b]);
export const loop = (...body: Code[]): number[] => seq([0x03, EMPTY_BLOCK], ...body, [0x0b]);
/** `if` without a result: runs `then` when `cond` is non-zero, else `otherwise`. */
export function ifElse(cond: Code, then: Code[], otherwise: Code[] = []): number[] {
  const head = seq(cond, [0x04, EMPTY_BLOCK], ...then);
  return otherwise.length ? seq(head, [0x05], ...otherwise, [0x0b]) : seq(head, [0x0b]);
}
export const br = (depth: number): number[] => [0x0c, ...uleb(depth)];
export const brIf = (depth: number, cond: Code): number[] => seq(cond, [0x0d, ...uleb(depth)]);

/**
 * `while (cond) { body }` as block/loop: inside `body`, depth 0 is the loop (continue) and
 * depth 1 the block (break).
 */
export function whileLoop(cond: Code, ...body: Code[]): number[] {
  return block(loop(brIf(1, i32.eqz(cond)), ...body, br(0)));
}

// ---- locals ----------------------------------------------------------------------------------

export const get = (index: number): number[] => [0x20, ...uleb(index)];
export const set = (index: number, value: Code): number[] => seq(value, [0x21, ...uleb(index)]);
export const tee = (index: number, value: Code): number[] => seq(value, [0x22, ...uleb(index)]);
/** local v += by (i32). */
export const inc = (v: number, by: Code): number[] => set(v, i32.add(get(v), by));

// ---- numbers ---------------------------------------------------------------------------------

export const i32 = {
  c: (v: number): number[] => [0x41, ...sleb(v)],
  load: memOp([0x28], 2),
  store: storeOp([0x36], 2),
  eqz: op(0x45),
  eq: op(0x46),
  ne: op(0x47),
  ltS: op(0x48),
  gtS: op(0x4a),
  leS: op(0x4c),
  geS: op(0x4e),
  add: op(0x6a),
  sub: op(0x6b),
  mul: op(0x6c),
  and: op(0x71),
  or: op(0x72),
  shl: op(0x74),
};

export const f32 = {
  c: (v: number): number[] => [0x43, ...f32Bytes(v)],
  load: memOp([0x2a], 2),
  store: storeOp([0x38], 2),
  ne: op(0x5c),
  gt: op(0x5e),
  add: op(0x92),
  sub: op(0x93),
  mul: op(0x94),
  div: op(0x95),
  min: op(0x96),
  max: op(0x97),
};

function f64Bytes(v: number): number[] {
  return Array.from(new Uint8Array(Float64Array.of(v).buffer));
}

/** An f64 constant. */
export const f64c = (v: number): number[] => [0x44, ...f64Bytes(v)];

export const f64 = {
  /** f32 -> f64 (exact). */
  promote: op(0xbb),
  /** f64 -> f32, rounded to nearest (what storing a double into a Float32Array does). */
  demote: op(0xb6),
  sqrt: op(0x9f),
  add: op(0xa0),
  sub: op(0xa1),
  mul: op(0xa2),
  div: op(0xa3),
};

/** The SIMD instructions the kernels use (f32x4 lanes in a v128). */
export const v128 = {
  load: memOp([0xfd, 0x00], 2),
  /** Loads 8 bytes (two f32) into the low half, zeroing the rest. */
  load64Zero: memOp([0xfd, 0x5d], 2),
  /** Stores the low 8 bytes (two f32). */
  store64Low: (address: Code, value: Code, offset = 0): number[] =>
    seq(address, value, [0xfd, 0x5b], uleb(2), uleb(offset), [0]),
  /** Loads one f32 and splats it over the four lanes. */
  load32Splat: memOp([0xfd, 0x09], 2),
  store: storeOp([0xfd, 0x0b], 2),
  and: simd(0x4e),
  /** 1 when any bit is set (an i32). */
  anyTrue: simd(0x53),
};

/** Two f64 lanes, for updates that must round as JavaScript's doubles do. */
export const f64x2 = {
  splat: simd(0x14),
  /** The low two f32 lanes, exactly, as f64. */
  promoteLow: simd(0x5f),
  /** f64 lanes -> the low two f32 lanes (rounded to nearest), upper lanes zero. */
  demote: simd(0x5e),
  sqrt: simd(0xef),
  add: simd(0xf0),
  sub: simd(0xf1),
  mul: simd(0xf2),
  div: simd(0xf3),
};

export const f32x4 = {
  splat: simd(0x13),
  ne: simd(0x42),
  gt: simd(0x44),
  abs: simd(0xe0),
  add: simd(0xe4),
  sub: simd(0xe5),
  mul: simd(0xe6),
  div: simd(0xe7),
  min: simd(0xe8),
  max: simd(0xe9),
  /** A constant vector with the same value in all four lanes. */
  c: (v: number): number[] => [0xfd, 0x0c, ...f32Bytes(v), ...f32Bytes(v), ...f32Bytes(v), ...f32Bytes(v)],
};

// ---- functions and modules -------------------------------------------------------------------

export interface FunctionDef {
  name: string;
  params: readonly ValType[];
  locals: readonly ValType[];
  /** Result types (none or one); the body leaves them on the stack. */
  results: readonly ValType[];
  body: Code;
}

/**
 * A function with named parameters and locals: `build` receives their indices by name and
 * returns the body.
 */
export function func<P extends string, L extends string>(
  name: string,
  params: Record<P, ValType>,
  locals: Record<L, ValType>,
  build: (v: Record<P | L, number>) => Code,
  results: readonly ValType[] = [],
): FunctionDef {
  const names = [...Object.keys(params), ...Object.keys(locals)] as (P | L)[];
  const index = Object.fromEntries(names.map((n, i) => [n, i])) as Record<P | L, number>;
  return {
    name,
    params: Object.values(params) as ValType[],
    locals: Object.values(locals) as ValType[],
    results,
    body: build(index),
  };
}

function vec(items: number[][]): number[] {
  return seq(uleb(items.length), ...items);
}

function section(id: number, content: number[]): number[] {
  return seq([id], uleb(content.length), content);
}

function name(s: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(s));
  return seq(uleb(bytes.length), bytes);
}

/**
 * The binary of a module with these functions (each exported under its name) and
 * one memory of `pages` 64 KiB pages, exported as "memory".
 */
export function assemble(functions: readonly FunctionDef[], pages: number): Uint8Array {
  const types = functions.map((f) =>
    seq([0x60], vec(f.params.map((p) => [p])), vec(f.results.map((r) => [r]))),
  );
  const code = functions.map((f) => {
    // Locals grouped in runs of the same type, as the format wants.
    const runs: number[][] = [];
    for (let i = 0; i < f.locals.length; ) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      runs.push(seq(uleb(j - i), [f.locals[i]!]));
      i = j;
    }
    const body = seq(vec(runs), f.body, [0x0b]);
    return seq(uleb(body.length), body);
  });
  const exports = [
    ...functions.map((f, i) => seq(name(f.name), [0x00], uleb(i))),
    seq(name("memory"), [0x02], uleb(0)),
  ];
  return Uint8Array.from(
    seq(
      [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      section(1, vec(types)),
      section(3, vec(functions.map((_, i) => uleb(i)))),
      section(5, vec([seq([0x00], uleb(pages))])),
      section(7, vec(exports)),
      section(10, vec(code)),
    ),
  );
}
