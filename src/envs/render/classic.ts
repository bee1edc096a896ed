/**
 * Pictures of the classic-control envs, drawn as Gymnasium 1.x draws them (same sizes, geometry
 * and colours; its pygame code is the reference for the layout): the cart and pole, the two-link
 * arm and its target line, the hill with the car and the flag, the pendulum rod.
 *
 * Gymnasium draws in a y-up surface and flips it at the end; these functions do the same by
 * mapping every world point through `up()`. Differences: no anti-aliasing (see canvas.ts), and
 * Pendulum's torque arrow is drawn as an arc with an arrowhead instead of Gymnasium's bitmap.
 */
import type { RgbFrame } from "../../core/env.js";
import { BLACK, Canvas, type Point, type Rgb, rotateTranslate } from "./canvas.js";

/** A rectangle [l, r] x [b, t] as Gymnasium lists its corners: (l, b), (l, t), (r, t), (r, b). */
function box(l: number, r: number, t: number, b: number): Point[] {
  return [
    [l, b],
    [l, t],
    [r, t],
    [r, b],
  ];
}

/** y-up world points to canvas pixels (y down). */
function up(canvas: Canvas, points: readonly Point[]): Point[] {
  return points.map(([x, y]) => [x, canvas.height - y]);
}

export const CARTPOLE_SIZE = { width: 600, height: 400 } as const;

export interface CartPolePicture {
  /** Cart position, m. */
  x: number;
  /** Pole angle, rad (0 upright, positive leaning right). */
  theta: number;
  /** Half the pole's length, m (the env's `length`). */
  length: number;
  /** |x| at which the episode ends, m: the picture spans twice it. */
  xThreshold: number;
}

export function drawCartPole(s: CartPolePicture): RgbFrame {
  const { width, height } = CARTPOLE_SIZE;
  const c = new Canvas(width, height);
  const scale = width / (2 * s.xThreshold);
  const poleWidth = 10;
  const poleLen = scale * (2 * s.length);
  const cartWidth = 50;
  const cartHeight = 30;
  const axleOffset = cartHeight / 4;
  const cartX = s.x * scale + width / 2;
  const cartY = 100;
  const cart = rotateTranslate(
    box(-cartWidth / 2, cartWidth / 2, cartHeight / 2, -cartHeight / 2),
    0,
    cartX,
    cartY,
  );
  c.fillPolygon(up(c, cart), BLACK);
  const pole = rotateTranslate(
    box(-poleWidth / 2, poleWidth / 2, poleLen - poleWidth / 2, -poleWidth / 2),
    -s.theta,
    cartX,
    cartY + axleOffset,
  );
  c.fillPolygon(up(c, pole), [202, 152, 101]);
  const [[ax, ay]] = up(c, [[cartX, cartY + axleOffset]]) as [Point];
  c.fillCircle(ax, ay, poleWidth / 2, [129, 132, 203]);
  c.line(0, height - cartY, width, height - cartY, 1, BLACK);
  return c.toFrame();
}

export const ACROBOT_SIZE = { width: 500, height: 500 } as const;

export interface AcrobotPicture {
  /** Angle of the first link from straight down, rad. */
  theta1: number;
  /** Angle of the second link relative to the first, rad. */
  theta2: number;
  linkLength1: number;
  linkLength2: number;
}

export function drawAcrobot(s: AcrobotPicture): RgbFrame {
  const dim = ACROBOT_SIZE.width;
  const c = new Canvas(dim, dim);
  const bound = s.linkLength1 + s.linkLength2 + 0.2;
  const scale = dim / (bound * 2);
  const offset = dim / 2;
  // The elbow, with x to the right and y up (Gymnasium computes it transposed, then swaps).
  const p1: Point = [s.linkLength1 * Math.sin(s.theta1) * scale, -s.linkLength1 * Math.cos(s.theta1) * scale];
  // The target: the tip must rise above one (first-link) length over the pivot.
  const lineY = dim - (1 * scale + offset);
  c.line(-2.2 * scale + offset, lineY, 2.2 * scale + offset, lineY, 1, BLACK);
  const joints: [Point, number, number][] = [
    [[0, 0], s.theta1 - Math.PI / 2, s.linkLength1 * scale],
    [p1, s.theta1 + s.theta2 - Math.PI / 2, s.linkLength2 * scale],
  ];
  for (const [[x, y], th, len] of joints) {
    const link = rotateTranslate(box(0, len, 0.1 * scale, -0.1 * scale), th, x + offset, y + offset);
    c.fillPolygon(up(c, link), [0, 204, 204]);
    const [[jx, jy]] = up(c, [[x + offset, y + offset]]) as [Point];
    c.fillCircle(jx, jy, 0.1 * scale, [204, 204, 0]);
  }
  return c.toFrame();
}

export const MOUNTAIN_CAR_SIZE = { width: 600, height: 400 } as const;

export interface MountainCarPicture {
  position: number;
  /** Where the flag stands (0.5 for MountainCar-v0, 0.45 for the continuous one). */
  goalPosition: number;
  minPosition: number;
  maxPosition: number;
}

/** The hill's height at position x, as the env's dynamics imply (sin(3x) * 0.45 + 0.55). */
function hill(x: number): number {
  return Math.sin(3 * x) * 0.45 + 0.55;
}

export function drawMountainCar(s: MountainCarPicture): RgbFrame {
  const { width, height } = MOUNTAIN_CAR_SIZE;
  const c = new Canvas(width, height);
  const scale = width / (s.maxPosition - s.minPosition);
  const carWidth = 40;
  const carHeight = 20;
  const clearance = 10;
  const curve: Point[] = [];
  for (let i = 0; i < 100; i++) {
    const x = s.minPosition + ((s.maxPosition - s.minPosition) * i) / 99;
    curve.push([(x - s.minPosition) * scale, hill(x) * scale]);
  }
  c.polyline(up(c, curve), 1, BLACK);
  const angle = Math.cos(3 * s.position);
  const cx = (s.position - s.minPosition) * scale;
  const cy = clearance + hill(s.position) * scale;
  const car = rotateTranslate(box(-carWidth / 2, carWidth / 2, carHeight, 0), angle, cx, cy);
  c.fillPolygon(up(c, car), BLACK);
  const wheels = rotateTranslate(
    [
      [carWidth / 4, 0],
      [-carWidth / 4, 0],
    ],
    angle,
    cx,
    cy,
  );
  for (const [wx, wy] of up(c, wheels)) c.fillCircle(wx, wy, carHeight / 2.5, [128, 128, 128]);
  const flagX = Math.trunc((s.goalPosition - s.minPosition) * scale);
  const flagY1 = Math.trunc(hill(s.goalPosition) * scale);
  const flagY2 = flagY1 + 50;
  c.line(flagX + 0.5, height - flagY1, flagX + 0.5, height - flagY2, 1, BLACK);
  const flag: Point[] = [
    [flagX, flagY2],
    [flagX, flagY2 - 10],
    [flagX + 25, flagY2 - 5],
  ];
  c.fillPolygon(up(c, flag), [204, 204, 0]);
  return c.toFrame();
}

export const PENDULUM_SIZE = { width: 500, height: 500 } as const;

export interface PendulumPicture {
  /** Angle from upright, rad. */
  theta: number;
  /** The last torque applied (clipped), or null before the first step: drawn as a curved arrow. */
  lastTorque: number | null;
  /** The torque limit: the arrow's size is |torque| / maxTorque of the largest. */
  maxTorque: number;
}

const ROD: Rgb = [204, 77, 77];

export function drawPendulum(s: PendulumPicture): RgbFrame {
  const dim = PENDULUM_SIZE.width;
  const c = new Canvas(dim, dim);
  const scale = dim / (2.2 * 2);
  const offset = dim / 2;
  const rodLength = 1 * scale;
  const rodWidth = 0.2 * scale;
  const rod = rotateTranslate(
    box(0, rodLength, rodWidth / 2, -rodWidth / 2),
    s.theta + Math.PI / 2,
    offset,
    offset,
  );
  c.fillPolygon(up(c, rod), ROD);
  c.fillCircle(offset, dim - offset, rodWidth / 2, ROD);
  const [[ex, ey]] = up(c, rotateTranslate([[rodLength, 0]], s.theta + Math.PI / 2, offset, offset)) as [
    Point,
  ];
  c.fillCircle(ex, ey, rodWidth / 2, ROD);
  if (s.lastTorque !== null && s.lastTorque !== 0) drawTorqueArrow(c, s.lastTorque / s.maxTorque, scale);
  c.fillCircle(offset, dim - offset, 0.05 * scale, BLACK);
  return c.toFrame();
}

/**
 * A three-quarter circle around the pivot with an arrowhead: counter-clockwise for a positive
 * torque (it turns theta the way it increases), its radius growing with |torque|.
 */
function drawTorqueArrow(c: Canvas, fraction: number, scale: number): void {
  const r = (scale / 4) * Math.min(1, Math.abs(fraction));
  if (r < 4) return;
  const o = c.width / 2;
  const dir = Math.sign(fraction);
  const start = -Math.PI / 4;
  const sweep = 1.5 * Math.PI * dir;
  const pts: Point[] = [];
  for (let i = 0; i <= 24; i++) {
    const a = start + (sweep * i) / 24;
    pts.push([o + r * Math.cos(a), o + r * Math.sin(a)]);
  }
  const thickness = Math.max(2, r / 8);
  c.polyline(up(c, pts), thickness, BLACK);
  const end = start + sweep;
  const tip: Point = [o + r * Math.cos(end), o + r * Math.sin(end)];
  // Tangent at the end of the arc, in the direction of travel.
  const tx = -Math.sin(end) * dir;
  const ty = Math.cos(end) * dir;
  const head = 3 * thickness;
  const nx = Math.cos(end);
  const ny = Math.sin(end);
  const arrow: Point[] = [
    [tip[0] + tx * head, tip[1] + ty * head],
    [tip[0] + nx * head * 0.8, tip[1] + ny * head * 0.8],
    [tip[0] - nx * head * 0.8, tip[1] - ny * head * 0.8],
  ];
  c.fillPolygon(up(c, arrow), BLACK);
}
