/**
 * Pictures of MinAtar observations, drawn as MinAtar's own `rgb_array` mode draws them: each cell
 * takes the colour of the highest-numbered channel active in it (black where none is), from a
 * palette of one colour per channel.
 *
 * Palette: the "cubehelix" colour scheme (D. A. Green 2011, "A colour scheme for the display of
 * astronomical intensity images", Bull. Astr. Soc. India 39, 289; matplotlib's defaults start 0.5,
 * rotations -1.5, hue 1, gamma 1) sampled at C evenly spaced interior points, the way MinAtar asks
 * seaborn for `color_palette("cubehelix", C)`: channel c gets the scheme at (c + 1) / (C + 1), read
 * from a 256-entry table. It runs from dark to light, so later channels (in MinAtar's order) are
 * brighter. Each grid cell is drawn as a `cellSize` x `cellSize` block (default 16: 160 x 160 px).
 */
import type { RgbFrame } from "../../core/env.js";
import { GRID } from "./game.js";

export const DEFAULT_CELL_SIZE = 16;

/** Green's cubehelix at intensity x in [0, 1], each component clipped to [0, 1]. */
function cubehelix(x: number): [number, number, number] {
  const start = 0.5;
  const rotations = -1.5;
  const hue = 1.0;
  const amp = (hue * x * (1 - x)) / 2;
  const phi = 2 * Math.PI * (start / 3 + rotations * x);
  const cos = Math.cos(phi);
  const sin = Math.sin(phi);
  const clip = (v: number): number => Math.min(1, Math.max(0, v));
  return [
    clip(x + amp * (-0.14861 * cos + 1.78277 * sin)),
    clip(x + amp * (-0.29227 * cos - 0.90649 * sin)),
    clip(x + amp * (1.97294 * cos)),
  ];
}

/**
 * RGB bytes of the palette for `numChannels` channels: entry 0 is the background (black), entry
 * c + 1 the colour of channel c; 3 bytes per entry.
 */
export function minatarPalette(numChannels: number): Uint8Array {
  const out = new Uint8Array(3 * (numChannels + 1));
  const table = 256;
  for (let c = 0; c < numChannels; c++) {
    // seaborn samples matplotlib's 256-entry colormap: entry floor(x * 256) holds the scheme at entry / 255.
    const x = (c + 1) / (numChannels + 1);
    const entry = Math.min(table - 1, Math.floor(x * table));
    const rgb = cubehelix(entry / (table - 1));
    for (let k = 0; k < 3; k++) out[3 * (c + 1) + k] = Math.round(rgb[k]! * 255);
  }
  return out;
}

/** Draws a (10, 10, C) observation (row-major, channel last) as an RGB frame. */
export function renderObservation(
  obs: Uint8Array,
  numChannels: number,
  palette: Uint8Array,
  cellSize = DEFAULT_CELL_SIZE,
): RgbFrame {
  const width = GRID * cellSize;
  const height = GRID * cellSize;
  const data = new Uint8Array(width * height * 3);
  for (let row = 0; row < GRID; row++) {
    for (let col = 0; col < GRID; col++) {
      const base = (row * GRID + col) * numChannels;
      let colour = 0;
      for (let c = numChannels - 1; c >= 0; c--) {
        if (obs[base + c]) {
          colour = c + 1;
          break;
        }
      }
      if (colour === 0) continue;
      const r = palette[3 * colour]!;
      const g = palette[3 * colour + 1]!;
      const b = palette[3 * colour + 2]!;
      for (let y = row * cellSize; y < (row + 1) * cellSize; y++) {
        for (let x = col * cellSize; x < (col + 1) * cellSize; x++) {
          const p = (y * width + x) * 3;
          data[p] = r;
          data[p + 1] = g;
          data[p + 2] = b;
        }
      }
    }
  }
  return { width, height, data };
}
