/**
 * Decodes a GIF with `omggif` (a decoder independent of the encoder under test) into the frames a
 * viewer shows: each frame blitted over the previous picture, transparent pixels left as they were
 * (the "do not dispose" disposal encodeGif writes). For tests only.
 */
import { GifReader } from "omggif";
import type { RgbFrame } from "../../../core/env.js";

export interface DecodedGif {
  width: number;
  height: number;
  /** The composited picture after each frame. */
  frames: RgbFrame[];
  /** Display time of each frame, ms. */
  delaysMs: number[];
  /** Each frame's rectangle as stored. */
  rects: { x: number; y: number; width: number; height: number; transparent: number | null }[];
  /** 0 = forever, null = play once. */
  loopCount: number | null;
}

export function decodeGif(bytes: Uint8Array): DecodedGif {
  const reader = new GifReader(bytes);
  const rgba = new Uint8Array(reader.width * reader.height * 4);
  const frames: RgbFrame[] = [];
  const delaysMs: number[] = [];
  const rects: DecodedGif["rects"] = [];
  for (let i = 0; i < reader.numFrames(); i++) {
    const info = reader.frameInfo(i);
    if (info.disposal !== 1) throw new Error(`frame ${i}: disposal ${info.disposal}, expected 1`);
    reader.decodeAndBlitFrameRGBA(i, rgba);
    const data = new Uint8Array(reader.width * reader.height * 3);
    for (let p = 0; p < reader.width * reader.height; p++) {
      data[p * 3] = rgba[p * 4]!;
      data[p * 3 + 1] = rgba[p * 4 + 1]!;
      data[p * 3 + 2] = rgba[p * 4 + 2]!;
    }
    frames.push({ width: reader.width, height: reader.height, data });
    delaysMs.push(info.delay * 10);
    rects.push({
      x: info.x,
      y: info.y,
      width: info.width,
      height: info.height,
      transparent: info.transparent_index,
    });
  }
  return {
    width: reader.width,
    height: reader.height,
    frames,
    delaysMs,
    rects,
    loopCount: reader.loopCount(),
  };
}
