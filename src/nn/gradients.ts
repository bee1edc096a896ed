/**
 * Gradients for the ops rldistill differentiates through.
 *
 * tfjs-core's npm bundle for Node ships no gradient functions (the umbrella @tensorflow/tfjs
 * package registers them, and its ESM sources cannot be imported by Node), so `tf.grad` fails
 * with "gradient function not found for Sum" unless these are registered. The list below is
 * the project's differentiable op set: an op missing here cannot appear between a variable and a
 * loss. The formulas follow tfjs-core 4.22 src/gradients (Apache-2.0), with two deliberate
 * changes: BatchMatMul's gradient transposes explicitly and then multiplies plainly (matMul with
 * transpose flags is 13-20x slower on wasm), and masks are multiplied in rather than selected
 * with `where`, which keeps comparison ops out of the backward pass.
 */
import * as tf from "@tensorflow/tfjs-core";

type Tensor = tf.Tensor;
type Attrs = Record<string, unknown>;
type GradMap = Record<string, () => Tensor>;

const bu = tf.backend_util;

/** Sums `dy` over the axes that broadcasting added, back to `shape`. */
function unbroadcast(dy: Tensor, shape: number[]): Tensor {
  const axes = bu.getReductionAxes(shape, dy.shape);
  const res = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(res, shape);
}

type BinaryGrad = (dy: Tensor, a: Tensor, b: Tensor) => Tensor;

function binary(kernelName: string, da: BinaryGrad, db: BinaryGrad): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [Tensor, Tensor];
      const d = dy as Tensor;
      return { a: () => unbroadcast(da(d, a, b), a.shape), b: () => unbroadcast(db(d, a, b), b.shape) };
    },
  };
}

/** Unary op whose gradient needs the input x. */
function unaryX(kernelName: string, dx: (dy: Tensor, x: Tensor) => Tensor): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => ({ x: () => dx(dy as Tensor, saved[0]!) }),
  };
}

/** Unary op whose gradient needs the output y. */
function unaryY(kernelName: string, dx: (dy: Tensor, y: Tensor) => Tensor, input = "x"): tf.GradConfig {
  return {
    kernelName,
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ [input]: () => dx(dy as Tensor, saved[0]!) }),
  };
}

/** Piecewise-constant ops (comparisons, masks): zero gradient, so `where(greater(x, 0), ...)` works. */
function zeroGrad(kernelName: string, inputs: string[]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy, saved) => {
      const out: GradMap = {};
      inputs.forEach((name, i) => {
        out[name] = () => tf.zeros(saved[i]!.shape, "float32");
      });
      return out;
    },
  };
}

function keepDimShape(shape: number[], axes: number[]): number[] {
  const s = shape.slice();
  for (const a of axes) s[a] = 1;
  return s;
}

function reduceGrad(kernelName: string, axisAttr: string, scaleByCount: boolean): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      const axes = tf.util.parseAxisParam((attrs as Attrs)[axisAttr] as number | number[], x.shape);
      return {
        x: () => {
          const g = tf.mul(tf.reshape(dy as Tensor, keepDimShape(x.shape, axes)), tf.ones(x.shape));
          if (!scaleByCount) return g;
          let count = 1;
          for (const a of axes) count *= x.shape[a]!;
          return tf.div(g, count);
        },
      };
    },
  };
}

function minMaxGrad(kernelName: string, axisAttr: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ["x"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved as [Tensor, Tensor];
      const axes = tf.util.parseAxisParam((attrs as Attrs)[axisAttr] as number | number[], x.shape);
      const kept = keepDimShape(x.shape, axes);
      return {
        x: () => tf.mul(tf.reshape(dy as Tensor, kept), tf.cast(tf.equal(x, tf.reshape(y, kept)), "float32")),
      };
    },
  };
}

const mask = (t: Tensor): Tensor => tf.cast(t, "float32");

const CONFIGS: tf.GradConfig[] = [
  binary(
    "Add",
    (dy) => dy,
    (dy) => dy,
  ),
  binary(
    "Sub",
    (dy) => dy,
    (dy) => tf.neg(dy),
  ),
  binary(
    "Multiply",
    (dy, _a, b) => tf.mul(dy, b),
    (dy, a) => tf.mul(dy, a),
  ),
  binary(
    "RealDiv",
    (dy, _a, b) => tf.div(dy, b),
    (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
  ),
  binary(
    "SquaredDifference",
    (dy, a, b) => tf.mul(dy, tf.mul(2, tf.sub(a, b))),
    (dy, a, b) => tf.mul(dy, tf.mul(2, tf.sub(b, a))),
  ),
  // Ties send the gradient to `a` only, as tfjs and TensorFlow do. Masks come from step(),
  // as comparison kernels are 10-20x slower than step on wasm; step(d) = d > 0 ? 1 : 0.
  binary(
    "Maximum",
    (dy, a, b) => tf.mul(dy, tf.sub(1, tf.step(tf.sub(b, a)))),
    (dy, a, b) => tf.mul(dy, tf.step(tf.sub(b, a))),
  ),
  binary(
    "Minimum",
    (dy, a, b) => tf.mul(dy, tf.sub(1, tf.step(tf.sub(a, b)))),
    (dy, a, b) => tf.mul(dy, tf.step(tf.sub(a, b))),
  ),
  {
    kernelName: "Pow",
    inputsToSave: ["a", "b"],
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [a, b, y] = saved as [Tensor, Tensor, Tensor];
      const d = dy as Tensor;
      return {
        a: () => unbroadcast(tf.mul(d, tf.mul(b, tf.pow(a, tf.sub(b, 1)))), a.shape),
        // log(a) only where a > 0 (the exponent's gradient is 0 elsewhere, as in tfjs).
        b: () => {
          const pos = mask(tf.greater(a, 0));
          const logA = tf.mul(tf.log(tf.add(tf.mul(a, pos), tf.sub(1, pos))), pos);
          return unbroadcast(tf.mul(d, tf.mul(y, logA)), b.shape);
        },
      };
    },
  },
  {
    kernelName: "AddN",
    saveAllInputs: true,
    gradFunc: (dy, saved) => {
      const out: GradMap = {};
      saved.forEach((_, i) => {
        out[i] = () => (dy as Tensor).clone();
      });
      return out;
    },
  },
  { kernelName: "Neg", gradFunc: (dy) => ({ x: () => tf.neg(dy as Tensor) }) },
  unaryX("Square", (dy, x) => tf.mul(dy, tf.mul(x, 2))),
  unaryX("Sqrt", (dy, x) => tf.div(dy, tf.mul(tf.sqrt(x), 2))),
  unaryX("Rsqrt", (dy, x) => tf.mul(dy, tf.mul(-0.5, tf.pow(tf.rsqrt(x), 3)))),
  unaryX("Reciprocal", (dy, x) => tf.div(dy, tf.neg(tf.square(x)))),
  unaryY("Exp", (dy, y) => tf.mul(dy, y)),
  unaryX("Log", (dy, x) => tf.div(dy, x)),
  unaryX("Log1p", (dy, x) => tf.div(dy, tf.add(x, 1))),
  unaryX("Abs", (dy, x) => tf.mul(dy, tf.step(x, -1))),
  unaryY("Tanh", (dy, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
  unaryX("Relu", (dy, x) => tf.mul(dy, tf.step(x))),
  unaryY("Sigmoid", (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  unaryX("Softplus", (dy, x) => tf.mul(dy, tf.sigmoid(x))),
  {
    kernelName: "Softmax",
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const y = saved[0]!;
      const dim = (attrs as Attrs).dim as number;
      return {
        logits: () => {
          const dyTimesY = tf.mul(dy as Tensor, y);
          return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
        },
      };
    },
  },
  {
    kernelName: "ClipByValue",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      const { clipValueMin, clipValueMax } = attrs as { clipValueMin: number; clipValueMax: number };
      // 1 where min <= x <= max (the bounds included, as tfjs), via step as in Maximum.
      const inside = tf.mul(
        tf.sub(1, tf.step(tf.sub(clipValueMin, x))),
        tf.sub(1, tf.step(tf.sub(x, clipValueMax))),
      );
      return { x: () => tf.mul(dy as Tensor, inside) };
    },
  },
  reduceGrad("Sum", "axis", false),
  reduceGrad("Mean", "axis", true),
  minMaxGrad("Max", "reductionIndices"),
  minMaxGrad("Min", "axis"),
  unaryX("Reshape", (dy, x) => tf.reshape(dy, x.shape)),
  {
    kernelName: "ExpandDims",
    inputsToSave: ["input"],
    gradFunc: (dy, saved) => ({ input: () => tf.reshape(dy as Tensor, saved[0]!.shape) }),
  },
  {
    kernelName: "Transpose",
    gradFunc: (dy, _saved, attrs) => {
      const perm = (attrs as Attrs).perm as number[];
      return { x: () => tf.transpose(dy as Tensor, bu.getUndoAxesPermutation(perm)) };
    },
  },
  {
    kernelName: "Concat",
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam((attrs as Attrs).axis as number, saved[0]!.shape)[0]!;
      const parts = tf.split(
        dy as Tensor,
        saved.map((t) => t.shape[axis]!),
        axis,
      );
      return parts.map((t) => () => t) as unknown as GradMap;
    },
  },
  {
    kernelName: "Pack",
    saveAllInputs: true,
    gradFunc: (dy, _saved, attrs) => {
      const parts = tf.unstack(dy as Tensor, (attrs as Attrs).axis as number);
      return parts.map((t) => () => t) as unknown as GradMap;
    },
  },
  {
    kernelName: "SplitV",
    gradFunc: (dy, _saved, attrs) => ({
      x: () => tf.concat(dy as Tensor[], (attrs as Attrs).axis as number),
    }),
  },
  {
    kernelName: "Slice",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      const { begin, size } = attrs as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
      const paddings = x.shape.map((n, i) => [b[i]!, n - b[i]! - s[i]!] as [number, number]);
      return { x: () => tf.pad(dy as Tensor, paddings) };
    },
  },
  {
    kernelName: "PadV2",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      const paddings = (attrs as Attrs).paddings as [number, number][];
      return {
        x: () =>
          tf.slice(
            dy as Tensor,
            paddings.map((p) => p[0]),
            x.shape,
          ),
      };
    },
  },
  {
    kernelName: "BroadcastTo",
    gradFunc: (dy, _saved, attrs) => {
      const { inputShape, shape } = attrs as { inputShape: number[]; shape: number[] };
      const axes: number[] = [];
      for (let i = 0; i < shape.length; i++) if (inputShape[i] !== shape[i]) axes.push(i);
      return { x: () => tf.sum(dy as Tensor, axes, true) };
    },
  },
  { kernelName: "Cast", gradFunc: (dy) => ({ x: () => (dy as Tensor).clone() }) },
  { kernelName: "Identity", gradFunc: (dy) => ({ x: () => tf.cast(dy as Tensor, "float32") }) },
  {
    kernelName: "Select",
    inputsToSave: ["condition"],
    gradFunc: (dy, saved) => {
      const cond = mask(saved[0]!);
      const d = dy as Tensor;
      return {
        condition: () => tf.zeros(saved[0]!.shape, "float32"),
        t: () => tf.mul(d, cond),
        e: () => tf.mul(d, tf.sub(1, cond)),
      };
    },
  },
  {
    kernelName: "BatchMatMul",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [Tensor, Tensor];
      const d = dy as Tensor;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      const t = (x: Tensor): Tensor => tf.transpose(x, swapLastTwo(x.rank));
      // Written so that every matMul is plain (no transpose flags), see the file comment.
      if (!transposeA && !transposeB) return { a: () => tf.matMul(d, t(b)), b: () => tf.matMul(t(a), d) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(d, b), b: () => tf.matMul(t(d), a) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, t(d)), b: () => tf.matMul(a, d) };
      return { a: () => t(tf.matMul(d, b)), b: () => t(tf.matMul(a, d)) };
    },
  },
  ...["Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual", "LogicalAnd", "LogicalOr"].map(
    (k) => zeroGrad(k, ["a", "b"]),
  ),
  ...[
    "LogicalNot",
    "Step",
    "Sign",
    "Floor",
    "Round",
    "Ceil",
    "ZerosLike",
    "OnesLike",
    "ArgMax",
    "ArgMin",
  ].map((k) => zeroGrad(k, ["x"])),
  zeroGrad("OneHot", ["indices"]),
];

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return perm;
}

/** Kernel names that have a gradient once `registerGradients()` ran (the differentiable op set). */
export const DIFFERENTIABLE_KERNELS: readonly string[] = CONFIGS.map((c) => c.kernelName);

let registered = false;

/** Registers the gradients above (idempotent; `initBackend` calls it). */
export function registerGradients(): void {
  if (registered) return;
  for (const config of CONFIGS) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
  registered = true;
}
