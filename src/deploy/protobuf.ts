/**
 * The few protobuf wire-format primitives the ONNX messages need (there is no protobuf library
 * among our dependencies, and ONNX needs only varints, length-delimited fields and fixed32).
 * https://protobuf.dev/programming-guides/encoding/
 */
import { ArtifactError } from "../core/errors.js";

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian bytes of a typed array (a copy; ONNX raw_data is little-endian on every host). */
export function littleEndianBytes(
  a: Float32Array | Int8Array | Uint8Array | BigInt64Array | Int32Array,
): Uint8Array {
  if (LITTLE_ENDIAN || a.BYTES_PER_ELEMENT === 1) {
    return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  }
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) view.setFloat32(i * 4, a[i]!, true);
    else if (a instanceof Int32Array) view.setInt32(i * 4, a[i]!, true);
    else view.setBigInt64(i * 8, (a as BigInt64Array)[i]!, true);
  }
  return out;
}

/** Appends fields to a growing buffer. Nested messages are encoded first, then written as bytes. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private rawVarint(value: bigint): void {
    // int64 fields carry negative numbers as 10-byte two's complement varints.
    let v = BigInt.asUintN(64, value);
    this.reserve(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(BigInt((field << 3) | wire));
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(BigInt(value));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(BigInt(value.length));
    this.reserve(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.len, 4).setFloat32(0, value, true);
    this.len += 4;
    return this;
  }

  packedFloats(field: number, values: Float32Array): this {
    return this.bytes(field, littleEndianBytes(values));
  }

  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.rawVarint(BigInt(values[i]!));
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** One field occurrence as read off the wire. */
export type ProtoValue =
  | { wire: typeof WIRE_VARINT; value: bigint }
  | { wire: typeof WIRE_FIXED64; bytes: Uint8Array }
  | { wire: typeof WIRE_LEN; bytes: Uint8Array }
  | { wire: typeof WIRE_FIXED32; bytes: Uint8Array };

/** A decoded message: field number -> occurrences in order. Unknown fields are simply never read. */
export class ProtoFields {
  constructor(
    readonly what: string,
    private readonly fields: Map<number, ProtoValue[]>,
  ) {}

  static parse(what: string, bytes: Uint8Array): ProtoFields {
    const fields = new Map<number, ProtoValue[]>();
    let pos = 0;
    const fail = (why: string): never => {
      throw new ArtifactError(`${what}: malformed protobuf at byte ${pos}: ${why}`);
    };
    const varint = (): bigint => {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        if (pos >= bytes.length) fail("truncated varint");
        const b = bytes[pos++]!;
        result |= BigInt(b & 0x7f) << shift;
        if (b < 0x80) return result;
        shift += 7n;
        if (shift > 63n) fail("varint longer than 10 bytes");
      }
    };
    const take = (n: number): Uint8Array => {
      if (n < 0 || pos + n > bytes.length) fail(`field of ${n} bytes runs past the end`);
      const out = bytes.subarray(pos, pos + n);
      pos += n;
      return out;
    };
    while (pos < bytes.length) {
      const key = Number(varint());
      const field = key >>> 3;
      const wire = key & 7;
      let v: ProtoValue;
      if (wire === WIRE_VARINT) v = { wire, value: varint() };
      else if (wire === WIRE_FIXED64) v = { wire, bytes: take(8) };
      else if (wire === WIRE_LEN) v = { wire, bytes: take(Number(varint())) };
      else if (wire === WIRE_FIXED32) v = { wire, bytes: take(4) };
      else return fail(`unsupported wire type ${wire} (field ${field})`);
      const list = fields.get(field);
      if (list) list.push(v);
      else fields.set(field, [v]);
    }
    return new ProtoFields(what, fields);
  }

  private all(field: number): ProtoValue[] {
    return this.fields.get(field) ?? [];
  }

  has(field: number): boolean {
    return this.fields.has(field);
  }

  /** Last occurrence wins for singular fields, as in protobuf. */
  int(field: number, fallback = 0): number {
    const list = this.all(field);
    const last = list[list.length - 1];
    if (!last) return fallback;
    if (last.wire !== WIRE_VARINT) throw new ArtifactError(`${this.what}: field ${field} is not a varint`);
    return Number(BigInt.asIntN(64, last.value));
  }

  float(field: number, fallback = 0): number {
    const list = this.all(field);
    const last = list[list.length - 1];
    if (!last) return fallback;
    if (last.wire !== WIRE_FIXED32) throw new ArtifactError(`${this.what}: field ${field} is not a float`);
    return new DataView(last.bytes.buffer, last.bytes.byteOffset, 4).getFloat32(0, true);
  }

  bytes(field: number): Uint8Array | undefined {
    const list = this.all(field);
    const last = list[list.length - 1];
    if (!last) return undefined;
    if (last.wire !== WIRE_LEN)
      throw new ArtifactError(`${this.what}: field ${field} is not length-delimited`);
    return last.bytes;
  }

  string(field: number, fallback = ""): string {
    const b = this.bytes(field);
    return b ? new TextDecoder().decode(b) : fallback;
  }

  repeatedBytes(field: number): Uint8Array[] {
    return this.all(field).map((v) => {
      if (v.wire !== WIRE_LEN)
        throw new ArtifactError(`${this.what}: field ${field} is not length-delimited`);
      return v.bytes;
    });
  }

  repeatedStrings(field: number): string[] {
    const dec = new TextDecoder();
    return this.repeatedBytes(field).map((b) => dec.decode(b));
  }

  /** Repeated integers, packed or not (parsers must accept both forms). */
  repeatedInts(field: number): number[] {
    const out: number[] = [];
    for (const v of this.all(field)) {
      if (v.wire === WIRE_VARINT) out.push(Number(BigInt.asIntN(64, v.value)));
      else if (v.wire === WIRE_LEN) {
        const inner = ProtoFields.parse(this.what, packedAsVarintFields(v.bytes));
        out.push(...inner.repeatedInts(1));
      } else throw new ArtifactError(`${this.what}: field ${field} is not an integer list`);
    }
    return out;
  }

  /** Repeated floats, packed or not. */
  repeatedFloats(field: number): Float32Array {
    const chunks: Float32Array[] = [];
    for (const v of this.all(field)) {
      if (v.wire === WIRE_FIXED32) chunks.push(readFloats(v.bytes));
      else if (v.wire === WIRE_LEN) chunks.push(readFloats(v.bytes));
      else throw new ArtifactError(`${this.what}: field ${field} is not a float list`);
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** Reads little-endian float32s from bytes at any alignment. */
export function readFloats(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0)
    throw new ArtifactError(`float data of ${bytes.length} bytes is not a multiple of 4`);
  const out = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Re-tags a packed varint payload as field-1 varints so the ordinary parser can read it. */
function packedAsVarintFields(payload: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < payload.length; i++) {
    const isFirstByte = i === 0 || payload[i - 1]! < 0x80;
    if (isFirstByte) out.push(0x08); // tag of field 1, wire type varint
    out.push(payload[i]!);
  }
  return Uint8Array.from(out);
}
