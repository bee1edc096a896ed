/**
 * A minimal picture of a MuJoCo scene for the report's GIFs: an orthographic side view (x-z) or top
 * view (x-y), capsules and cylinders drawn as thick segments, spheres as discs, the floor as a band
 * with a tick every metre (so forward motion shows while the camera follows the robot).
 *
 * Kept private to the MuJoCo envs until shared drawing primitives exist in src/envs/render/.
 */
import type { RgbFrame } from "../../core/env.js";
import type { MjData, MjModel } from "./runtime.js";

export interface View {
  /** "xz": seen from the side (looking along +y); "xy": seen from above. */
  plane: "xz" | "xy";
  width: number;
  height: number;
  pixelsPerMeter: number;
  /** Body whose position the picture is centred on (horizontal axis only in "xz"); -1 for the origin. */
  followBody: number;
  /** World coordinate at the picture's vertical centre ("xz": height z; "xy": y). */
  center: number;
}

// MuJoCo's mjtGeom codes.
const PLANE = 0;
const SPHERE = 2;
const CAPSULE = 3;
const ELLIPSOID = 4;
const CYLINDER = 5;
const BOX = 6;

const SKY = [235, 240, 245];
const GROUND = [200, 215, 200];
const TICK = [120, 140, 120];

interface Shape {
  depth: number;
  a: [number, number];
  b: [number, number];
  radius: number;
  color: [number, number, number];
}

export function drawScene(model: MjModel, data: MjData, view: View): RgbFrame {
  const { width, height, pixelsPerMeter: ppm } = view;
  const pixels = new Uint8Array(width * height * 3);
  const xpos = data.xpos as Float64Array;
  const cx = view.followBody >= 0 ? xpos[3 * view.followBody]! : 0;
  const side = view.plane === "xz";
  // Picture coordinates of a world point (u = horizontal, v = vertical world axis).
  const toPx = (u: number, v: number): [number, number] => [
    width / 2 + (u - cx) * ppm,
    height / 2 - (v - view.center) * ppm,
  ];
  fill(pixels, SKY);

  const types = model.geom_type as Int32Array;
  const sizes = model.geom_size as Float64Array;
  const rgba = model.geom_rgba as Float32Array;
  const gpos = data.geom_xpos as Float64Array;
  const gmat = data.geom_xmat as Float64Array;
  const shapes: Shape[] = [];
  for (let g = 0; g < model.ngeom; g++) {
    const type = types[g]!;
    const p = [gpos[3 * g]!, gpos[3 * g + 1]!, gpos[3 * g + 2]!];
    if (type === PLANE) {
      if (side) drawGround(pixels, width, height, toPx(cx, p[2]!)[1], cx, ppm);
      else drawGrid(pixels, width, height, toPx, cx, view.center, ppm);
      continue;
    }
    const color: [number, number, number] = [
      Math.round(255 * rgba[4 * g]!),
      Math.round(255 * rgba[4 * g + 1]!),
      Math.round(255 * rgba[4 * g + 2]!),
    ];
    // The geom's local z axis (third column of its rotation matrix) carries capsule/cylinder length.
    const axis = [gmat[9 * g + 2]!, gmat[9 * g + 5]!, gmat[9 * g + 8]!];
    const half = type === CAPSULE || type === CYLINDER ? sizes[3 * g + 1]! : 0;
    const radius =
      type === BOX || type === ELLIPSOID ? Math.max(sizes[3 * g]!, sizes[3 * g + 2]!) : sizes[3 * g]!;
    if (type !== SPHERE && type !== CAPSULE && type !== CYLINDER && type !== BOX && type !== ELLIPSOID)
      continue;
    const ends = [-1, 1].map((s) => p.map((v, i) => v + s * half * axis[i]!));
    const project = (q: number[]): [number, number] => (side ? toPx(q[0]!, q[2]!) : toPx(q[0]!, q[1]!));
    shapes.push({
      depth: side ? -p[1]! : p[2]!,
      a: project(ends[0]!),
      b: project(ends[1]!),
      radius: Math.max(1, radius * ppm),
      color,
    });
  }
  shapes.sort((s, t) => s.depth - t.depth);
  for (const s of shapes) drawSegment(pixels, width, height, s);
  return { width, height, data: pixels };
}

function fill(pixels: Uint8Array, color: readonly number[]): void {
  for (let i = 0; i < pixels.length; i += 3) {
    pixels[i] = color[0]!;
    pixels[i + 1] = color[1]!;
    pixels[i + 2] = color[2]!;
  }
}

function put(pixels: Uint8Array, width: number, x: number, y: number, color: readonly number[]): void {
  const i = 3 * (y * width + x);
  pixels[i] = color[0]!;
  pixels[i + 1] = color[1]!;
  pixels[i + 2] = color[2]!;
}

function drawGround(
  pixels: Uint8Array,
  w: number,
  h: number,
  groundY: number,
  cx: number,
  ppm: number,
): void {
  const top = Math.max(0, Math.round(groundY));
  for (let y = top; y < h; y++) for (let x = 0; x < w; x++) put(pixels, w, x, y, GROUND);
  // A tick every metre, at world x = k.
  const first = Math.ceil(cx - w / 2 / ppm);
  for (let k = first; k <= cx + w / 2 / ppm; k++) {
    const x = Math.round(w / 2 + (k - cx) * ppm);
    for (let y = top; y < Math.min(h, top + 6); y++) if (x >= 0 && x < w) put(pixels, w, x, y, TICK);
  }
}

function drawGrid(
  pixels: Uint8Array,
  w: number,
  h: number,
  toPx: (u: number, v: number) => [number, number],
  cx: number,
  cy: number,
  ppm: number,
): void {
  fill(pixels, GROUND);
  const spanU = w / 2 / ppm;
  const spanV = h / 2 / ppm;
  for (let k = Math.ceil(cx - spanU); k <= cx + spanU; k++) {
    const x = Math.round(toPx(k, 0)[0]);
    if (x >= 0 && x < w) for (let y = 0; y < h; y++) put(pixels, w, x, y, TICK);
  }
  for (let k = Math.ceil(cy - spanV); k <= cy + spanV; k++) {
    const y = Math.round(toPx(cx, k)[1]);
    if (y >= 0 && y < h) for (let x = 0; x < w; x++) put(pixels, w, x, y, TICK);
  }
}

/** Every pixel within `radius` of the segment a-b (a thick line with round caps). */
function drawSegment(pixels: Uint8Array, w: number, h: number, s: Shape): void {
  const [ax, ay] = s.a;
  const [bx, by] = s.b;
  const r = s.radius;
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r));
  const x1 = Math.min(w - 1, Math.ceil(Math.max(ax, bx) + r));
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
  const y1 = Math.min(h - 1, Math.ceil(Math.max(ay, by) + r));
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - ax;
      const py = y + 0.5 - ay;
      const t = len2 > 0 ? Math.min(1, Math.max(0, (px * dx + py * dy) / len2)) : 0;
      const ex = px - t * dx;
      const ey = py - t * dy;
      if (ex * ex + ey * ey <= r * r) put(pixels, w, x, y, s.color);
    }
  }
}
