// The Train view's controller: reads the settings, drives the training worker
// (www/train-worker.js) and hands its messages to the displays (www/train-views.js).
//
// The worker's messages, both ways: www/train-protocol.js.
//
// Test hook: window.webganTrain = { state, stats, info, views, backend, meter } (read-only snapshots;
// stats.at is the performance.now() of its arrival)
// and injectNan() (makes the next step diverge, to test the recovery).
import { openGenerator } from './generate.js';
import { FromWorker, ToWorker } from './train-protocol.js';
import { showView } from './tabs.js';
import { $, download, showWithDetails } from './dom.js';
import { backendSentence } from './sentences.js';
import {
  isToy,
  loadLimits,
  readOptions,
  readRefresh,
  showEffective,
  clearEffective,
  watchForm,
  TRAINING_FIELD_IDS,
} from './train-form.js';
import * as display from './train-views.js';

const FAILED = {
  training: 'Training stopped',
  create: 'Could not start',
  resume: 'Could not resume',
  step: 'Could not step',
  export: 'Could not export',
  backend: 'Could not switch the backend',
  'inject-nan': 'Could not inject NaN',
};

const ctl = {
  worker: null,
  state: 'idle', // idle (no trainer) | creating | paused | running
  then: null, // what to do once a trainer is made: 'run' | 'step' | null
  resetting: false, // between Reset and the worker's answer: news of the old run is stale
  info: null,
  stats: null,
  views: 0,
  meter: null, // the quality meter's latest reading
  frames: 0, // the time-lapse's frames so far (image runs)
  backend: null,
  files: [],
  moving: null, // while the worker is replaced for a new thread count: { running }
};
window.webganTrain = {
  get state() {
    return ctl.state;
  },
  get stats() {
    return ctl.stats;
  },
  get info() {
    return ctl.info;
  },
  get views() {
    return ctl.views;
  },
  get backend() {
    return ctl.backend;
  },
  get meter() {
    return ctl.meter;
  },
  get frames() {
    return ctl.frames;
  },
  injectNan: () => send({ type: ToWorker.INJECT_NAN }),
};

function setStatus(text, kind = 'info') {
  const el = $('train-status');
  el.textContent = text;
  el.classList.toggle('error', kind === 'error');
  if (kind === 'error') console.error('webgan train:', text);
}

function setState(state) {
  ctl.state = state;
  document.body.dataset.train = state;
  const has = state === 'paused' || state === 'running';
  $('train-start').disabled = state === 'running' || state === 'creating';
  $('train-pause').disabled = state !== 'running';
  $('train-step').disabled = state === 'creating';
  $('train-reset').disabled = state === 'creating';
  for (const id of ['train-export-generator', 'train-export-checkpoint', 'train-open-generate'])
    $(id).disabled = !has;
  showFrames();
}

// The time-lapse button: image runs only, with what it would save.
function showFrames() {
  const button = $('train-export-timelapse');
  const image = ctl.info && !ctl.info.isToy;
  const has = ctl.state === 'paused' || ctl.state === 'running';
  button.disabled = !(has && image && ctl.frames > 0);
  button.title = !image
    ? 'Time-lapses are recorded for image runs, not 2-D points'
    : `An animated GIF of the watched grid over the run: ${ctl.frames} frame(s) so far (at most 120, spread evenly) and the current step`;
}

function send(message, transfer = []) {
  worker().postMessage(message, transfer);
}

function worker() {
  if (ctl.worker) return ctl.worker;
  ctl.worker = new Worker('train-worker.js', { type: 'module' });
  ctl.worker.onmessage = ({ data: m }) => {
    // A chunk in flight when Reset was pressed still reports: drop that until the reset is done.
    if (ctl.resetting) {
      if (m.type === FromWorker.STATE && m.reason === 'reset') ctl.resetting = false;
      if (![FromWorker.BACKEND, FromWorker.ERROR, FromWorker.STATUS].includes(m.type)) return;
    }
    handlers[m.type](m);
  };
  ctl.worker.onerror = (e) => {
    setStatus(
      `the training worker failed: ${e.message || 'it could not load (see the browser console)'}`,
      'error',
    );
    setState('idle');
  };
  sendSettings();
  ctl.worker.postMessage({
    type: ToWorker.BACKEND,
    choice: $('train-backend-choice').value,
    threads: Number($('train-threads').value),
  });
  return ctl.worker;
}

// A worker's CPU thread pool cannot change size: a new thread setting replaces the worker, and
// a run in progress moves to the new one through a checkpoint (as a backend switch does).
function threadsChanged() {
  if (!ctl.worker || ctl.moving) return;
  if (ctl.state !== 'paused' && ctl.state !== 'running') {
    const preparing = ctl.state === 'creating';
    replaceWorker();
    if (preparing) {
      // that worker's trainer is gone with it
      ctl.then = null;
      setState('idle');
      setStatus(
        'The CPU thread setting changed while the trainer was being prepared: press ▶ to start again.',
      );
    }
    return;
  }
  ctl.moving = { running: ctl.state === 'running' };
  send({ type: ToWorker.PAUSE, reason: 'moving to the new thread count' });
  send({ type: ToWorker.EXPORT, what: 'checkpoint', purpose: 'move' });
}

function replaceWorker(bytes = null) {
  ctl.worker.terminate();
  ctl.worker = null;
  if (!bytes) return void worker();
  setState('creating');
  ctl.then = ctl.moving && ctl.moving.running ? ToWorker.RUN : null;
  send(
    {
      type: ToWorker.RESUME,
      choice: $('train-backend-choice').value,
      bytes,
      source: movingSource(),
      moved: true,
      backend: ctl.backend,
    },
    [bytes.buffer],
  );
}

// The data the moved run trains on: the same as before (the data select may have changed since).
function movingSource() {
  const preset = ctl.info && ctl.info.spec.preset;
  if (isToy(preset)) return { kind: 'toy', name: preset };
  return ctl.files.length && $('train-dataset').value === 'files'
    ? { kind: 'files', files: ctl.files }
    : { kind: 'digits' };
}

function sendSettings() {
  const refresh = readRefresh();
  if (refresh.error) return setStatus(refresh.error, 'error');
  send({ type: ToWorker.SETTINGS, slow: $('train-slow').checked, refreshEvery: refresh.value });
  return true;
}

// What the data select names, as the worker's `source`; { error } when files are missing.
function dataSource() {
  const v = $('train-dataset').value;
  if (isToy(v)) return { kind: 'toy', name: v };
  if (v === 'digits') return { kind: 'digits' };
  if (!ctl.files.length)
    return { error: 'choose your files first ("choose files…"): MNIST IDX files or images' };
  return { kind: 'files', files: ctl.files };
}

// Validates everything first (against Rust's own limits): nothing starts with an invalid value.
async function createTrainer(then) {
  await loadLimits();
  const { options, errors } = readOptions();
  const refresh = readRefresh();
  const source = dataSource();
  const problems = [...errors, refresh.error, source.error].filter(Boolean);
  if (problems.length) return setStatus(`Not started: ${problems.join('; ')}`, 'error');
  sendSettings();
  ctl.then = then;
  setState('creating');
  setStatus('preparing the trainer…');
  send({ type: ToWorker.CREATE, choice: $('train-backend-choice').value, options, source });
}

function start() {
  if (ctl.state === 'paused') {
    if (!sendSettings()) return;
    send({ type: ToWorker.RUN });
  } else if (ctl.state === 'idle') {
    createTrainer(ToWorker.RUN).catch((e) => setStatus(`Not started: ${e.message}`, 'error'));
  }
}

function step() {
  if (ctl.state === 'idle')
    createTrainer(ToWorker.STEP).catch((e) => setStatus(`Not started: ${e.message}`, 'error'));
  else if (ctl.state !== 'creating') send({ type: ToWorker.STEP });
}

function reset() {
  if (ctl.worker) {
    ctl.resetting = true;
    send({ type: ToWorker.RESET });
  }
  ctl.info = null;
  ctl.stats = null;
  ctl.meter = null;
  ctl.views = 0;
  display.reset();
  clearEffective();
  setState('idle');
  setStatus('Reset: press ▶ to train from scratch with the settings above.');
}

const handlers = {
  [FromWorker.STATUS]: (m) => setStatus(m.text),
  // "auto"'s backend trial (www/train-trial.js), for tests: data-train-trial, data-train-trials.
  [FromWorker.TRIAL]: ({ state, trials }) =>
    Object.assign(document.body.dataset, { trainTrial: state, trainTrials: String(trials) }),
  [FromWorker.BACKEND]: (m) => {
    ctl.backend = m;
    // One sentence (the same words as the Generate view's), the details one click away.
    const { summary, details } = backendSentence({ ...m, training: true });
    showWithDetails($('train-backend'), summary, details);
  },
  [FromWorker.CREATED]: (m) => {
    ctl.info = m.info;
    if (!m.moved) {
      ctl.views = 0;
      ctl.frames = 0;
      display.reset();
    }
    display.configure(m.info);
    showEffective(m.info.spec);
    if (m.resumed) selectDataset(m.info.spec.preset);
    $('train-data-summary').textContent = m.data || '';
  },
  [FromWorker.STATE]: (m) => {
    setState(m.state);
    const then = ctl.then;
    if (ctl.moving && m.state !== 'running' && /^moved/.test(m.reason)) {
      ctl.moving = null;
      ctl.then = null;
      if (then === ToWorker.RUN) send({ type: ToWorker.RUN });
      else setStatus(m.reason);
      return;
    }
    if (m.reason === 'ready' && then) {
      ctl.then = null;
      send({ type: then });
      return;
    }
    if (m.state === 'running')
      setStatus(
        `training… (views every ${$('train-refresh').value} steps${$('train-slow').checked ? ', slow motion' : ''})`,
      );
    else if (m.reason === 'tab hidden')
      setStatus(
        'Paused: the tab was hidden (browsers throttle background tabs). Press ▶ to continue.',
      );
    else if (m.reason === 'ready')
      setStatus('Ready at step 0: press ▶ to train, or "step" for one step at a time.');
    else if (m.reason === 'stepped')
      setStatus(`One step done: now at step ${$('train-steps').textContent}.`);
    else if (m.state === 'paused' && !['error', 'stopped'].includes(m.reason))
      setStatus(`${m.reason} at step ${$('train-steps').textContent}`);
  },
  [FromWorker.STATS]: (m) => {
    ctl.stats = { ...m, at: performance.now() }; // `at`: when it arrived (tests/e2e/train-bench.mjs)
    display.showStats(m);
  },
  [FromWorker.METER]: (m) => {
    ctl.meter = m;
    display.showMeter(m);
  },
  [FromWorker.VIEWS]: (m) => {
    ctl.views += 1;
    if (m.frames !== undefined) {
      ctl.frames = m.frames;
      showFrames();
    }
    display.showViews(m);
    $('train-views-time').textContent = `views at step ${m.step} took ${m.ms.toFixed(0)} ms`;
  },
  [FromWorker.EXPORTED]: (m) => {
    if (m.purpose === 'move') return replaceWorker(m.bytes);
    if (m.what === 'timelapse') {
      const gif = `webgan-${m.dataset || 'model'}-timelapse-step${m.step}.gif`;
      download(gif, new Blob([m.bytes], { type: 'image/gif' }));
      return setStatus(
        `time-lapse of steps ${m.firstStep} to ${m.step} saved as ${gif} (${m.frames} frames, ${(m.bytes.length / 1024).toFixed(0)} KiB)`,
      );
    }
    const name = `webgan-${m.dataset || 'model'}-step${m.step}${m.what === 'checkpoint' ? '-checkpoint' : ''}.wgan`;
    if (m.purpose === 'generate') {
      showView('generate');
      openGenerator(name, m.bytes);
      setStatus(`generator of step ${m.step} opened in the Generate view`);
    } else {
      download(name, new Blob([m.bytes], { type: 'application/octet-stream' }));
      const adam =
        m.what !== 'checkpoint'
          ? ''
          : m.keepsOptimizer
            ? "; it holds Adam's state, which `webgan train --resume` restores (the page restarts Adam)"
            : "; weights and step only: WebGPU cannot hand over Adam's state, so Adam restarts on resume";
      setStatus(
        `${m.what} of step ${m.step} saved as ${name} (${(m.bytes.length / 1024).toFixed(0)} KiB)${adam}`,
      );
    }
  },
  [FromWorker.ERROR]: (m) => {
    ctl.then = null;
    ctl.moving = null;
    if (m.fatal) {
      // A Rust panic: that wasm instance is unusable. A fresh worker starts on the next action.
      ctl.worker.terminate();
      ctl.worker = null;
      setState('idle');
      setStatus(
        `The training engine crashed (${m.message}; details in the browser console). ` +
          'This run is lost: press ▶ to start a new one.',
        'error',
      );
    } else if (m.kind === 'diverged') {
      setStatus(
        `Training diverged (${m.message}). The weights were rolled back to step ${m.step} and still work: ` +
          'lower the learning rates or pick another loss, then press ▶, or Reset.',
        'error',
      );
    } else {
      setStatus(`${FAILED[m.during] || `Could not ${m.during}`}: ${m.message}`, 'error');
    }
  },
};

function selectDataset(preset) {
  if (isToy(preset)) $('train-dataset').value = preset;
  else if ($('train-dataset').value !== 'files') $('train-dataset').value = 'digits';
  showFilesPicker();
}

function showFilesPicker() {
  const files = $('train-dataset').value === 'files';
  $('train-files-button').hidden = !files;
  $('train-data-summary').textContent = files
    ? ctl.files.length
      ? `${ctl.files.length} file(s) chosen: ${ctl.files
          .slice(0, 3)
          .map((f) => f.name)
          .join(', ')}${ctl.files.length > 3 ? ', …' : ''}`
      : 'no files chosen yet'
    : '';
}

async function resumeFrom(file) {
  await loadLimits();
  const bytes = await file.arrayBuffer();
  const source = dataSource();
  ctl.then = null;
  setState('creating');
  setStatus(`resuming from ${file.name}…`);
  send(
    {
      type: ToWorker.RESUME,
      choice: $('train-backend-choice').value,
      bytes,
      source: source.error ? { kind: 'digits' } : source,
    },
    [bytes],
  );
}

function settingsChanged() {
  if (ctl.state === 'paused' || ctl.state === 'running')
    setStatus('Changed settings take effect after Reset (the current run keeps its own).');
}

function wire() {
  watchForm(); // first: its data-set listener runs before the one below
  $('train-start').addEventListener('click', start);
  $('train-pause').addEventListener('click', () =>
    send({ type: ToWorker.PAUSE, reason: 'paused' }),
  );
  $('train-step').addEventListener('click', step);
  $('train-reset').addEventListener('click', reset);
  $('train-slow').addEventListener('change', sendSettings);
  $('train-refresh').addEventListener('change', sendSettings);
  for (const id of TRAINING_FIELD_IDS) $(id).addEventListener('change', settingsChanged);
  $('train-dataset').addEventListener('change', () => {
    clearEffective();
    showFilesPicker();
    if ($('train-dataset').value === 'files' && !ctl.files.length) $('train-files').click();
  });
  $('train-files-button').addEventListener('click', () => $('train-files').click());
  $('train-files').addEventListener('change', (e) => {
    ctl.files = [...e.target.files];
    e.target.value = '';
    showFilesPicker();
    settingsChanged();
  });
  $('train-backend-choice').addEventListener('change', () => {
    if (ctl.worker) send({ type: ToWorker.BACKEND, choice: $('train-backend-choice').value });
  });
  $('train-threads').addEventListener('change', threadsChanged);
  $('train-export-generator').addEventListener('click', () =>
    send({ type: ToWorker.EXPORT, what: 'generator', purpose: 'download' }),
  );
  $('train-export-checkpoint').addEventListener('click', () =>
    send({ type: ToWorker.EXPORT, what: 'checkpoint', purpose: 'download' }),
  );
  $('train-export-timelapse').addEventListener('click', () =>
    send({ type: ToWorker.EXPORT, what: 'timelapse', purpose: 'download' }),
  );
  $('train-open-generate').addEventListener('click', () =>
    send({ type: ToWorker.EXPORT, what: 'generator', purpose: 'generate' }),
  );
  $('train-resume-button').addEventListener('click', () => $('train-resume-file').click());
  $('train-resume-file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (file) resumeFrom(file);
  });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden && ctl.state === 'running')
      send({ type: ToWorker.PAUSE, reason: 'tab hidden' });
  });
  // The worker (and its backend) starts when the Train view is first opened, not on page load.
  document.addEventListener('viewchange', (e) => {
    if (e.detail !== 'train') return;
    worker();
    if (ctl.state === 'idle') clearEffective();
  });
}

wire();
setState('idle');
display.reset();
