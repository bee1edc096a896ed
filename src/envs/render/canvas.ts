/**
 * A small RGB canvas with the drawing primitives the env pictures need: filled rectangles,
 * polygons and circles, and lines with a thickness.
 *
 *   const c = new Canvas(600, 400);            // white
 *   c.fillPolygon([[10, 10], [50, 10], [30, 40]], BLACK);
 *   c.line(0, 100, 600, 100, 1, BLACK);
 *   const frame = c.toFrame();                 // RgbFrame: 3 bytes per pixel, row-major
 *
 * Coordinates are in pixels from the top-left corner, y down, as the frame is stored. Pixel (i, j)
 * covers the square [i, i+1) x [j, j+1) and is painted when its centre (i + 0.5, j + 0.5) lies
 * inside the shape (the usual rasterisation rule; a shape's edges are half-open so two shapes that
 * share an edge never paint the same pixel twice). No anti-aliasing: edges are hard and a picture
 * holds only the colours it was drawn with, which keeps GIFs small. Downscaling a frame with
 * `scaleFrame` (area averaging) smooths the edges where a softer picture is wanted.
 */
import type { RgbFrame } from "../../core/env.js";
import { ConfigError } from "../../core/errors.js";

/** An RGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];
/** A point [x, y] in pixels. */
export type Point = readonly [number, number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

export class Canvas {
  readonly width: number;
  readonly height: number;
  /** height x width x 3 bytes, row-major from the top-left corner (the RgbFrame layout). */
  readonly data: Uint8Array;

  constructor(width: number, height: number, background: Rgb = WHITE) {
    for (const [field, v] of [
      ["width", width],
      ["height", height],
    ] as const) {
      if (!(Number.isInteger(v) && v >= 1 && v <= 16384))
        throw new ConfigError(`Canvas.${field}`, `must be an integer in [1, 16384], got ${v}`);
    }
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 3);
    this.clear(background);
  }

  clear(color: Rgb): void {
    const d = this.data;
    const [r, g, b] = color;
    if (r === g && g === b) {
      d.fill(r);
      return;
    }
    for (let i = 0; i < d.length; i += 3) {
      d[i] = r;
      d[i + 1] = g;
      d[i + 2] = b;
    }
  }

  /** The colour of pixel (x, y). */
  pixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.data[i]!, this.data[i + 1]!, this.data[i + 2]!];
  }

  /** Paints pixels x0..x1-1 of row y (clipped to the canvas). */
  private span(y: number, x0: number, x1: number, color: Rgb): void {
    if (y < 0 || y >= this.height) return;
    const a = Math.max(0, x0);
    const b = Math.min(this.width, x1);
    const d = this.data;
    for (let i = (y * this.width + a) * 3, end = (y * this.width + b) * 3; i < end; i += 3) {
      d[i] = color[0];
      d[i + 1] = color[1];
      d[i + 2] = color[2];
    }
  }

  /** The rectangle [x, x + w) x [y, y + h). */
  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    // Pixel i is inside [lo, hi) when its centre is: i + 0.5 >= lo and i + 0.5 < hi.
    const x0 = Math.ceil(x - 0.5);
    const x1 = Math.ceil(x + w - 0.5);
    const y0 = Math.max(0, Math.ceil(y - 0.5));
    const y1 = Math.min(this.height, Math.ceil(y + h - 0.5));
    for (let row = y0; row < y1; row++) this.span(row, x0, x1, color);
  }

  /**
   * A polygon (any number of vertices, convex or not, even-odd rule), filled by scanlines through
   * the pixel centres.
   */
  fillPolygon(points: readonly Point[], color: Rgb): void {
    const n = points.length;
    if (n < 3) return;
    let minY = Number.POSITIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (const [, y] of points) {
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    const y0 = Math.max(0, Math.ceil(minY - 0.5));
    const y1 = Math.min(this.height, Math.ceil(maxY - 0.5));
    const xs: number[] = [];
    for (let row = y0; row < y1; row++) {
      const cy = row + 0.5;
      xs.length = 0;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const [xi, yi] = points[i]!;
        const [xj, yj] = points[j]!;
        // Half-open in y, so a vertex shared by two edges is counted once.
        if (yi <= cy !== yj <= cy) xs.push(xi + ((cy - yi) / (yj - yi)) * (xj - xi));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        this.span(row, Math.ceil(xs[k]! - 0.5), Math.ceil(xs[k + 1]! - 0.5), color);
      }
    }
  }

  /** The disc of radius r around (cx, cy): pixels whose centre is strictly closer than r. */
  fillCircle(cx: number, cy: number, r: number, color: Rgb): void {
    if (!(r > 0)) return;
    const y0 = Math.max(0, Math.floor(cy - r - 0.5) + 1);
    const y1 = Math.min(this.height, Math.ceil(cy + r - 0.5));
    for (let row = y0; row < y1; row++) {
      const dy = row + 0.5 - cy;
      const half = Math.sqrt(Math.max(0, r * r - dy * dy));
      // Centres strictly inside on both sides, so the disc is symmetric about its centre.
      if (half > 0) this.span(row, Math.floor(cx - half - 0.5) + 1, Math.ceil(cx + half - 0.5), color);
    }
  }

  /**
   * A straight line of the given thickness from (x0, y0) to (x1, y1): the rectangle around the
   * segment, with round ends when `round` (so joined segments leave no gaps). A thickness below
   * one pixel is drawn one pixel wide, so thin lines never vanish.
   */
  line(x0: number, y0: number, x1: number, y1: number, thickness: number, color: Rgb, round = false): void {
    const t = Math.max(1, thickness) / 2;
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (len > 0) {
      // Unit normal times half the thickness.
      const nx = (-(y1 - y0) / len) * t;
      const ny = ((x1 - x0) / len) * t;
      this.fillPolygon(
        [
          [x0 + nx, y0 + ny],
          [x1 + nx, y1 + ny],
          [x1 - nx, y1 - ny],
          [x0 - nx, y0 - ny],
        ],
        color,
      );
    }
    if (round || len === 0) {
      this.fillCircle(x0, y0, t, color);
      this.fillCircle(x1, y1, t, color);
    }
  }

  /** Consecutive points joined by lines with round joints. */
  polyline(points: readonly Point[], thickness: number, color: Rgb): void {
    for (let i = 0; i + 1 < points.length; i++) {
      const [x0, y0] = points[i]!;
      const [x1, y1] = points[i + 1]!;
      this.line(x0, y0, x1, y1, thickness, color, true);
    }
  }

  /** The picture as an RgbFrame (shares this canvas's bytes). */
  toFrame(): RgbFrame {
    return { width: this.width, height: this.height, data: this.data };
  }
}

/** Points rotated by `angle` radians (counter-clockwise in a y-up frame) about the origin, then moved by (dx, dy). */
export function rotateTranslate(points: readonly Point[], angle: number, dx: number, dy: number): Point[] {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return points.map(([x, y]) => [x * c - y * s + dx, x * s + y * c + dy]);
}
