// Drawing on plain canvases (no chart library): line charts of training statistics, the 2-D
// plot of real and generated points over the discriminator's heatmap, and a scatter of 2-D
// samples for the Generate view.

const FONT = '11px system-ui, sans-serif';
const INK = '#1d1f24';
const MUTED = '#5d6470';
const GRID = '#e3e6eb';
export const COLOURS = { real: '#1d1f24', fake: '#ffb000', g: '#d9480f', d: '#2457d6', dReal: '#c92a2a', dFake: '#1c7ed6' };

// series: [{ label, colour, values }] sharing the x values `steps`. `range`: fixed [min, max]
// or null to fit the data (1st to 99th percentile, so one spike does not flatten the rest).
export function drawLineChart(canvas, { title, steps, series, range = null }) {
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  const m = { left: 46, right: 10, top: 22, bottom: 20 };
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  ctx.font = FONT;
  ctx.fillStyle = INK;
  ctx.textBaseline = 'top';
  ctx.fillText(title, m.left, 4);
  let x = m.left + ctx.measureText(title).width + 14;
  for (const s of series) {
    ctx.fillStyle = s.colour;
    ctx.fillRect(x, 8, 12, 3);
    ctx.fillStyle = INK;
    ctx.fillText(s.label, x + 16, 4);
    x += ctx.measureText(s.label).width + 30;
  }
  const plot = { x: m.left, y: m.top, w: w - m.left - m.right, h: h - m.top - m.bottom };
  if (steps.length < 2) {
    ctx.fillStyle = MUTED;
    ctx.fillText('no data yet', plot.x + 8, plot.y + plot.h / 2 - 6);
    frame(ctx, plot);
    return;
  }
  const [lo, hi] = range || fitRange(series.flatMap((s) => s.values));
  const x0 = steps[0];
  const x1 = steps[steps.length - 1];
  const px = (v) => plot.x + ((v - x0) / Math.max(1e-9, x1 - x0)) * plot.w;
  const py = (v) => plot.y + plot.h - ((v - lo) / Math.max(1e-12, hi - lo)) * plot.h;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    ctx.strokeStyle = GRID;
    ctx.beginPath();
    ctx.moveTo(plot.x, Math.round(py(v)) + 0.5);
    ctx.lineTo(plot.x + plot.w, Math.round(py(v)) + 0.5);
    ctx.stroke();
    ctx.fillStyle = MUTED;
    ctx.fillText(formatTick(v, hi - lo), plot.x - 4, py(v));
  }
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText(`step ${x0}`, plot.x, plot.y + plot.h + 4);
  ctx.textAlign = 'right';
  ctx.fillText(`step ${x1}`, plot.x + plot.w, plot.y + plot.h + 4);
  ctx.textAlign = 'left';
  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.x, plot.y, plot.w, plot.h);
  ctx.clip();
  ctx.lineWidth = 1.5;
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.beginPath();
    let pen = false;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) { pen = false; return; }
      if (pen) ctx.lineTo(px(steps[i]), py(v));
      else ctx.moveTo(px(steps[i]), py(v));
      pen = true;
    });
    ctx.stroke();
  }
  ctx.restore();
  frame(ctx, plot);
}

function frame(ctx, plot) {
  ctx.strokeStyle = '#c3c8d0';
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
}

function fitRange(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return [0, 1];
  let lo = v[Math.floor(0.01 * (v.length - 1))];
  let hi = v[Math.ceil(0.99 * (v.length - 1))];
  if (hi - lo < 1e-6) { lo -= 0.5; hi += 0.5; }
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
  legend(ctx, [['real data', COLOURS.real], ['generated', COLOURS.fake]], 'rgba(255,255,255,0.85)', INK);
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
  legend(ctx, [[`${points.length / 2} generated points, axes at 0, ±1, ±2…`, '#6ea8fe']], 'rgba(16,19,26,0.8)', '#e9ecef');
}

function axes(ctx, w, h, extent, colour) {
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1;
  for (let v = -Math.floor(extent); v <= extent; v++) {
    const x = Math.round(((v + extent) / (2 * extent)) * w) + 0.5;
    const y = Math.round(((extent - v) / (2 * extent)) * h) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, 0); ctx.lineTo(x, h);
    ctx.moveTo(0, y); ctx.lineTo(w, y);
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
