/**
 * Animated GIFs from RgbFrames, through the `gifenc` package (LZW encoder and PNN quantiser; no
 * native code).
 *
 *   const bytes = encodeGif(frames, { fps: 20 });
 *   writeFileSync("episode.gif", bytes);
 *
 * One palette per GIF, shared by all frames: the exact colours when the frames hold at most 255
 * (the env pictures hold a handful), else 255 colours chosen by gifenc's quantiser over every
 * frame. The 256th entry is reserved for transparency. After the first frame, each frame is
 * cropped to the rectangle that changed since the previous one, and the pixels inside it that did
 * not change are written transparent over the kept previous frame (disposal "do not dispose"), so a
 * frame where only the cart moved costs little more than the cart, in bytes and in time. The
 * output depends only on the frames and options: the same frames give the same bytes.
 */
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import type { RgbFrame } from "../../core/env.js";
import { ConfigError } from "../../core/errors.js";

// gifenc is CommonJS with an ESM build whose default export differs (the encoder function, not the
// module object); loading it through require gives the same module under Node and under vitest.
const { GIFEncoder, quantize, applyPalette } = createRequire(import.meta.url)(
  "gifenc",
) as typeof import("gifenc").default;

export interface GifOptions {
  /** Playback frames per second (when `delaysMs` is not given). Default 20. */
  fps?: number;
  /** Display time of each frame, ms (one per frame; GIF stores hundredths of a second). */
  delaysMs?: readonly number[];
  /** Play forever (default) or once. */
  loop?: boolean;
}

/** Browsers show delays under 20 ms as 100 ms, so shorter ones are raised to 20. */
const MIN_DELAY_MS = 20;
/** Colours a palette holds besides the transparent entry. */
const MAX_COLORS = 255;

type Palette = number[][];

/** A rectangle of a frame: pixels [x, x + w) x [y, y + h). */
interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

function checkFrames(frames: readonly RgbFrame[]): { width: number; height: number } {
  if (frames.length === 0) throw new ConfigError("frames", "give at least one frame");
  const { width, height } = frames[0]!;
  frames.forEach((f, i) => {
    if (f.width !== width || f.height !== height)
      throw new ConfigError(`frames[${i}]`, `is ${f.width}x${f.height}; frame 0 is ${width}x${height}`);
    if (f.data.length !== width * height * 3)
      throw new ConfigError(
        `frames[${i}].data`,
        `must hold width * height * 3 = ${width * height * 3} bytes`,
      );
  });
  if (width > 65535 || height > 65535) throw new ConfigError("frames", "a GIF is at most 65535 pixels wide");
  return { width, height };
}

function bytesOf(frame: RgbFrame): Buffer {
  return Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
}

/**
 * The smallest rectangle holding every pixel of `cur` that differs from `prev`, or null when none
 * does. Unchanged rows are skipped with a native comparison; changed rows are scanned from both
 * ends only as far as their first difference.
 */
function changedRect(prev: RgbFrame, cur: RgbFrame): Rect | null {
  const a = bytesOf(prev);
  const b = bytesOf(cur);
  const row = cur.width * 3;
  let y0 = -1;
  let y1 = -1;
  let x0 = cur.width;
  let x1 = -1;
  for (let y = 0; y < cur.height; y++) {
    const s = y * row;
    if (a.compare(b, s, s + row, s, s + row) === 0) continue;
    if (y0 < 0) y0 = y;
    y1 = y;
    let l = 0;
    while (
      l < x0 &&
      a[s + 3 * l] === b[s + 3 * l] &&
      a[s + 3 * l + 1] === b[s + 3 * l + 1] &&
      a[s + 3 * l + 2] === b[s + 3 * l + 2]
    )
      l++;
    x0 = Math.min(x0, l);
    let r = cur.width - 1;
    while (
      r > x1 &&
      a[s + 3 * r] === b[s + 3 * r] &&
      a[s + 3 * r + 1] === b[s + 3 * r + 1] &&
      a[s + 3 * r + 2] === b[s + 3 * r + 2]
    )
      r--;
    x1 = Math.max(x1, r);
  }
  return y0 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** Assigns palette indices to colours as they are first met; refuses the 256th colour. */
class ExactPalette {
  readonly colors: Palette = [];
  private readonly lookup = new Map<number, number>();
  private lastColor = -1;
  private lastIndex = 0;

  /** The index of colour 0xRRGGBB, or -1 when the palette is full. */
  indexOf(c: number): number {
    // Pictures are mostly runs of one colour: the map is consulted only where a run changes.
    if (c === this.lastColor) return this.lastIndex;
    let index = this.lookup.get(c);
    if (index === undefined) {
      if (this.colors.length === MAX_COLORS) return -1;
      index = this.colors.length;
      this.lookup.set(c, index);
      this.colors.push([(c >> 16) & 255, (c >> 8) & 255, c & 255]);
    }
    this.lastColor = c;
    this.lastIndex = index;
    return index;
  }
}

/** The pixels of `rect` as RGBA (gifenc's quantiser input). */
function rgbaOf(frame: RgbFrame, rect: Rect): Uint8Array {
  const out = new Uint8Array(rect.w * rect.h * 4);
  for (let y = 0; y < rect.h; y++) {
    for (let x = 0; x < rect.w; x++) {
      const i = ((rect.y + y) * frame.width + rect.x + x) * 3;
      const o = (y * rect.w + x) * 4;
      out[o] = frame.data[i]!;
      out[o + 1] = frame.data[i + 1]!;
      out[o + 2] = frame.data[i + 2]!;
      out[o + 3] = 255;
    }
  }
  return out;
}

/** A palette of at most 255 colours for frames with more: gifenc's quantiser over every frame. */
function quantizedPalette(frames: readonly RgbFrame[]): Palette {
  const full = { x: 0, y: 0, w: frames[0]!.width, h: frames[0]!.height };
  const parts = frames.map((f) => rgbaOf(f, full));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => {
    all.set(p, offset);
    return offset + p.length;
  }, 0);
  return quantize(all, MAX_COLORS, { format: "rgb565" });
}

/**
 * The pixels of `rect` in `cur` as palette indices, with those equal to `prev` (when given) set to
 * `transparent`. `index` maps 0xRRGGBB to an index, or -1 when the palette cannot hold it.
 */
function indexRect(
  cur: RgbFrame,
  prev: RgbFrame | null,
  rect: Rect,
  index: (c: number) => number,
  transparent: number,
): Uint8Array | null {
  const out = new Uint8Array(rect.w * rect.h);
  const d = cur.data;
  const p = prev?.data;
  for (let y = 0; y < rect.h; y++) {
    let i = ((rect.y + y) * cur.width + rect.x) * 3;
    for (let x = 0; x < rect.w; x++, i += 3) {
      if (p && p[i] === d[i] && p[i + 1] === d[i + 1] && p[i + 2] === d[i + 2]) {
        out[y * rect.w + x] = transparent;
        continue;
      }
      const k = index((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      if (k < 0) return null;
      out[y * rect.w + x] = k;
    }
  }
  return out;
}

/**
 * Sets the position of the frame just written. gifenc always places frames at (0, 0); the GIF
 * format lets a frame sit anywhere, so its image descriptor (after the 8-byte graphic control
 * extension gifenc writes first) gets the offset. The layout is checked, not assumed.
 */
function placeFrame(bytes: Uint8Array, start: number, x: number, y: number): void {
  const desc = start + 8;
  if (bytes[start] !== 0x21 || bytes[start + 1] !== 0xf9 || bytes[desc] !== 0x2c)
    throw new Error("gifenc wrote an unexpected frame layout: cannot place a partial frame");
  bytes[desc + 1] = x & 255;
  bytes[desc + 2] = x >> 8;
  bytes[desc + 3] = y & 255;
  bytes[desc + 4] = y >> 8;
}

function checkDelays(frames: readonly RgbFrame[], opts: GifOptions): number[] {
  const fps = opts.fps ?? 20;
  if (!(Number.isFinite(fps) && fps > 0 && fps <= 100))
    throw new ConfigError("fps", `must be a number in (0, 100], got ${fps}`);
  const delays = opts.delaysMs ?? frames.map(() => 1000 / fps);
  if (delays.length !== frames.length)
    throw new ConfigError("delaysMs", `has ${delays.length} entries for ${frames.length} frames`);
  delays.forEach((d, i) => {
    if (!(Number.isFinite(d) && d >= 0)) throw new ConfigError(`delaysMs[${i}]`, `must be >= 0 ms, got ${d}`);
  });
  return delays.map((d) => Math.max(MIN_DELAY_MS, d));
}

/** Encodes the frames as one animated GIF. */
export function encodeGif(frames: readonly RgbFrame[], opts: GifOptions = {}): Uint8Array {
  const { width, height } = checkFrames(frames);
  const delays = checkDelays(frames, opts);
  const rects: (Rect | null)[] = frames.map((f, i) =>
    i === 0 ? { x: 0, y: 0, w: width, h: height } : changedRect(frames[i - 1]!, f),
  );
  const transparent = MAX_COLORS;
  // Every frame's changed pixels as indices: exact colours first, the quantiser if they overflow.
  const exact = new ExactPalette();
  let palette: Palette = exact.colors;
  let patches = frames.map((f, i) =>
    rects[i]
      ? indexRect(f, i ? frames[i - 1]! : null, rects[i]!, (c) => exact.indexOf(c), transparent)
      : null,
  );
  if (patches.some((p, i) => p === null && rects[i] !== null)) {
    palette = quantizedPalette(frames);
    patches = frames.map((f, i) => {
      const r = rects[i];
      if (!r) return null;
      const indexed = applyPalette(rgbaOf(f, r), palette, "rgb565");
      const prev = i ? frames[i - 1]! : null;
      // Pixels the previous frame already shows stay transparent, as in the exact case.
      return indexRect(f, prev, r, () => 0, transparent)!.map((v, k) =>
        v === transparent ? v : indexed[k]!,
      );
    });
  }
  // The colour table: the palette padded to 255 entries, then the transparent entry.
  const table = [
    ...palette,
    ...Array.from({ length: MAX_COLORS - palette.length }, () => [0, 0, 0]),
    [0, 0, 0],
  ];
  const gif = GIFEncoder();
  const repeat = opts.loop === false ? -1 : 0;
  for (let i = 0; i < frames.length; i++) {
    const r = rects[i] ?? { x: 0, y: 0, w: 1, h: 1 };
    const pixels = patches[i] ?? Uint8Array.of(transparent);
    const before = gif.bytesView().length;
    gif.writeFrame(pixels, r.w, r.h, {
      palette: i === 0 ? table : undefined,
      delay: delays[i]!,
      repeat,
      transparent: i > 0,
      transparentIndex: transparent,
      dispose: 1,
    });
    if (i > 0) placeFrame(gif.bytesView(), before, r.x, r.y);
  }
  gif.finish();
  return gif.bytes();
}
