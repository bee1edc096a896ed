/**
 * The forward part of the runtime source (see runtime-source.ts, which concatenates the parts):
 * the rational tanh of the certified path, activations, the dense and conv loops, specialisation into
 * straight-line code for small networks, and the error bound that certifies a fast argmax.
 */
export const FORWARD_SOURCE = String.raw`// Rational tanh (Eigen's float tanh): measured |error| <= 2.2e-7 (the clamp at +-7.9988 dominates).
export const TANH_ERROR = 1e-6;
export function tanhApprox(x) {
  x = x < -7.99881172180176 ? -7.99881172180176 : x > 7.99881172180176 ? 7.99881172180176 : x;
  const s = x * x;
  const p = 4.89352455891786e-3 + s * (6.37261928875436e-4 + s * (1.48572235717979e-5 + s * (5.12229709037114e-8 + s * (-8.60467152213735e-11 + s * (2.00018790482477e-13 + s * -2.76076847742355e-16)))));
  return (x * p) / (4.89352518554385e-3 + s * (2.268434632439e-3 + s * (1.18534705686654e-4 + s * 1.19825839466702e-6)));
}

function activate(kind, y, n, approx) {
  if (kind === "relu") for (let i = 0; i < n; i++) y[i] = y[i] < 0 ? 0 : y[i]; // NaN stays NaN, as in the reference
  else if (kind === "tanh" && approx) for (let i = 0; i < n; i++) y[i] = tanhApprox(y[i]);
  else if (kind === "tanh") for (let i = 0; i < n; i++) y[i] = Math.tanh(y[i]);
}

// Four outputs per pass share each x[i] read (compileSpec's batch-1 kernel, same sums). Only
// networks too large for specialise() need that speed; the plain loop gives the same sums.
function dense(l, x, approx) {
  const n = l.n, m = l.m, w = l.wT, b = l.b, y = l.y;
  let o = 0;
//#if large
  for (; o + 4 <= m; o += 4) {
    const r0 = o * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i];
      a0 += v * w[r0 + i];
      a1 += v * w[r1 + i];
      a2 += v * w[r2 + i];
      a3 += v * w[r3 + i];
    }
    y[o] = a0 + b[o];
    y[o + 1] = a1 + b[o + 1];
    y[o + 2] = a2 + b[o + 2];
    y[o + 3] = a3 + b[o + 3];
  }
//#endif
  for (; o < m; o++) {
    const r = o * n;
    let a = 0;
    for (let i = 0; i < n; i++) a += x[i] * w[r + i];
    y[o] = a + b[o];
  }
  activate(l.act, y, m, approx);
  return y;
}

//#if conv
function conv(l, x) {
  const h = l.inShape[0], wd = l.inShape[1], c = l.inShape[2], k = l.kernelSize, st = l.stride, oc = l.outChannels;
  const y = l.y, w = l.w;
  for (let oy = 0; oy < l.outH; oy++)
    for (let ox = 0; ox < l.outW; ox++)
      for (let o = 0; o < oc; o++) {
        let s = 0;
        for (let ky = 0; ky < k; ky++) {
          const iy = oy * st + ky - l.top;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < k; kx++) {
            const ix = ox * st + kx - l.left;
            if (ix < 0 || ix >= wd) continue;
            const xi = (iy * wd + ix) * c, wi = (ky * k + kx) * c;
            for (let ci = 0; ci < c; ci++) s += x[xi + ci] * w[(wi + ci) * oc + o];
          }
        }
        y[(oy * l.outW + ox) * oc + o] = s + l.b[o];
      }
  activate(l.act, y, y.length, false);
  return y;
}
//#endif

function run(layers, x, approx) {
  for (const l of layers) {
    if (l.kind === "flatten") continue; // channels-last row-major is already the flat order
//#if conv
    if (l.kind !== "dense") x = conv(l, x);
    else
//#endif
    x = dense(l, x, approx);
  }
  return x;
}

// Exact number literal (String() round-trips a double; it drops the sign of -0).
function num(v) {
  return Object.is(v, -0) ? "-0" : "(" + v + ")";
}

// A dense stack of at most MAX_INLINE weights as one straight-line function (o, out): normalise,
// each layer's sums with its weights as literals into a buffer, activation, and on. Same sums
// in the same order as dense(). Null when not all dense, too large, or eval is not allowed.
const MAX_INLINE = 8192; // RUNTIME_MAX_INLINE
function specialise(layers, norm, obsSize, approx) {
  let total = 0;
  for (const l of layers) total += l.kind === "dense" ? l.n * l.m : Infinity;
  if (total > MAX_INLINE) return null;
  const lines = [];
  let vars = [];
  for (let i = 0; i < obsSize; i++) {
    const v = "x" + i;
    if (norm) lines.push("let " + v + "=F(F(o[" + i + "]-" + num(norm.mean[i]) + ")/" + num(norm.sd[i]) + ");" + v + "=" + v + "<" + num(-norm.clip) + "?" + num(-norm.clip) + ":" + v + ">" + num(norm.clip) + "?" + num(norm.clip) + ":" + v + ";");
    else lines.push("const " + v + "=+o[" + i + "];");
    vars.push(v);
  }
  for (const [k, l] of layers.entries()) {
    if (l.n !== vars.length) return null; // a malformed stack: the loops report it as NaN
    const y = "y" + k;
    lines.push("const " + y + "=" + (k === layers.length - 1 ? "out" : "B[" + k + "]") + ";");
    for (let j = 0; j < l.m; j++) {
      let sum = "0";
      for (let i = 0; i < l.n; i++) sum += "+" + vars[i] + "*" + num(l.wT[j * l.n + i]);
      lines.push(y + "[" + j + "]=(" + sum + ")+" + num(l.b[j]) + ";");
    }
    const loop = "for(let i=0;i<" + l.m + ";i++)" + y + "[i]=";
    if (l.act === "relu") lines.push(loop + y + "[i]<0?0:" + y + "[i];");
    if (l.act === "tanh") lines.push(loop + (approx ? "T" : "Math.tanh") + "(" + y + "[i]);");
    vars = [];
    for (let j = 0; j < l.m; j++) vars.push(y + "[" + j + "]");
    if (k < layers.length - 1) {
      const names = vars.map((_, j) => "h" + k + "_" + j);
      lines.push("const " + names.map((h, j) => h + "=" + vars[j]).join(",") + ";");
      vars = names;
    }
  }
  try {
    return new Function("F", "T", "B", "return function(o,out){\n" + lines.join("\n") + "\n}")(Math.fround, tanhApprox, layers.map((l) => new Float64Array(l.m)));
  } catch {
    return null;
  }
}

// Largest |output - exact output| when tanh is tanhApprox: the tanh error propagated through
// |W| (tanh is 1-Lipschitz), plus the float64 rounding of both sums (inputs of later layers are
// tanh outputs, |h| <= 1 + TANH_ERROR). Layer 0 sees identical inputs in both paths.
function errorBound(layers) {
  let e = null;
  for (const l of layers) {
    const next = new Float64Array(l.m);
    for (let o = 0; o < l.m; o++) {
      let s = 0;
      if (e) {
        let a = Math.abs(l.b[o]);
        for (let i = 0; i < l.n; i++) {
          const w = Math.abs(l.wT[o * l.n + i]);
          s += w * e[i];
          a += 2 * w;
        }
        s += (l.n + 2) * 2 ** -50 * a;
      }
      next[o] = s + (l.act === "tanh" ? TANH_ERROR : 0);
    }
    e = next;
  }
  let max = 0;
  for (const v of e) max = v > max ? v : max;
  return max * (1 + 2 ** -20);
}

// The exact argmax if the approximate outputs y prove it, else -1. Exact outputs lie within
// bound of y; the winner must also stay ahead after rounding to float32 (what compileSpec compares).
function certain(y, bound) {
  let b = 0;
  for (let i = 1; i < y.length; i++) if (y[i] > y[b]) b = i;
  let s = -Infinity;
  for (let i = 0; i < y.length; i++) if (i !== b && y[i] > s) s = y[i];
  const top = y[b];
  return top - s > 2 * bound + 2 ** -21 * (Math.abs(top) + Math.abs(s) + 2 * bound) + 1e-44 && Math.abs(top) < 1e38 ? b : -1;
}

`;
