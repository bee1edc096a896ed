/**
 * The chart script inlined into every HTML report: it reads the chart specs from the inlined JSON
 * (`<script type="application/json" id="report-data">`) and draws each `[data-chart]` element as
 * an SVG line chart. No library and no network, so a report opens anywhere, offline, forever.
 *
 * It is kept as a string of plain browser JavaScript (not compiled TypeScript) so what ships is
 * exactly what is tested. Text goes in through `textContent` only, never `innerHTML`: run names
 * and metric keys come from files on disk. Each chart gets `data-rendered="true"` and
 * `data-points="<n>"` when drawn (the browser test checks them), `data-rendered="error"` if not.
 */
/** Series colours by index (Tableau 10): one per run, the same in charts and run tags. */
export const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#59a14f",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#9c755f",
  "#ff9da7",
  "#bab0ac",
];

export const CHART_SCRIPT = `
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var PALETTE = ${JSON.stringify(PALETTE)};
  var M = { l: 56, r: 14, t: 10, b: 42 };
  // A line style per run (or policy): dash pattern and marker shape, beside the colour.
  var DASHES = ["", "7 4", "2 3", "10 3 2 3", "4 4", "12 4 2 4 2 4"];
  var MARKERS = ["circle", "square", "triangle", "diamond", "down", "cross"];

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }

  // A marker of the given shape centred on (x, y); hollow ones are filled white.
  function marker(parent, shape, x, y, color, hollow) {
    var r = 3.6, fill = hollow ? "#fff" : color, a = { fill: fill, stroke: color, "stroke-width": 1.5, "class": "mark" };
    var pts = null;
    if (shape === "square") return el("rect", Object.assign({ x: x - r * 0.85, y: y - r * 0.85, width: r * 1.7, height: r * 1.7 }, a), parent);
    if (shape === "triangle") pts = [[x, y - r * 1.15], [x + r, y + r * 0.75], [x - r, y + r * 0.75]];
    if (shape === "down") pts = [[x, y + r * 1.15], [x + r, y - r * 0.75], [x - r, y - r * 0.75]];
    if (shape === "diamond") pts = [[x, y - r * 1.2], [x + r, y], [x, y + r * 1.2], [x - r, y]];
    if (shape === "cross") {
      var d = "M" + (x - r) + " " + (y - r) + "L" + (x + r) + " " + (y + r) + "M" + (x - r) + " " + (y + r) + "L" + (x + r) + " " + (y - r);
      return el("path", { d: d, stroke: color, "stroke-width": 2, fill: "none", "class": "mark" }, parent);
    }
    if (pts) return el("polygon", Object.assign({ points: pts.map(function (p) { return p.join(","); }).join(" ") }, a), parent);
    return el("circle", Object.assign({ cx: x, cy: y, r: r }, a), parent);
  }

  // The legend's sample of a series: its line (dash, colour) with its marker in the middle.
  function swatch(s) {
    var color = PALETTE[s.color % PALETTE.length], style = s.style || 0;
    var svg = el("svg", { width: 30, height: 12, viewBox: "0 0 30 12", "class": "swatch" });
    if (!s.scatter) {
      var line = el("line", { x1: 1, x2: 29, y1: 6, y2: 6, stroke: color, "stroke-width": s.reference ? 1.5 : 2 }, svg);
      var dash = s.reference ? "5 4" : DASHES[style % DASHES.length];
      if (dash) line.setAttribute("stroke-dasharray", dash);
    }
    if (!s.reference) marker(svg, MARKERS[style % MARKERS.length], 15, 6, color, style % 2 === 1);
    return svg;
  }

  function niceStep(span, count) {
    var raw = span / Math.max(1, count);
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  }

  function fmt(v) {
    var a = Math.abs(v);
    if (a >= 1e9) return +(v / 1e9).toPrecision(3) + "G";
    if (a >= 1e6) return +(v / 1e6).toPrecision(3) + "M";
    if (a >= 1e4) return +(v / 1e3).toPrecision(3) + "k";
    if (a === 0) return "0";
    return String(+v.toPrecision(4));
  }

  function domain(values, tight) {
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    if (lo === hi) { var pad = lo === 0 ? 1 : Math.abs(lo) * 0.1; lo -= pad; hi += pad; }
    var step = niceStep(hi - lo, 5);
    if (!tight) { lo = Math.floor(lo / step) * step; hi = Math.ceil(hi / step) * step; }
    return { lo: lo, hi: hi, step: step };
  }

  function ticks(d) {
    var out = [], start = Math.ceil(d.lo / d.step - 1e-9) * d.step;
    for (var v = start; v <= d.hi + d.step * 1e-9; v += d.step) out.push(Math.abs(v) < d.step * 1e-9 ? 0 : v);
    return out;
  }

  // Drawn at the host's pixel width, so text keeps its CSS size instead of scaling with a viewBox.
  function draw(host, spec) {
    var W = Math.max(240, Math.round(host.clientWidth || 560)), H = Math.round(Math.min(300, Math.max(200, W * 0.56)));
    while (host.firstChild) host.removeChild(host.firstChild);
    var series = spec.series.filter(function (s) { return s.points.length > 0; });
    var total = series.reduce(function (n, s) { return n + s.points.length; }, 0);
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "class": "chart-svg" });
    var title = el("title", {}, svg);
    title.textContent = spec.title;
    host.appendChild(svg);
    if (total === 0) {
      var t = el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "class": "empty" }, svg);
      t.textContent = "no data";
      return 0;
    }
    var xs = [], ys = [];
    series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    if (spec.marker) xs.push(spec.marker.x);
    var dx = domain(xs, true), dy = domain(ys, false);
    var pw = W - M.l - M.r, ph = H - M.t - M.b;
    function X(v) { return M.l + ((v - dx.lo) / (dx.hi - dx.lo)) * pw; }
    function Y(v) { return M.t + ph - ((v - dy.lo) / (dy.hi - dy.lo)) * ph; }

    var grid = el("g", { "class": "grid" }, svg);
    ticks(dy).forEach(function (v) {
      el("line", { x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v) }, grid);
      var t = el("text", { x: M.l - 6, y: Y(v) + 4, "text-anchor": "end", "class": "tick" }, svg);
      t.textContent = fmt(v);
    });
    ticks(dx).forEach(function (v) {
      el("line", { x1: X(v), x2: X(v), y1: M.t + ph, y2: M.t + ph + 5, "class": "xtick" }, svg);
      var t = el("text", { x: X(v), y: M.t + ph + 18, "text-anchor": "middle", "class": "tick" }, svg);
      t.textContent = fmt(v);
    });
    el("line", { x1: M.l, x2: W - M.r, y1: M.t + ph, y2: M.t + ph, "class": "axis" }, svg);
    el("line", { x1: M.l, x2: M.l, y1: M.t, y2: M.t + ph, "class": "axis" }, svg);
    var xl = el("text", { x: M.l + pw / 2, y: H - 8, "text-anchor": "middle", "class": "label" }, svg);
    xl.textContent = spec.xLabel;
    var yl = el("text", { x: 14, y: M.t + ph / 2, "text-anchor": "middle", "class": "label",
      transform: "rotate(-90 14 " + (M.t + ph / 2) + ")" }, svg);
    yl.textContent = spec.yLabel;

    if (spec.marker) {
      el("line", { x1: X(spec.marker.x), x2: X(spec.marker.x), y1: M.t, y2: M.t + ph, "class": "marker" }, svg);
      var ml = el("text", { x: X(spec.marker.x) + 4, y: M.t + ph - 6, "class": "marker-label" }, svg);
      ml.textContent = spec.marker.label;
    }
    // References first (thin, dashed, offset by style so equal levels of two runs interleave),
    // then the series in order, each narrower than the one before so an earlier run peeks out
    // from under a later one that covers it; dashes and marker shapes tell them apart in print.
    var lines = series.filter(function (s) { return !s.reference && !s.scatter; });
    var ordered = series.filter(function (s) { return s.reference; })
      .concat(lines, series.filter(function (s) { return s.scatter && !s.reference; }));
    ordered.forEach(function (s) {
      var color = PALETTE[s.color % PALETTE.length];
      var style = s.style || 0;
      var d = s.points.map(function (p, i) { return (i ? "L" : "M") + X(p[0]).toFixed(1) + " " + Y(p[1]).toFixed(1); }).join(" ");
      if (!s.scatter) {
        var k = lines.indexOf(s);
        var width = s.reference ? 1.5 : 2 + Math.min(3, 1.25 * (lines.length - 1 - k));
        var path = el("path", { d: d, fill: "none", stroke: color, "stroke-width": width, "class": "series",
          "stroke-linejoin": "round", "stroke-linecap": s.reference ? "butt" : "round" }, svg);
        var dash = s.reference ? "5 4" : DASHES[style % DASHES.length];
        if (dash) path.setAttribute("stroke-dasharray", dash);
        if (s.reference) path.setAttribute("stroke-dashoffset", String(3 * style));
        path.setAttribute("data-series", s.name);
        path.setAttribute("data-style", String(style));
      }
      if (s.reference) return;
      var n = s.points.length;
      var every = s.scatter || n <= 12 ? 1 : Math.ceil(n / 10);
      var phase = every > 1 ? (style * Math.max(1, Math.floor(every / 3))) % every : 0;
      s.points.forEach(function (p, i) {
        if (i % every !== phase && i !== n - 1) return;
        var m = marker(svg, MARKERS[style % MARKERS.length], X(p[0]), Y(p[1]), color, style % 2 === 1);
        var tip = el("title", {}, m);
        tip.textContent = s.name + ": " + fmt(p[0]) + ", " + fmt(p[1]);
      });
    });

    var legend = document.createElement("div");
    legend.className = "legend";
    series.forEach(function (s) {
      var item = document.createElement("span");
      item.className = "legend-item";
      item.appendChild(swatch(s));
      item.appendChild(document.createTextNode(s.name));
      legend.appendChild(item);
    });
    host.appendChild(legend);
    return total;
  }

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var hosts = document.querySelectorAll("[data-chart]");
  function drawAll() {
    for (var i = 0; i < hosts.length; i++) {
      var host = hosts[i];
      try {
        var spec = data.charts[host.getAttribute("data-chart")];
        if (!spec) throw new Error("no chart spec for " + host.getAttribute("data-chart"));
        var n = draw(host, spec);
        host.setAttribute("data-points", String(n));
        host.setAttribute("data-rendered", "true");
      } catch (err) {
        host.setAttribute("data-rendered", "error");
        console.error("chart " + host.getAttribute("data-chart") + ": " + err);
      }
    }
  }
  drawAll();
  // Charts in a folded section were drawn at a guessed width: draw again once it opens.
  var folds = document.querySelectorAll("details");
  for (var f = 0; f < folds.length; f++) folds[f].addEventListener("toggle", function (e) { if (e.target.open) drawAll(); });
  var lastWidth = window.innerWidth, timer = 0;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    clearTimeout(timer);
    timer = setTimeout(drawAll, 150);
  });
})();
`;
