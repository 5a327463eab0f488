"use strict";
// A small canvas time-series chart: several series, alert markers and a background band
// (rig state). Served by the app; no external library, no CDN.

const CHART_COLORS = ["#58a6ff", "#f0883e", "#3fb950", "#d2a8ff", "#ff7b72", "#e3b341", "#79c0ff"];

function niceRange(lo, hi) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

function fmtClock(ms) {
  return new Date(ms).toISOString().slice(11, 16);
}

// Longest step between a series' samples that is still drawn as a line: five times its
// usual (median) step, so a series' real gaps break the line whatever its sampling rate.
function gapAfter(xs) {
  const steps = [];
  for (let i = 1; i < xs.length; i++) steps.push(xs[i] - xs[i - 1]);
  if (!steps.length) return Infinity;
  steps.sort((a, b) => a - b);
  return 5 * steps[Math.floor(steps.length / 2)];
}

// opts: {x: [number], series: [{name, values, color}], markers: [{x, label, color}],
//        bands: [{x0, x1, color, label}], xFormat: fn, title}
function drawChart(canvas, opts) {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const height = canvas.clientHeight || 160;
  canvas.width = width * dpr;
  canvas.height = height * dpr;
  const ctx = canvas.getContext("2d");
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, width, height);
  const left = 64, right = 12, bottom = 22;
  // the legend wraps onto as many lines as the series' names need; the plot starts below it
  ctx.font = "12px system-ui, sans-serif";
  const legend = [];
  let lx = left + 4, line = 0;
  opts.series.forEach((s, k) => {
    const lw = ctx.measureText(s.name).width;
    if (lx > left + 4 && lx + lw > width - right) { lx = left + 4; line += 1; }
    legend.push({ text: s.name, x: lx, y: 12 + 14 * line, color: s.color || CHART_COLORS[k % CHART_COLORS.length] });
    lx += lw + 14;
  });
  const top = 18 + 14 * line;
  const w = width - left - right, h = height - top - bottom;
  const xs = opts.x;
  const xFormat = opts.xFormat || fmtClock;
  if (!xs.length) {
    ctx.fillStyle = "#8a96a3";
    ctx.fillText("no data", left + 8, top + 20);
    return;
  }
  const x0 = xs[0], x1 = xs[xs.length - 1] === x0 ? x0 + 1 : xs[xs.length - 1];
  let lo = Infinity, hi = -Infinity;
  for (const s of opts.series) for (const v of s.values) if (v !== null && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const [y0, y1] = niceRange(lo, hi);
  const X = (x) => left + ((x - x0) / (x1 - x0)) * w;
  const Y = (y) => top + h - ((y - y0) / (y1 - y0)) * h;
  for (const b of opts.bands || []) {
    ctx.fillStyle = b.color;
    ctx.fillRect(X(Math.max(b.x0, x0)), top, Math.max(1, X(Math.min(b.x1, x1)) - X(Math.max(b.x0, x0))), h);
  }
  ctx.strokeStyle = "#2a3540";
  ctx.fillStyle = "#8a96a3";
  ctx.font = "11px system-ui, sans-serif";
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = y0 + ((y1 - y0) * i) / 4;
    ctx.beginPath(); ctx.moveTo(left, Y(y)); ctx.lineTo(left + w, Y(y)); ctx.stroke();
    ctx.fillText(Math.abs(y) >= 1000 ? y.toFixed(0) : y.toPrecision(3), 4, Y(y) + 4);
  }
  for (let i = 0; i <= 5; i++) {
    const x = x0 + ((x1 - x0) * i) / 5;
    const label = xFormat(x);
    const lw = ctx.measureText(label).width;
    ctx.fillText(label, Math.min(Math.max(X(x) - lw / 2, left), width - lw - 2), height - 6);
  }
  opts.series.forEach((s, k) => {
    const color = s.color || CHART_COLORS[k % CHART_COLORS.length];
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = s.width || 1.4;
    ctx.setLineDash(s.dash || []);
    const sx = s.x || xs;
    const known = [];
    s.values.forEach((v, i) => { if (v !== null && Number.isFinite(v)) known.push(i); });
    const gap = gapAfter(known.map((i) => sx[i]));
    // a line through the series' own samples: a channel logged less often than the others
    // (a pits log beside a drilling log) is joined across the samples it lacks, and only a
    // real gap in it breaks the line; a lone sample is a dot
    ctx.beginPath();
    known.forEach((i, j) => {
      const joinPrev = j > 0 && sx[i] - sx[known[j - 1]] <= gap;
      const joinNext = j + 1 < known.length && sx[known[j + 1]] - sx[i] <= gap;
      if (joinPrev) ctx.lineTo(X(sx[i]), Y(s.values[i]));
      else ctx.moveTo(X(sx[i]), Y(s.values[i]));
      if (!joinPrev && !joinNext) ctx.fillRect(X(sx[i]) - 1.5, Y(s.values[i]) - 1.5, 3, 3);
    });
    ctx.stroke();
    ctx.setLineDash([]);
  });
  for (const m of opts.markers || []) {
    if (m.x < x0 || m.x > x1) continue;
    ctx.strokeStyle = m.color || "#f85149";
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(X(m.x), top); ctx.lineTo(X(m.x), top + h); ctx.stroke();
    ctx.fillStyle = m.color || "#f85149";
    ctx.fillText(m.label || "", X(m.x) + 3, top + 10);
  }
  ctx.font = "12px system-ui, sans-serif";
  for (const item of legend) {
    ctx.fillStyle = item.color;
    ctx.fillText(item.text, item.x, item.y);
  }
}
