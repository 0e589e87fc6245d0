// Drawing on plain canvases (no chart library): line charts of training statistics, the 2-D
// plot of real and generated points over the discriminator's heatmap, and a scatter of 2-D
// samples for the Generate view.

const FONT = '12px system-ui, sans-serif';
const INK = '#1d1f24';
export const COLOURS = {
  real: '#1d1f24',
  fake: '#ffb000',
  g: '#e8590c',
  d: '#3b6fe0',
  dReal: '#d6336c',
  dFake: '#1c9ad6',
};
const SMOOTHING = 0.9; // weight of the past in the smoothed line (an exponential moving average)

// The chart colours of the page's theme (style.css), so charts follow light and dark.
function theme() {
  const css = getComputedStyle(document.documentElement);
  const get = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    bg: get('--chart-bg', '#fff'),
    ink: get('--chart-ink', INK),
    muted: get('--chart-muted', '#5d6470'),
    grid: get('--chart-grid', '#e3e6eb'),
    frame: get('--chart-frame', '#c3c8d0'),
  };
}

// Sizes the canvas's pixels to its size on screen (sharp text on high-density screens) and
// returns a context that draws in CSS pixels, with that size. The canvas keeps the aspect
// ratio of its width/height attributes.
function crispContext(canvas) {
  canvas.dataset.aspect ??= String(canvas.height / canvas.width);
  const w = canvas.clientWidth || canvas.width;
  const aspect =
    w < 500 ? Math.max(0.6, Number(canvas.dataset.aspect)) : Number(canvas.dataset.aspect); // taller on phones
  const h = Math.round(w * aspect);
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}

// Debiased exponential moving average (as TensorBoard smooths); non-finite values pass through.
function smooth(values, weight = SMOOTHING) {
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    n += 1;
    last = last * weight + (1 - weight) * v;
    return last / (1 - weight ** n);
  });
}

// Up to `count` round numbers between lo and hi (for axis ticks).
function niceTicks(lo, hi, count) {
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

// series: [{ label, colour, values }] sharing the x values `steps`. `range`: fixed [min, max]
// or null to fit the data (1st to 99th percentile, so one spike does not flatten the rest).
// Each series is drawn raw (thin, faint) and smoothed (thick), with a legend and both axes.
// smoothing: false for sparse series (e.g. the quality meter's readings), drawn as they are.
export function drawLineChart(canvas, { title, steps, series, range = null, smoothing = true }) {
  const { ctx, w, h } = crispContext(canvas);
  const t = theme();
  const m = { left: 48, right: 12, top: 28, bottom: 30 };
  ctx.fillStyle = t.bg;
  ctx.fillRect(0, 0, w, h);
  ctx.font = `600 ${FONT}`;
  ctx.fillStyle = t.ink;
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(title, m.left, 7);
  let x = m.left + ctx.measureText(title).width + 16;
  let y = 7;
  ctx.font = FONT;
  // The legend follows the title, or takes a line of its own where the chart is narrow.
  const legendWidth = series.reduce((sum, s) => sum + ctx.measureText(s.label).width + 32, 0);
  if (x + legendWidth > w - m.right) {
    x = m.left;
    y = 24;
    m.top = 44;
  }
  for (const s of series) {
    ctx.fillStyle = s.colour;
    ctx.fillRect(x, y + 5, 14, 3);
    ctx.fillStyle = t.ink;
    ctx.fillText(s.label, x + 18, y);
    x += ctx.measureText(s.label).width + 32;
  }
  const plot = { x: m.left, y: m.top, w: w - m.left - m.right, h: h - m.top - m.bottom };
  if (steps.length < 2) {
    ctx.fillStyle = t.muted;
    ctx.fillText('no data yet: press ▶ Train', plot.x + 10, plot.y + plot.h / 2 - 6);
    frame(ctx, plot, t);
    return;
  }
  const [lo, hi] = range || fitRange(series.flatMap((s) => s.values));
  const x0 = steps[0];
  const x1 = steps[steps.length - 1];
  const px = (v) => plot.x + ((v - x0) / Math.max(1e-9, x1 - x0)) * plot.w;
  const py = (v) => plot.y + plot.h - ((v - lo) / Math.max(1e-12, hi - lo)) * plot.h;
  ctx.lineWidth = 1;
  ctx.fillStyle = t.muted;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (const v of niceTicks(lo, hi, 4)) {
    ctx.strokeStyle = t.grid;
    ctx.beginPath();
    ctx.moveTo(plot.x, Math.round(py(v)) + 0.5);
    ctx.lineTo(plot.x + plot.w, Math.round(py(v)) + 0.5);
    ctx.stroke();
    ctx.fillText(formatTick(v, hi - lo), plot.x - 6, py(v));
  }
  ctx.textBaseline = 'top';
  ctx.textAlign = 'center';
  for (const v of niceTicks(x0, x1, Math.max(2, Math.floor(plot.w / 90)))) {
    ctx.strokeStyle = t.frame;
    ctx.beginPath();
    ctx.moveTo(Math.round(px(v)) + 0.5, plot.y + plot.h);
    ctx.lineTo(Math.round(px(v)) + 0.5, plot.y + plot.h + 4);
    ctx.stroke();
    const label = String(v);
    const half = ctx.measureText(label).width / 2;
    ctx.fillText(label, Math.min(px(v), w - 2 - half), plot.y + plot.h + 6); // the last one stays inside
  }
  ctx.textAlign = 'right';
  ctx.fillText('step', plot.x - 12, plot.y + plot.h + 6);
  ctx.textAlign = 'left';
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x, plot.y, plot.w, plot.h);
  ctx.clip();
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    if (!smoothing) {
      line(ctx, steps, s.values, px, py, 2.2);
      continue;
    }
    ctx.globalAlpha = 0.3;
    line(ctx, steps, s.values, px, py, 1);
    ctx.globalAlpha = 1;
    line(ctx, steps, smooth(s.values), px, py, 2.2);
  }
  ctx.restore();
  frame(ctx, plot, t);
}

function line(ctx, steps, values, px, py, width) {
  ctx.lineWidth = width;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  let pen = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      pen = false;
      return;
    }
    if (pen) ctx.lineTo(px(steps[i]), py(v));
    else ctx.moveTo(px(steps[i]), py(v));
    pen = true;
  });
  ctx.stroke();
}

function frame(ctx, plot, t) {
  ctx.strokeStyle = t.frame;
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
}

function fitRange(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return [0, 1];
  let lo = v[Math.floor(0.01 * (v.length - 1))];
  let hi = v[Math.ceil(0.99 * (v.length - 1))];
  if (hi - lo < 1e-6) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = 0.06 * (hi - lo);
  return [lo - pad, hi + pad];
}

function formatTick(v, span) {
  if (span >= 10) return v.toFixed(0);
  if (span >= 1) return v.toFixed(1);
  if (span >= 0.01) return v.toFixed(2);
  return v.toExponential(1);
}

// D's probability of "real" as a colour: blue (fake) through white (undecided) to red (real).
function heatColour(p) {
  const t = Math.min(1, Math.max(0, Number.isFinite(p) ? p : 0.5));
  const blue = [66, 123, 222];
  const red = [224, 72, 64];
  const white = [250, 250, 250];
  const [a, b, f] = t < 0.5 ? [blue, white, t / 0.5] : [white, red, (t - 0.5) / 0.5];
  return a.map((c, i) => Math.round(c + (b[i] - c) * f));
}

// heatmap: resolution x resolution, row-major, first row y = +extent, first column x = -extent.
export function drawToyPlot(canvas, { heatmap, resolution, extent, real, points }) {
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  const cells = new OffscreenCanvas(resolution, resolution);
  const image = new ImageData(resolution, resolution);
  for (let i = 0; i < resolution * resolution; i++) {
    const [r, g, b] = heatColour(heatmap[i]);
    image.data.set([r, g, b, 255], i * 4);
  }
  cells.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(cells, 0, 0, w, h);
  axes(ctx, w, h, extent, 'rgba(0,0,0,0.18)');
  dots(ctx, real, extent, w, h, COLOURS.real, null, 1.6);
  dots(ctx, points, extent, w, h, COLOURS.fake, '#5c3d00', 2.2);
  legend(
    ctx,
    [
      ['real data', COLOURS.real],
      ['generated', COLOURS.fake],
    ],
    'rgba(255,255,255,0.85)',
    INK,
  );
  ctx.fillStyle = INK;
  ctx.font = FONT;
  ctx.textBaseline = 'bottom';
  ctx.fillText('background: D(x), blue = "fake" … red = "real"', 6, h - 4);
}

// 2-D samples of a toy generator (Generate view): points on a dark plane.
export function drawScatter(canvas, points, extent = null) {
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  let e = extent;
  if (e === null) {
    e = 3;
    for (const v of points) if (Number.isFinite(v)) e = Math.max(e, Math.abs(v) * 1.05);
  }
  ctx.fillStyle = '#10131a';
  ctx.fillRect(0, 0, w, h);
  axes(ctx, w, h, e, 'rgba(255,255,255,0.16)');
  dots(ctx, points, e, w, h, '#6ea8fe', null, 2);
  legend(
    ctx,
    [[`${points.length / 2} generated points, axes at 0, ±1, ±2…`, '#6ea8fe']],
    'rgba(16,19,26,0.8)',
    '#e9ecef',
  );
}

function axes(ctx, w, h, extent, colour) {
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1;
  for (let v = -Math.floor(extent); v <= extent; v++) {
    const x = Math.round(((v + extent) / (2 * extent)) * w) + 0.5;
    const y = Math.round(((extent - v) / (2 * extent)) * h) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, h);
    ctx.moveTo(0, y);
    ctx.lineTo(w, y);
    ctx.stroke();
  }
}

function dots(ctx, xy, extent, w, h, fill, stroke, radius) {
  ctx.fillStyle = fill;
  ctx.strokeStyle = stroke || fill;
  ctx.lineWidth = 0.7;
  for (let i = 0; i + 1 < xy.length; i += 2) {
    const x = ((xy[i] + extent) / (2 * extent)) * w;
    const y = ((extent - xy[i + 1]) / (2 * extent)) * h;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
    ctx.fill();
    if (stroke) ctx.stroke();
  }
}

function legend(ctx, entries, background, ink) {
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  const width = 24 + Math.max(...entries.map(([t]) => ctx.measureText(t).width));
  ctx.fillStyle = background;
  ctx.fillRect(4, 4, width, 8 + entries.length * 16);
  entries.forEach(([text, colour], i) => {
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(14, 16 + i * 16, 4, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = ink;
    ctx.fillText(text, 24, 16 + i * 16);
  });
}
