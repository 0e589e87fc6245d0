// Plain sentences for what the page shows a person: the backend in use and the model loaded.
// Each returns a one-line summary and the full details (shown one click away). DOM-free.

// { description, isGpu, software, adapter, reason, reasonCode, threads } (a Backend from Backend.open:
// reason says why it is in use in a sentence, reasonCode the same as one of Rust's codes;
// software: WebGPU on a software emulation; adapter: the GPU's name; threads: the CPU's { count, reason } from
// planCpuThreads, in the Train view; training: the Train view's) -> { summary, details }
export function backendSentence({
  description,
  isGpu,
  software = false,
  adapter = '',
  reason = null,
  reasonCode = null,
  threads = null,
  training = false,
}) {
  const details = [`In use: ${description}.`];
  // "auto" by measurement: Rust's sentence from timing both backends, both figures in it.
  if (MEASURED.includes(reasonCode)) {
    details.push(
      `Chosen by timing ${training ? 'a few training steps of these settings' : 'the same grid'} on WebGPU and on the CPU in this browser; the Backend menu forces either.`,
    );
    return { summary: reason, details: details.join(' ') };
  }
  if (reason && !['chosen', 'gpu_adapter', 'measuring'].includes(reasonCode))
    details.push(`WebGPU was not used: ${reason}.`);
  if (reasonCode === 'measuring') details.push(`${reason}.`);
  if (!isGpu && threads) details.push(`Threads: ${threads.reason}.`);
  if (isGpu) {
    const summary = software
      ? 'WebGPU, emulated on the CPU (a software GPU: it works, slowly)'
      : `WebGPU${adapter ? ` on ${adapter}` : ''}`;
    return { summary, details: details.join(' ') };
  }
  // The Generate view runs on one thread; the Train view says how many it trains on.
  const count = threads ? threads.count : 1;
  const perThread = count > 1 ? `${count} threads` : 'one thread';
  if (reasonCode === 'chosen')
    return { summary: `CPU, as chosen (WebAssembly, ${perThread})`, details: details.join(' ') };
  return {
    summary: `CPU${threads ? ` (${perThread})` : ''} — ${WHY_NO_GPU[reasonCode] || WHY_NO_GPU.open_failed}`,
    details: details.join(' '),
  };
}

// Rust's codes for a backend chosen by a trial (src/trial.rs): its sentence is the summary (in
// the Train view it names the CPU's threads itself).
const MEASURED = ['measured_gpu', 'measured_cpu', 'warmup_slow'];

// The summary's short form of each of Rust's reason codes (the sentence is in the details).
const WHY_NO_GPU = {
  measuring: 'measuring WebGPU in the background',
  trial_failed: 'WebGPU could not be measured here',
  no_webgpu: 'this browser has no WebGPU',
  software: 'WebGPU here is a slow software emulation',
  no_adapter: "this browser's WebGPU found no usable GPU",
  open_failed: 'WebGPU could not start',
};

const numberWords = (n) => Number(n).toLocaleString('en-US');

// Where the training data came from, in a word or two ("MNIST", "UTKFace", "ring").
function dataName(m) {
  const text = (m.provenance && m.provenance.data) || m.dataset || '';
  const first = text.replace(/\s*\(.*\)\s*$/, '').split(/[,\s]/)[0];
  const word = first.includes('/') ? first.split('/').filter(Boolean).pop() : first;
  return (word || '').replace(/-train$/, '').replace(/^mnist$/i, 'MNIST');
}

function architecture(m) {
  const a = m.arch || {};
  if (a.kind === 'toy') return `2-D GAN (MLP, ${a.layers || '?'} layers of ${a.hidden || '?'})`;
  const conditional = a.n_classes > 0 ? 'conditional ' : '';
  const size = a.image_size
    ? `, ${a.image_size}×${a.image_size}${a.channels === 3 ? ' colour' : ''}`
    : '';
  return `${conditional}DCGAN${size}`;
}

// manifest (the parsed JSON of a .wgan file), title ("Digits") -> { summary, details: [[term, text]] }
export function modelSentence(m, title) {
  const metrics = m.metrics || {};
  const parts = [`${title}: ${architecture(m)}`];
  const data = dataName(m);
  if (m.steps !== undefined)
    parts.push(`${numberWords(m.steps)} steps${data ? ` on ${data}` : ''}`);
  let summary = parts.join(', ');
  if (Number.isFinite(metrics.fid)) {
    summary += `; FID ${metrics.fid.toFixed(1)}`;
    if (Number.isFinite(metrics.fid_floor))
      summary += ` (real data: ${metrics.fid_floor.toFixed(1)})`;
  }
  const p = m.provenance || {};
  const t = m.train || {};
  const details = [
    ['trained on', p.data || m.dataset],
    [
      'training',
      t.loss &&
        `${t.loss} loss, batch ${t.batch_size}, learning rates ${t.lr_g} (G) / ${t.lr_d} (D), seed ${t.seed}`,
    ],
    ['hardware', p.hardware],
    [
      'FID',
      Number.isFinite(metrics.fid) &&
        `${metrics.fid.toFixed(2)}, lower is better; real held-out images score ${Number(metrics.fid_floor).toFixed(2)}` +
          (Number.isFinite(metrics.fid_ratio)
            ? ` (this model: ${metrics.fid_ratio.toFixed(2)}× that)`
            : '') +
          (p.evaluated_with ? `; features from ${p.evaluated_with}` : ''),
    ],
    [
      'accuracy',
      Number.isFinite(metrics.conditional_accuracy) &&
        `${(100 * metrics.conditional_accuracy).toFixed(1)}% of generated digits are classified as the digit asked for`,
    ],
    [
      'memorised',
      Number.isFinite(metrics.memorisation_fraction_suspiciously_close) &&
        `${(100 * metrics.memorisation_fraction_suspiciously_close).toFixed(1)}% of samples suspiciously close to a training image`,
    ],
    ['weights', p.precision && `${p.precision}`],
    ['reproduce', p.command_reproduce],
  ].filter(([, v]) => v);
  return { summary, details };
}
