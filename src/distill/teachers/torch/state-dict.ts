/**
 * PyTorch's `torch.save` file format for a `state_dict`, read without Python and without running
 * pickle code: a ZIP archive with `<name>/data.pkl` (the dict, read by the restricted interpreter
 * in pickle.ts) and one raw little-endian file per storage (`<name>/data/<key>`). Tensors come
 * out as float32 arrays in row-major order (strided views are gathered).
 */
import { ArtifactError } from "../../../core/errors.js";
import { type PickleDict, readPickle, type TensorRef } from "./pickle.js";
import { isZip, ZipArchive } from "./zip.js";

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export type StateDict = Map<string, Tensor>;

/** f16 / bf16 bits -> number. */
function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const f = bits & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function readElement(view: DataView, dtype: string, i: number): number {
  switch (dtype) {
    case "float32":
      return view.getFloat32(i * 4, true);
    case "float64":
      return view.getFloat64(i * 8, true);
    case "float16":
      return half(view.getUint16(i * 2, true));
    case "bfloat16": {
      const b = new DataView(new ArrayBuffer(4));
      b.setUint32(0, view.getUint16(i * 2, true) << 16, true);
      return b.getFloat32(0, true);
    }
    case "int64":
      return Number(view.getBigInt64(i * 8, true));
    case "int32":
      return view.getInt32(i * 4, true);
    case "int16":
      return view.getInt16(i * 2, true);
    case "int8":
      return view.getInt8(i);
    default:
      return view.getUint8(i); // uint8, bool
  }
}

function materialise(ref: TensorRef, storage: Uint8Array, name: string): Tensor {
  const view = new DataView(storage.buffer, storage.byteOffset, storage.byteLength);
  const size = ref.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  const rank = ref.shape.length;
  const index = new Array<number>(rank).fill(0);
  let maxElement = ref.offset;
  for (let d = 0; d < rank; d++) maxElement += (ref.shape[d]! - 1) * ref.stride[d]!;
  if (size > 0 && maxElement >= ref.storage.numel)
    throw new ArtifactError(`tensor "${name}" reads past its storage (${ref.storage.numel} elements)`);
  for (let i = 0; i < size; i++) {
    let at = ref.offset;
    for (let d = 0; d < rank; d++) at += index[d]! * ref.stride[d]!;
    data[i] = readElement(view, ref.storage.dtype, at);
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < ref.shape[d]!) break;
      index[d] = 0;
    }
  }
  return { shape: ref.shape, data };
}

/** True for the pre-1.6 torch.save format (a bare pickle stream with torch's magic number). */
function isLegacyTorch(bytes: Uint8Array): boolean {
  return bytes[0] === 0x80 && bytes[1] === 0x02 && bytes.length > 12 && bytes[2] === 0x8a;
}

/** The tensors of a `torch.save(state_dict)` file, by key; `label` names it in errors. */
export function readStateDict(bytes: Uint8Array, label: string): StateDict {
  if (isLegacyTorch(bytes))
    throw new ArtifactError(
      `${label}: saved in torch's legacy (pre-1.6) format; re-save it with torch.save(state_dict, path) from torch >= 1.6`,
    );
  if (!isZip(bytes)) throw new ArtifactError(`${label}: not a torch.save file (a zip archive with data.pkl)`);
  const zip = new ZipArchive(bytes, label);
  const pkl = zip.names().find((n) => n.endsWith("data.pkl") && n.split("/").length === 2);
  if (!pkl) throw new ArtifactError(`${label}: no <name>/data.pkl inside; not a torch.save file`);
  const prefix = pkl.slice(0, -"data.pkl".length);
  const order = zip.has(`${prefix}byteorder`)
    ? new TextDecoder().decode(zip.read(`${prefix}byteorder`))
    : "little";
  if (order.trim() !== "little") throw new ArtifactError(`${label}: big-endian tensors are not supported`);
  const root = readPickle(zip.read(pkl), label);
  if (!(root instanceof Map))
    throw new ArtifactError(
      `${label}: holds ${Array.isArray(root) ? "a list" : typeof root}, not a dict of tensors (a state_dict)`,
    );
  const out: StateDict = new Map();
  const storages = new Map<string, Uint8Array>();
  for (const [key, value] of root as PickleDict) {
    if (typeof key !== "string" || (value as TensorRef | null)?.kind !== "tensor") continue;
    const ref = value as TensorRef;
    const file = `${prefix}data/${ref.storage.key}`;
    if (!storages.has(file)) storages.set(file, zip.read(file));
    out.set(key, materialise(ref, storages.get(file)!, key));
  }
  if (out.size === 0) throw new ArtifactError(`${label}: the dict holds no tensors`);
  return out;
}
