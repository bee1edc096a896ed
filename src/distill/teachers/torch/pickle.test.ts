import { describe, expect, it } from "vitest";
import { readPickle } from "./pickle.js";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("readPickle: a dict of tensors, and nothing that runs code", () => {
  it("reads an OrderedDict of a tensor as torch.save writes it (protocol 2)", () => {
    // OrderedDict([("w", _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 6), 0, (2, 3), (3, 1), False, OrderedDict()))])
    const p = bytes(
      "\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00wq\x02ctorch._utils\n_rebuild_tensor_v2\nq\x03" +
        "((X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07K\x06tq\x08" +
        "QK\x00K\x02K\x03\x86q\tK\x03K\x01\x86q\n\x89h\x00)Rq\x0btq\x0cRq\rs}q\x0eb.",
    );
    const d = readPickle(p) as Map<
      string,
      { kind: string; shape: number[]; stride: number[]; storage: { dtype: string; key: string } }
    >;
    const w = d.get("w")!;
    expect(w.kind).toBe("tensor");
    expect(w.shape).toEqual([2, 3]);
    expect(w.stride).toEqual([3, 1]);
    expect(w.storage).toMatchObject({ dtype: "float32", key: "0" });
  });

  it("refuses a global outside the tensor-dict vocabulary before anything is called", () => {
    // What `pickle.dumps(Evil())` gives for a __reduce__ returning (os.system, ("ls",)).
    const evil = bytes("\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.");
    expect(() => readPickle(evil, "evil.pth")).toThrow(
      /refusing to unpickle: the stream names the global "posix.system"/,
    );
    expect(() => readPickle(bytes("\x80\x02cbuiltins\neval\n."))).toThrow(/builtins.eval/);
  });

  it("refuses opcodes outside the list (INST, OBJ) and calls of allowed names with arguments", () => {
    expect(() => readPickle(bytes("(iposix\nsystem\n."))).toThrow(/opcode 0x69 \("i"\)/);
    expect(() => readPickle(bytes("\x80\x02ccollections\nOrderedDict\nK\x01\x85R."))).toThrow(
      /OrderedDict called with arguments/,
    );
    expect(() => readPickle(bytes("\x80\x02}"))).toThrow(/pickle ends early/);
  });
});
