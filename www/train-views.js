// The Train view's live displays: step counter, speed, statistics, the two line charts, the
// sample grid or 2-D plot, and the quality figure with its collapse warning. Fed by the
// worker's 'stats' and 'views' messages (see www/train.js).
import { drawLineChart, drawToyPlot, COLOURS } from './charts.js';
import { $ } from './dom.js';

const MAX_POINTS = 1200; // chart history is thinned to this many points by dropping every other one
const TOY_CANVAS = 448;

let history;
let meterHistory;
let chartsQueued = false;

export function reset() {
  history = { steps: [], d_loss: [], g_loss: [], d_real: [], d_fake: [] };
  meterHistory = { steps: [], readability: [], worst: [], diversity: [] };
  $('train-meter').hidden = true;
  $('train-meter-sentence').textContent = '';
  $('train-meter-figures').textContent = '';
  $('train-steps').textContent = '0';
  $('train-rate').textContent = '–';
  $('train-stats').textContent = '';
  $('train-quality').textContent = '';
  $('train-warning').hidden = true;
  placeholder($('train-samples'));
  drawCharts();
}

// Before the first views: say what will appear, instead of a black square.
function placeholder(canvas) {
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  ctx.fillStyle = '#10131a';
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#9aa3b2';
  ctx.font = `${Math.round(w / 34)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText('Samples appear here once training starts:', w / 2, h / 2 - w / 40);
  ctx.fillText("points over D's view for 2-D data, images for the rest.", w / 2, h / 2 + w / 40);
  ctx.textAlign = 'left';
}

export function configure(info) {
  const canvas = $('train-samples');
  if (info.isToy) {
    canvas.width = canvas.height = TOY_CANVAS;
    canvas.classList.add('toy');
  } else {
    canvas.width = info.imageSize * info.watchedColumns;
    canvas.height = info.imageSize * 8;
    canvas.classList.remove('toy');
  }
  $('train-steps').textContent = String(info.steps);
}

const fixed = (v, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

export function showStats(s) {
  $('train-steps').textContent = String(s.step);
  $('train-rate').textContent =
    `${s.rate.toFixed(s.rate < 10 ? 2 : 1)} steps/s (${s.stepMs.toFixed(0)} ms per step, ${s.chunk} per chunk)`;
  const parts = [
    `D loss ${fixed(s.d_loss)}`,
    `G loss ${fixed(s.g_loss)}`,
    `D(x) ${fixed(s.d_real)}`,
    `D(G(z)) ${fixed(s.d_fake)}`,
  ];
  if (s.gradient_penalty) parts.push(`gradient penalty ${fixed(s.gradient_penalty)}`);
  $('train-stats').textContent = parts.join(' · ');
  if (s.memory !== null) $('train-memory').textContent = `${(s.memory / 2 ** 20).toFixed(0)} MiB`;
  for (const key of ['d_loss', 'g_loss', 'd_real', 'd_fake']) history[key].push(s[key]);
  history.steps.push(s.step);
  if (history.steps.length > MAX_POINTS) {
    for (const key of Object.keys(history))
      history[key] = history[key].filter((_, i) => i % 2 === 0 || i === history[key].length - 1);
  }
  if (!chartsQueued) {
    chartsQueued = true;
    requestAnimationFrame(() => {
      chartsQueued = false;
      drawCharts();
    });
  }
}

// Charts size themselves to the screen: redraw when they become visible or the window resizes.
document.addEventListener('viewchange', (e) => {
  if (e.detail === 'train') drawCharts();
});
window.addEventListener('resize', () => {
  if (history && document.body.dataset.view === 'train') drawCharts();
});

function drawCharts() {
  drawLineChart($('train-loss-chart'), {
    title: 'Loss',
    steps: history.steps,
    series: [
      { label: 'G', colour: COLOURS.g, values: history.g_loss },
      { label: 'D', colour: COLOURS.d, values: history.d_loss },
    ],
  });
  const probs = [...history.d_real, ...history.d_fake].filter(Number.isFinite);
  const inUnit = probs.every((p) => p >= 0 && p <= 1);
  drawLineChart($('train-prob-chart'), {
    title: 'Mean D output',
    steps: history.steps,
    series: [
      { label: 'D(x), real', colour: COLOURS.dReal, values: history.d_real },
      { label: 'D(G(z)), generated', colour: COLOURS.dFake, values: history.d_fake },
    ],
    range: inUnit ? [0, 1] : null,
  });
  if (!$('train-meter').hidden) drawMeterChart();
}

function drawMeterChart() {
  const m = meterHistory;
  const top = Math.max(1, ...m.diversity.filter(Number.isFinite));
  drawLineChart($('train-meter-chart'), {
    title: 'Quality meter',
    steps: m.steps,
    series: [
      { label: 'read as asked', colour: COLOURS.g, values: m.readability },
      { label: 'worst digit', colour: COLOURS.dReal, values: m.worst },
      { label: 'diversity', colour: COLOURS.d, values: m.diversity },
    ],
    range: [0, top],
    smoothing: false,
  });
}

// A reading of the live quality meter (run::meter in Rust; only runs a classifier reads have
// one, so the meter stays hidden for the others).
export function showMeter(r) {
  $('train-meter').hidden = false;
  $('train-meter-sentence').textContent = `Step ${r.step}: ${r.sentence}.`;
  const pct = (v) => `${(100 * v).toFixed(0)}%`;
  const perClass = r.per_class.map((a, c) => `${c}: ${pct(a)}`).join(', ');
  $('train-meter-figures').textContent =
    `Read as asked ${pct(r.readability)} (${perClass}); FID ≈ ${fixed(r.fid, 1)} in the classifier's features ` +
    `(lower is closer to the training digits); diversity ${fixed(r.diversity, 2)} of the data's. ` +
    `This reading took ${r.ms.toFixed(0)} ms; readings are spaced to take at most ${pct(r.max_share)} of the time.`;
  const m = meterHistory;
  if (m.steps.length && r.step <= m.steps[m.steps.length - 1]) {
    // A reading of the same step again (e.g. after a pause): replace the last one.
    for (const key of Object.keys(m)) m[key].pop();
  }
  m.steps.push(r.step);
  m.readability.push(r.readability);
  m.worst.push(Math.min(...r.per_class));
  m.diversity.push(r.diversity);
  drawMeterChart();
}

export function showViews(v) {
  const canvas = $('train-samples');
  if (v.toy) {
    drawToyPlot(canvas, v.toy);
  } else {
    const { rgba, width, height } = v.image;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    canvas
      .getContext('2d')
      .putImageData(
        new ImageData(
          new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length),
          width,
          height,
        ),
        0,
        0,
      );
  }
  showQuality(v.quality, v.step);
}

function showQuality(q, step) {
  const warning = $('train-warning');
  let text;
  if (q.kind === 'toy') {
    text = `Step ${step}: ${q.modes_covered} of ${q.modes_total} modes covered, ${(100 * q.high_quality).toFixed(0)}% of generated points close to a mode`;
    warning.textContent =
      `⚠ Mode collapse: the generator covers only ${q.modes_covered} of ${q.modes_total} modes. ` +
      'Lower the learning rates, try another loss (wgan-gp, hinge), or Reset.';
  } else {
    text = `Step ${step}: sample diversity ${fixed(q.diversity)} vs ${fixed(q.real_diversity)} in the data (ratio ${fixed(q.ratio, 2)})`;
    warning.textContent =
      `⚠ Mode collapse: generated images are far less varied than the data (diversity ratio ${fixed(q.ratio, 2)}). ` +
      'Lower the learning rates, try another loss, or Reset.';
  }
  $('train-quality').textContent = text;
  warning.hidden = !q.collapsed;
}
