/**
 * A small reader for ZIP archives (PKWARE APPNOTE): the central directory, stored and deflated
 * entries (inflated with Node's zlib), ZIP64 sizes and offsets, CRC-32 checked. Enough for
 * Stable-Baselines3's model archives (Python's zipfile, deflate) and PyTorch's `torch.save`
 * files (stored entries, ZIP64 records). No encryption, no multi-disk archives.
 */
import { inflateRawSync } from "node:zlib";
import { ArtifactError } from "../../../core/errors.js";
import { crc32 } from "../../../nn/checkpoint.js";

const SIG = {
  local: 0x04034b50,
  central: 0x02014b50,
  end: 0x06054b50,
  end64: 0x06064b50,
  locator64: 0x07064b50,
};

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localOffset: number;
}

/** True when the bytes start like a ZIP archive. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly label = "zip archive",
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readDirectory();
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The uncompressed bytes of one entry (CRC checked). */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e)
      throw new ArtifactError(`${this.label}: no entry "${name}" (entries: ${this.names().join(", ")})`);
    const v = this.view;
    if (v.getUint32(e.localOffset, true) !== SIG.local)
      throw new ArtifactError(`${this.label}: entry "${name}" has no local header at ${e.localOffset}`);
    const start =
      e.localOffset + 30 + v.getUint16(e.localOffset + 26, true) + v.getUint16(e.localOffset + 28, true);
    const raw = this.bytes.subarray(start, start + e.compressedSize);
    if (raw.length !== e.compressedSize)
      throw new ArtifactError(`${this.label}: entry "${name}" is truncated`);
    let data: Uint8Array;
    if (e.method === 0) data = raw;
    else if (e.method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw));
      } catch (err) {
        throw new ArtifactError(
          `${this.label}: entry "${name}" does not inflate (${(err as Error).message})`,
        );
      }
    } else
      throw new ArtifactError(
        `${this.label}: entry "${name}" uses compression method ${e.method} (only stored and deflate are read)`,
      );
    if (data.length !== e.size || crc32(data) !== e.crc)
      throw new ArtifactError(`${this.label}: entry "${name}" is corrupt (size or CRC-32 mismatch)`);
    return data;
  }

  private readDirectory(): Map<string, ZipEntry> {
    const v = this.view;
    const n = this.bytes.length;
    let end = -1;
    for (let i = n - 22; i >= Math.max(0, n - 22 - 0xffff); i--) {
      if (v.getUint32(i, true) === SIG.end) {
        end = i;
        break;
      }
    }
    if (end < 0)
      throw new ArtifactError(
        `${this.label}: no ZIP end-of-central-directory record (not a zip, or truncated)`,
      );
    let count = v.getUint16(end + 10, true);
    let cdOffset = v.getUint32(end + 16, true);
    if (
      (count === 0xffff || cdOffset === 0xffffffff) &&
      end >= 20 &&
      v.getUint32(end - 20, true) === SIG.locator64
    ) {
      const rec = Number(v.getBigUint64(end - 20 + 8, true));
      if (v.getUint32(rec, true) !== SIG.end64)
        throw new ArtifactError(`${this.label}: bad ZIP64 end record`);
      count = Number(v.getBigUint64(rec + 32, true));
      cdOffset = Number(v.getBigUint64(rec + 48, true));
    }
    const entries = new Map<string, ZipEntry>();
    const decoder = new TextDecoder();
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > n || v.getUint32(p, true) !== SIG.central)
        throw new ArtifactError(`${this.label}: central directory entry ${i} is damaged`);
      const flags = v.getUint16(p + 8, true);
      if (flags & 1) throw new ArtifactError(`${this.label}: encrypted entries are not supported`);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      const entry: ZipEntry = {
        name: decoder.decode(this.bytes.subarray(p + 46, p + 46 + nameLen)),
        method: v.getUint16(p + 10, true),
        crc: v.getUint32(p + 16, true),
        compressedSize: v.getUint32(p + 20, true),
        size: v.getUint32(p + 24, true),
        localOffset: v.getUint32(p + 42, true),
      };
      // ZIP64 extra field (id 1): the 0xFFFFFFFF fields, in order size, compressed size, offset.
      let q = p + 46 + nameLen;
      const extraEnd = q + extraLen;
      while (q + 4 <= extraEnd) {
        const id = v.getUint16(q, true);
        const len = v.getUint16(q + 2, true);
        if (id === 1) {
          let r = q + 4;
          const next = () => {
            const x = Number(v.getBigUint64(r, true));
            r += 8;
            return x;
          };
          if (entry.size === 0xffffffff) entry.size = next();
          if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
          if (entry.localOffset === 0xffffffff) entry.localOffset = next();
        }
        q += 4 + len;
      }
      entries.set(entry.name, entry);
      p = extraEnd + commentLen;
    }
    return entries;
  }
}
