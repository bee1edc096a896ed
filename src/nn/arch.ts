/**
 * Network architectures as short strings, the one parser behind `rldistill train` (a teacher's
 * `convs` + `hiddenSizes`) and `rldistill distill --student`:
 *
 *   "64,64"                 an MLP with two hidden layers of 64 (over the flattened observation)
 *   "fc64,fc64"             the same
 *   "conv16x3,fc128"        MinAtar's DQN baseline: 16 filters 3x3 (stride 1, valid), flatten, 128
 *   "conv32x3s2same,fc64"   stride 2, TensorFlow "same" padding
 *   "conv8x3"               convolutions straight into the output layer
 *
 * Tokens are separated by commas; convolutions (`conv<filters>x<kernel>[s<stride>][same]`) come
 * first, then dense widths (`<width>` or `fc<width>`). The output layer is not written: it is the
 * action head (or the value head) the algorithm adds.
 */
import { ConfigError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import { GAIN_HIDDEN } from "./init.js";
import { type ConvConfig, cnnLayers, mlpLayers } from "./sequential.js";
import type { Activation, LayerSpec } from "./spec.js";

export interface Architecture {
  /** Convolutions, in order (NHWC; a flatten follows the last). */
  convs: ConvConfig[];
  /** Dense hidden widths after the convolutions (or over the flat observation without them). */
  hidden: number[];
}

const CONV = /^conv(\d+)x(\d+)(?:s(\d+))?(same|valid)?$/;
const DENSE = /^(?:fc)?(\d+)$/;

const GRAMMAR =
  "comma-separated layers: conv<filters>x<kernel>[s<stride>][same] first, then dense widths (<width> or fc<width>), e.g. conv16x3,fc128 or 64,64";

/**
 * Parses an architecture string (see the module comment). Throws a ConfigError naming `field`,
 * the bad token and the grammar. Needs at least one layer.
 */
export function parseArch(text: string, field = "arch"): Architecture {
  if (typeof text !== "string" || text.trim() === "")
    throw new ConfigError(field, `is empty; expected ${GRAMMAR}`);
  const tokens = text
    .trim()
    .replace(/^\[|\]$/g, "")
    .split(",")
    .map((t) => t.trim().toLowerCase());
  const arch: Architecture = { convs: [], hidden: [] };
  for (const [i, token] of tokens.entries()) {
    const conv = CONV.exec(token);
    const dense = DENSE.exec(token);
    const positive = (s: string | undefined, what: string): number => {
      const n = Number(s);
      if (!(Number.isInteger(n) && n >= 1))
        throw new ConfigError(field, `layer ${i} ("${token}"): ${what} must be an integer >= 1`);
      return n;
    };
    if (conv) {
      if (arch.hidden.length > 0) {
        throw new ConfigError(
          field,
          `layer ${i} ("${token}") is a convolution after a dense layer; convolutions come first (${GRAMMAR})`,
        );
      }
      arch.convs.push({
        channels: positive(conv[1], "the filter count"),
        kernelSize: positive(conv[2], "the kernel size"),
        stride: conv[3] === undefined ? 1 : positive(conv[3], "the stride"),
        padding: conv[4] === "same" ? "same" : "valid",
      });
    } else if (dense) {
      arch.hidden.push(positive(dense[1], "the width"));
    } else {
      throw new ConfigError(field, `layer ${i} ("${token}") is not understood; expected ${GRAMMAR}`);
    }
  }
  return arch;
}

/** The canonical string of an architecture ("conv16x3,fc128", "64,64"); parseArch reads it back. */
export function formatArch(arch: Architecture): string {
  const convs = arch.convs.map(formatConv);
  const dense = arch.hidden.map((h) => (arch.convs.length > 0 ? `fc${h}` : String(h)));
  return [...convs, ...dense].join(",");
}

/** One convolution as a token: conv16x3, conv32x3s2same. */
export function formatConv(c: ConvConfig): string {
  const stride = (c.stride ?? 1) === 1 ? "" : `s${c.stride}`;
  return `conv${c.channels}x${c.kernelSize}${stride}${c.padding === "same" ? "same" : ""}`;
}

/** The conv part of an architecture string alone ("" without convolutions). */
export function parseConvs(text: string, field = "convs"): ConvConfig[] {
  if (text.trim() === "") return [];
  const arch = parseArch(text, field);
  if (arch.hidden.length > 0)
    throw new ConfigError(field, `holds dense layers ("${text}"); only conv<filters>x<kernel>... here`);
  return arch.convs;
}

export interface ArchLayerOptions {
  /** Hidden (conv and dense) activation. */
  activation: Activation;
  /** Orthogonal gain of the output layer (0.01 policy head, 1 value or Q head). */
  outGain: number;
  /** Output units; undefined ends the stack at its last hidden layer (a trunk for dueling heads). */
  outSize: number | undefined;
}

/**
 * Freshly initialised layers (orthogonal, CleanRL's gains) of an architecture over observations of
 * `obsShape`: convolutions need [height, width, channels]; without them it is an MLP over the
 * flattened observation (any shape).
 */
export function archLayers(
  arch: Architecture,
  obsShape: readonly number[],
  opts: ArchLayerOptions,
  rng: Rng,
) {
  const { activation, outGain, outSize } = opts;
  if (arch.convs.length > 0) {
    if (obsShape.length !== 3) {
      throw new ConfigError(
        "arch",
        `convolutions need image observations [height, width, channels], got [${obsShape}]; use dense widths only (e.g. 64,64)`,
      );
    }
    if (outSize === undefined && arch.hidden.length === 0)
      throw new ConfigError("arch", "a trunk (dueling heads) needs a dense layer after the convolutions");
    return cnnLayers(
      {
        inShape: obsShape as [number, number, number],
        convs: arch.convs,
        hidden: arch.hidden,
        outSize,
        activation,
        outGain,
      },
      rng,
    );
  }
  const inSize = obsShape.reduce((a, b) => a * b, 1);
  if (arch.hidden.length === 0) throw new ConfigError("arch", "needs at least one layer, e.g. 64,64");
  if (outSize === undefined) {
    return mlpLayers(
      {
        inSize,
        hidden: arch.hidden.slice(0, -1),
        outSize: arch.hidden[arch.hidden.length - 1]!,
        activation,
        outActivation: activation,
        outGain: GAIN_HIDDEN,
      },
      rng,
    ) as LayerSpec[];
  }
  return mlpLayers({ inSize, hidden: arch.hidden, outSize, activation, outGain }, rng) as LayerSpec[];
}

/**
 * PyTorch's default init of nn.Linear and nn.Conv2d (CleanRL's DQN): weights and biases uniform
 * in +-1/sqrt(fanIn) (kaiming_uniform with a = sqrt(5)), drawn layer by layer, weight then bias.
 * Overwrites the layers' arrays in place (the weight layout does not matter for i.i.d. draws).
 */
export function torchDefaultInit(layers: readonly LayerSpec[], rng: Rng): void {
  for (const l of layers) {
    if (l.kind === "flatten") continue;
    const fanIn = l.kind === "dense" ? l.inSize : l.kernelSize * l.kernelSize * l.inShape[2];
    const bound = 1 / Math.sqrt(fanIn);
    rng.fillUniform(l.weight, -bound, bound);
    rng.fillUniform(l.bias, -bound, bound);
  }
}

/** Checks hidden widths (a "0,32" student cannot work: a zero-width layer passes nothing on). */
export function checkHidden(field: string, hidden: readonly number[], allowEmpty = false): number[] {
  if (!Array.isArray(hidden) || (hidden.length === 0 && !allowEmpty)) {
    throw new ConfigError(field, "needs at least one hidden layer width, e.g. 32,32");
  }
  for (const [i, h] of hidden.entries()) {
    if (!(Number.isInteger(h) && h >= 1)) {
      throw new ConfigError(
        field,
        `layer ${i} has width ${String(h)}; widths must be integers >= 1, e.g. 32,32`,
      );
    }
  }
  return [...hidden];
}
