import { describe, expect, test } from "vitest";
import { BLACK, Canvas, type Rgb, rotateTranslate, WHITE } from "./canvas.js";

const RED: Rgb = [255, 0, 0];

/** The canvas as rows of "#" (painted with `color`) and "." (anything else). */
function ascii(c: Canvas, color: Rgb = RED): string[] {
  const rows: string[] = [];
  for (let y = 0; y < c.height; y++) {
    let row = "";
    for (let x = 0; x < c.width; x++) row += c.pixel(x, y).join() === color.join() ? "#" : ".";
    rows.push(row);
  }
  return rows;
}

describe("Canvas", () => {
  test("starts as the background colour, 3 bytes per pixel, row-major", () => {
    const c = new Canvas(3, 2, [1, 2, 3]);
    expect(Array.from(c.data)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(c.toFrame()).toMatchObject({ width: 3, height: 2 });
    const w = new Canvas(2, 1);
    expect(Array.from(w.data)).toEqual([255, 255, 255, 255, 255, 255]);
    expect(() => new Canvas(0, 2)).toThrow(/Canvas.width.*integer in \[1, 16384\]/);
    expect(() => new Canvas(2, 2.5)).toThrow(/Canvas.height/);
  });

  test("fillRect paints the pixels whose centres lie inside [x, x+w) x [y, y+h)", () => {
    const c = new Canvas(5, 4);
    c.fillRect(1, 1, 2, 2, RED);
    expect(ascii(c)).toEqual([".....", ".##..", ".##..", "....."]);
    // [0.6, 2.6) x [-5, 1.4) holds the centres x = 1.5, 2.5 and y = 0.5 only (clipped at the top).
    const d = new Canvas(5, 3);
    d.fillRect(0.6, -5, 2, 6.4, RED);
    expect(ascii(d)).toEqual([".##..", ".....", "....."]);
    // Two rectangles sharing an edge paint disjoint pixels.
    const e = new Canvas(4, 1);
    e.fillRect(0, 0, 2, 1, RED);
    e.fillRect(2, 0, 2, 1, BLACK);
    expect(ascii(e)).toEqual(["##.."]);
    expect(ascii(e, BLACK)).toEqual(["..##"]);
  });

  test("fillPolygon: a right triangle by the centre rule, and a concave shape by even-odd", () => {
    const c = new Canvas(4, 4);
    c.fillPolygon(
      [
        [0, 0],
        [4, 0],
        [0, 4],
      ],
      RED,
    );
    // Centre (x+0.5, y+0.5) inside when x + y + 1 < 4.
    expect(ascii(c)).toEqual(["###.", "##..", "#...", "...."]);
    const u = new Canvas(5, 3);
    u.fillPolygon(
      [
        [0, 0],
        [5, 0],
        [5, 3],
        [3, 3],
        [3, 1],
        [2, 1],
        [2, 3],
        [0, 3],
      ],
      RED,
    );
    expect(ascii(u)).toEqual(["#####", "##.##", "##.##"]);
    // Fewer than three points draw nothing.
    const e = new Canvas(2, 2);
    e.fillPolygon(
      [
        [0, 0],
        [2, 2],
      ],
      RED,
    );
    expect(ascii(e)).toEqual(["..", ".."]);
  });

  test("fillCircle paints pixels whose centre is closer than r", () => {
    const c = new Canvas(7, 7);
    // Centres sit at whole offsets from (3.5, 3.5): inside when dx^2 + dy^2 < 2.3^2 = 5.29.
    c.fillCircle(3.5, 3.5, 2.3, RED);
    expect(ascii(c)).toEqual([".......", "..###..", ".#####.", ".#####.", ".#####.", "..###..", "......."]);
    // Partly outside the canvas: clipped, no throw.
    const d = new Canvas(3, 3);
    d.fillCircle(0, 0, 1.6, RED);
    expect(ascii(d)).toEqual(["##.", "#..", "..."]);
  });

  test("line has the given thickness, at least one pixel, and round ends when asked", () => {
    const c = new Canvas(6, 5);
    c.line(0, 2.5, 6, 2.5, 1, RED);
    expect(ascii(c)).toEqual(["......", "......", "######", "......", "......"]);
    const t = new Canvas(6, 5);
    t.line(1, 2.5, 5, 2.5, 3, RED);
    expect(ascii(t)).toEqual(["......", ".####.", ".####.", ".####.", "......"]);
    // The caps are discs of radius 1.5 at both ends: they add pixels 1 and 6 on rows 1 to 3.
    const r = new Canvas(8, 5);
    r.line(2, 2.5, 6, 2.5, 3, RED, true);
    expect(ascii(r)).toEqual(["........", ".######.", ".######.", ".######.", "........"]);
    // A vertical hairline of thickness 0.2 is still one pixel wide.
    const v = new Canvas(3, 3);
    v.line(1.5, 0, 1.5, 3, 0.2, RED);
    expect(ascii(v)).toEqual([".#.", ".#.", ".#."]);
  });

  test("polyline joins segments without gaps", () => {
    const c = new Canvas(5, 5);
    c.polyline(
      [
        [0.5, 0.5],
        [4.5, 0.5],
        [4.5, 4.5],
      ],
      1,
      RED,
    );
    expect(ascii(c)).toEqual(["#####", "....#", "....#", "....#", "....#"]);
  });

  test("rotateTranslate turns counter-clockwise (y up) and then moves", () => {
    const [p, q] = rotateTranslate(
      [
        [1, 0],
        [0, 2],
      ],
      Math.PI / 2,
      10,
      20,
    );
    expect(p![0]).toBeCloseTo(10, 12);
    expect(p![1]).toBeCloseTo(21, 12);
    expect(q![0]).toBeCloseTo(8, 12);
    expect(q![1]).toBeCloseTo(20, 12);
  });

  test("clear repaints every pixel, grey or coloured", () => {
    const c = new Canvas(2, 2, BLACK);
    c.clear(WHITE);
    expect(new Set(c.data)).toEqual(new Set([255]));
    c.clear(RED);
    expect(ascii(c)).toEqual(["##", "##"]);
  });
});
