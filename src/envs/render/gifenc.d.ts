/**
 * Types for the parts of `gifenc` 1.0 (github.com/mattdesl/gifenc; it ships no declarations) that
 * gif.ts uses. The package is CommonJS: its functions sit on the default export.
 */
declare module "gifenc" {
  type Palette = number[][];
  type Format = "rgb565" | "rgb444" | "rgba4444";

  interface WriteFrameOptions {
    /** Required on the first frame (it becomes the global colour table). */
    palette?: Palette;
    /** Milliseconds (stored rounded to hundredths of a second). */
    delay?: number;
    /** -1 plays once, 0 forever, n > 0 n extra times. */
    repeat?: number;
    transparent?: boolean;
    transparentIndex?: number;
    /** GIF disposal method; -1 lets gifenc choose. */
    dispose?: number;
  }

  interface Encoder {
    writeFrame(index: Uint8Array, width: number, height: number, opts?: WriteFrameOptions): void;
    finish(): void;
    bytes(): Uint8Array;
    /** The bytes written so far, a writable view valid until the next write. */
    bytesView(): Uint8Array;
  }

  interface Gifenc {
    GIFEncoder(opts?: { initialCapacity?: number; auto?: boolean }): Encoder;
    quantize(rgba: Uint8Array, maxColors: number, opts?: { format?: Format }): Palette;
    applyPalette(rgba: Uint8Array, palette: Palette, format?: Format): Uint8Array;
  }

  const gifenc: Gifenc;
  export default gifenc;
}
