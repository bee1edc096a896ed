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
export const CHART_SCRIPT = `
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"];
  var M = { l: 56, r: 14, t: 10, b: 42 };

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
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
    series.forEach(function (s) {
      var color = PALETTE[s.color % PALETTE.length];
      var d = s.points.map(function (p, i) { return (i ? "L" : "M") + X(p[0]).toFixed(1) + " " + Y(p[1]).toFixed(1); }).join(" ");
      if (!s.scatter) {
        var path = el("path", { d: d, fill: "none", stroke: color, "stroke-width": 2, "class": "series",
          "stroke-linejoin": "round", "stroke-linecap": "round" }, svg);
        if (s.dashed) path.setAttribute("stroke-dasharray", "6 4");
        path.setAttribute("data-series", s.name);
      }
      if (s.scatter || s.points.length <= 12) {
        s.points.forEach(function (p) {
          var c = el("circle", { cx: X(p[0]), cy: Y(p[1]), r: 3.2, fill: s.dashed ? "#fff" : color, stroke: color, "stroke-width": 1.5 }, svg);
          var tip = el("title", {}, c);
          tip.textContent = s.name + ": " + fmt(p[0]) + ", " + fmt(p[1]);
        });
      }
    });

    var legend = document.createElement("div");
    legend.className = "legend";
    series.forEach(function (s) {
      var item = document.createElement("span");
      item.className = "legend-item";
      var sw = document.createElement("span");
      sw.className = "swatch" + (s.dashed ? " dashed" : "");
      sw.style.borderColor = PALETTE[s.color % PALETTE.length];
      item.appendChild(sw);
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
  var lastWidth = window.innerWidth, timer = 0;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    clearTimeout(timer);
    timer = setTimeout(drawAll, 150);
  });
})();
`;
