/**
 * One file per model: the rldistill artifact container (what models put in it: checkpoint.ts).
 *
 * Layout (little-endian):
 *   0  8 bytes   magic "RLDISTIL"
 *   8  uint32    format version (FORMAT_VERSION)
 *   12 uint32    header length in bytes
 *   16 uint32    CRC-32 of the header
 *   20 header    UTF-8 JSON: kind, libraryVersion, config, meta, tensor table, data length and CRC-32
 *   .. padding   spaces, so the data starts at a multiple of 8
 *   .. data      the tensors' bytes, each at an 8-aligned offset from the data start
 *
 * The header is plain JSON so `head -c 4000 model.rldistill` shows what a file holds. Tensors may
 * be float32 (weights), float64 (counters, statistics), int32/uint32 (rng state) or uint8.
 * Saving writes `<path>.tmp-<pid>` and renames it, so a crash never leaves half a file; loading
 * checks magic, version, lengths and both CRCs and names the problem in an ArtifactError.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ArtifactError } from "../core/errors.js";

export const MAGIC = "RLDISTIL";
export const FORMAT_VERSION = 1;
const PREAMBLE = 20;

export type StoredArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
export type StoredDType = "float32" | "float64" | "int32" | "uint32" | "uint8";

export interface StoredTensor {
  data: StoredArray;
  shape: number[];
}

export interface Artifact {
  /** What the file holds, e.g. "policy", "ppo-agent", "dqn-agent", "student". */
  kind: string;
  /** The configuration the model was built/trained with (JSON). */
  config?: unknown;
  /** Anything else JSON: env id, counters, scores, the training command. */
  meta?: Record<string, unknown>;
  tensors: Record<string, StoredTensor>;
}

/** What `loadArtifact` returns: the artifact plus who wrote it. */
export interface LoadedArtifact extends Artifact {
  formatVersion: number;
  /** rldistill's package.json version at save time. */
  libraryVersion: string;
}

interface TensorEntry {
  name: string;
  dtype: StoredDType;
  shape: number[];
  offset: number;
  byteLength: number;
}

interface Header {
  kind: string;
  libraryVersion: string;
  config?: unknown;
  meta?: Record<string, unknown>;
  tensors: TensorEntry[];
  dataBytes: number;
  dataCrc32: number;
}

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  uint8: Uint8Array,
} as const;

function dtypeOf(a: StoredArray): StoredDType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Uint32Array) return "uint32";
  if (a instanceof Uint8Array) return "uint8";
  throw new ArtifactError(
    `unsupported array type ${(a as object).constructor.name}; allowed: ${Object.keys(CTORS).join(", ")}`,
  );
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib computes it). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

let cachedVersion: string | undefined;

/** rldistill's version from package.json (two levels above this file in src/ and in dist/). */
export function libraryVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
      cachedVersion = typeof pkg.version === "string" ? pkg.version : "unknown";
    } catch {
      cachedVersion = "unknown";
    }
  }
  return cachedVersion!;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Serialises an artifact to bytes (see the layout above). */
export function encodeArtifact(artifact: Artifact): Uint8Array {
  if (typeof artifact.kind !== "string" || artifact.kind === "") {
    throw new ArtifactError("kind must be a non-empty string");
  }
  const entries: TensorEntry[] = [];
  const arrays: StoredArray[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(artifact.tensors)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0) || size !== t.data.length) {
      throw new ArtifactError(`tensor ${name}: shape [${t.shape}] does not hold ${t.data.length} values`);
    }
    entries.push({
      name,
      dtype: dtypeOf(t.data),
      shape: t.shape.slice(),
      offset,
      byteLength: t.data.byteLength,
    });
    arrays.push(t.data);
    offset = align8(offset + t.data.byteLength);
  }
  const data = new Uint8Array(offset);
  entries.forEach((e, i) => {
    const src = arrays[i]!;
    data.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), e.offset);
  });
  const header: Header = {
    kind: artifact.kind,
    libraryVersion: libraryVersion(),
    config: artifact.config,
    meta: artifact.meta,
    tensors: entries,
    dataBytes: data.length,
    dataCrc32: crc32(data),
  };
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = align8(PREAMBLE + json.length) - PREAMBLE;
  if (padded > json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(PREAMBLE + json.length + data.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, json.length, true);
  view.setUint32(16, crc32(json), true);
  out.set(json, PREAMBLE);
  out.set(data, PREAMBLE + json.length);
  return out;
}

/** Parses bytes from `encodeArtifact`; ArtifactError naming what is wrong otherwise. */
export function decodeArtifact(bytes: Uint8Array): LoadedArtifact {
  if (bytes.length < PREAMBLE)
    throw new ArtifactError(`truncated: ${bytes.length} bytes, the preamble alone is ${PREAMBLE}`);
  const head = bytes.subarray(0, 8);
  const magic = new TextDecoder().decode(head);
  if (magic !== MAGIC) {
    // Printable text is quoted; anything else is shown as hex, never as raw bytes on a terminal.
    const shown = head.every((b) => b >= 0x20 && b < 0x7f)
      ? JSON.stringify(magic)
      : `bytes ${Array.from(head, (b) => b.toString(16).padStart(2, "0")).join(" ")}`;
    throw new ArtifactError(`not an rldistill artifact: starts with ${shown}, expected "${MAGIC}"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version > FORMAT_VERSION) {
    throw new ArtifactError(
      `written in artifact format version ${version}; this rldistill (${libraryVersion()}) reads up to ${FORMAT_VERSION}: upgrade rldistill`,
    );
  }
  if (version < 1) throw new ArtifactError(`invalid format version ${version}`);
  const headerLength = view.getUint32(12, true);
  if (PREAMBLE + headerLength > bytes.length) {
    throw new ArtifactError(
      `truncated: the header needs ${PREAMBLE + headerLength} bytes, the file has ${bytes.length}`,
    );
  }
  const json = bytes.subarray(PREAMBLE, PREAMBLE + headerLength);
  if (crc32(json) !== view.getUint32(16, true)) throw new ArtifactError("corrupt header: CRC-32 mismatch");
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(json)) as Header;
  } catch (e) {
    throw new ArtifactError(`corrupt header: ${(e as Error).message}`);
  }
  if (!header || !Array.isArray(header.tensors) || typeof header.dataBytes !== "number") {
    throw new ArtifactError("corrupt header: no tensor table");
  }
  const dataStart = PREAMBLE + headerLength;
  const available = bytes.length - dataStart;
  if (available < header.dataBytes) {
    throw new ArtifactError(`truncated: the data needs ${header.dataBytes} bytes, the file has ${available}`);
  }
  if (available > header.dataBytes)
    throw new ArtifactError(`corrupt: ${available - header.dataBytes} unexpected bytes after the data`);
  const data = bytes.subarray(dataStart);
  if (crc32(data) !== header.dataCrc32) throw new ArtifactError("corrupt tensor data: CRC-32 mismatch");
  const tensors: Record<string, StoredTensor> = {};
  for (const e of header.tensors) {
    const Ctor = CTORS[e.dtype];
    if (!Ctor) throw new ArtifactError(`tensor ${e.name}: unknown dtype ${e.dtype}`);
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (count * Ctor.BYTES_PER_ELEMENT !== e.byteLength || e.offset + e.byteLength > data.length) {
      throw new ArtifactError(`tensor ${e.name}: table entry does not fit the data`);
    }
    // Copy out, so the arrays are aligned and independent of the file buffer.
    const copy = new Uint8Array(data.subarray(e.offset, e.offset + e.byteLength));
    tensors[e.name] = { data: new Ctor(copy.buffer, 0, count), shape: e.shape };
  }
  return {
    kind: header.kind,
    config: header.config,
    meta: header.meta,
    tensors,
    formatVersion: version,
    libraryVersion: header.libraryVersion,
  };
}

/** Writes an artifact atomically (temporary file, then rename); creates the directory. */
export function saveArtifact(file: string, artifact: Artifact): void {
  const bytes = encodeArtifact(artifact);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Reads an artifact; `expectKind` rejects files of another kind. */
export function loadArtifact(file: string, expectKind?: string): LoadedArtifact {
  let bytes: Uint8Array;
  try {
    const buf = readFileSync(file);
    // A Buffer's slice() is a view, not a copy: work on a plain Uint8Array.
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new ArtifactError(
      `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let artifact: LoadedArtifact;
  try {
    artifact = decodeArtifact(bytes);
  } catch (e) {
    if (e instanceof ArtifactError) throw new ArtifactError(`${file}: ${e.message}`);
    throw e;
  }
  if (expectKind !== undefined && artifact.kind !== expectKind) {
    throw new ArtifactError(`${file}: holds a ${artifact.kind}, expected a ${expectKind}`);
  }
  return artifact;
}
