/**
 * A pickle reader that runs no code: a small interpreter for the opcodes `torch.save` writes for a
 * dict of tensors (a `state_dict`), which builds plain values and refuses everything else.
 *
 * Python's unpickler calls whatever callable the stream names (`GLOBAL` + `REDUCE`), which is how
 * a malicious .pth file runs code. Here the only names accepted are `collections.OrderedDict`
 * (called with no arguments), `torch._utils._rebuild_tensor_v2` (which becomes a `TensorRef`:
 * storage, offset, shape, stride) and torch's storage types inside a persistent id
 * (`('storage', torch.FloatStorage, key, location, numel)`). Any other global, any other callable
 * use, and any opcode outside the list below stop the read with an error that names it.
 *
 * Opcodes: protocols 2 and 4 as torch writes them (PROTO, FRAME, MARK, STOP, the containers and
 * their SETITEM(S)/APPEND(S)/TUPLEn, BININT*, LONG1, BINFLOAT, strings, NONE/bools, memo
 * PUT/GET/MEMOIZE, GLOBAL/STACK_GLOBAL, REDUCE, BUILD (the OrderedDict's `_metadata`), BINPERSID).
 */
import { ArtifactError } from "../../../core/errors.js";

/** torch storage dtypes, by the storage type's name. */
export const STORAGE_DTYPES: Record<string, { dtype: string; bytes: number }> = {
  FloatStorage: { dtype: "float32", bytes: 4 },
  DoubleStorage: { dtype: "float64", bytes: 8 },
  HalfStorage: { dtype: "float16", bytes: 2 },
  BFloat16Storage: { dtype: "bfloat16", bytes: 2 },
  LongStorage: { dtype: "int64", bytes: 8 },
  IntStorage: { dtype: "int32", bytes: 4 },
  ShortStorage: { dtype: "int16", bytes: 2 },
  CharStorage: { dtype: "int8", bytes: 1 },
  ByteStorage: { dtype: "uint8", bytes: 1 },
  BoolStorage: { dtype: "bool", bytes: 1 },
};

export interface StorageRef {
  readonly kind: "storage";
  dtype: string;
  /** Name of the data file in the archive (`<archive>/data/<key>`). */
  key: string;
  numel: number;
}

export interface TensorRef {
  readonly kind: "tensor";
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

class Global {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A dict as read from the pickle (Python dicts and OrderedDicts both). */
export type PickleDict = Map<unknown, unknown>;

const MARK = Symbol("mark");
const ALLOWED = "collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch storage types";

function refuse(what: string): never {
  throw new ArtifactError(
    `refusing to unpickle: ${what}. Only a dict of tensors (a state_dict) is read, without running pickle code ` +
      `(allowed globals: ${ALLOWED}); save the model with torch.save(model.state_dict(), path)`,
  );
}

/** Reads a pickle of plain values and tensors; `label` names the file in errors. */
export function readPickle(bytes: Uint8Array, label = "pickle"): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder("utf-8", { fatal: false });
  const latin1 = new TextDecoder("latin1");
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const need = (k: number) => {
    if (p + k > bytes.length) throw new ArtifactError(`${label}: pickle ends early (at byte ${p})`);
  };
  const u8 = () => {
    need(1);
    return bytes[p++]!;
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(p, true);
    p += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(p, true);
    p += 4;
    return v;
  };
  const take = (k: number) => {
    need(k);
    const b = bytes.subarray(p, p + k);
    p += k;
    return b;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw new ArtifactError(`${label}: pickle ends inside a GLOBAL name`);
    const s = latin1.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw new ArtifactError(`${label}: pickle stack underflow at byte ${p}`);
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new ArtifactError(`${label}: pickle has no MARK at byte ${p}`);
    const items = stack.slice(i + 1);
    stack.length = i;
    return items;
  };
  const top = () => stack[stack.length - 1];
  const dictAt = (v: unknown, op: string): PickleDict => {
    if (!(v instanceof Map)) throw new ArtifactError(`${label}: ${op} on a non-dict at byte ${p}`);
    return v;
  };
  const global = (module: string, name: string) => {
    const g = new Global(module, name);
    const ok =
      g.full === "collections.OrderedDict" ||
      g.full === "torch._utils._rebuild_tensor_v2" ||
      (module === "torch" && name in STORAGE_DTYPES);
    if (!ok) refuse(`the stream names the global "${g.full}"`);
    stack.push(g);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        take(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x74: // TUPLE
        stack.push(Object.freeze(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(Object.freeze([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(Object.freeze([pop(), b, c]));
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        dictAt(top(), "SETITEM").set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = dictAt(top(), "SETITEMS");
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l) || Object.isFrozen(l))
          throw new ArtifactError(`${label}: APPEND on a non-list`);
        l.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l) || Object.isFrozen(l))
          throw new ArtifactError(`${label}: APPENDS on a non-list`);
        l.push(...items);
        break;
      }
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: {
        // BININT
        need(4);
        stack.push(view.getInt32(p, true));
        p += 4;
        break;
      }
      case 0x8a: {
        // LONG1: little-endian two's complement
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (b.length && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(Number(v));
        break;
      }
      case 0x47: {
        // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text.decode(take(u8())));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) throw new ArtifactError(`${label}: memo key ${k} is not defined`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        global(module, line());
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string")
          throw new ArtifactError(`${label}: STACK_GLOBAL needs two strings`);
        global(module, name);
        break;
      }
      case 0x51: {
        // BINPERSID: ('storage', StorageType, key, location, numel)
        const pid = pop();
        if (!Array.isArray(pid) || pid[0] !== "storage" || !(pid[1] instanceof Global) || pid.length < 5)
          refuse("a persistent id that is not a torch storage");
        const type = STORAGE_DTYPES[(pid[1] as Global).name];
        if (!type) refuse(`the storage type "${(pid[1] as Global).full}"`);
        stack.push({
          kind: "storage",
          dtype: type.dtype,
          key: String(pid[2]),
          numel: Number(pid[4]),
        } satisfies StorageRef);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof Global) || !Array.isArray(args))
          refuse("REDUCE on something that is not an allowed global");
        if (fn.full === "collections.OrderedDict") {
          if (args.length !== 0) refuse("OrderedDict called with arguments");
          stack.push(new Map());
        } else if (fn.full === "torch._utils._rebuild_tensor_v2") {
          const [storage, offset, shape, stride] = args as [StorageRef, number, number[], number[]];
          if (storage?.kind !== "storage" || !Array.isArray(shape) || !Array.isArray(stride))
            throw new ArtifactError(`${label}: _rebuild_tensor_v2 with unexpected arguments`);
          stack.push({
            kind: "tensor",
            storage,
            offset,
            shape: [...shape],
            stride: [...stride],
          } satisfies TensorRef);
        } else refuse(`a call of "${fn.full}"`);
        break;
      }
      case 0x62: {
        // BUILD: an OrderedDict's state (its `_metadata` attribute) is read and dropped.
        const state = pop();
        if (!(top() instanceof Map)) refuse("BUILD on an object that is not a dict");
        if (
          !(state instanceof Map) &&
          !(Array.isArray(state) && state.every((s) => s === null || s instanceof Map))
        )
          refuse("BUILD with a state that is not a dict");
        break;
      }
      default:
        refuse(
          `opcode 0x${op.toString(16).padStart(2, "0")} ("${String.fromCharCode(op)}") at byte ${p - 1}`,
        );
    }
  }
}
