// The Train view's worker protocol, in one place: the message types the page (www/train.js)
// and the training worker (www/train-worker.js) send each other with postMessage, and what
// each carries (and runInfo, the CREATED message's info). The worker answers every request it
// cannot carry out with an ERROR message.

/** Page -> worker. */
export const ToWorker = Object.freeze({
  /** @type {'settings'} { slow, refreshEvery }: slow motion (a step per 300 ms, views each step), view refresh period */
  SETTINGS: 'settings',
  /** @type {'backend'} { choice: 'auto'|'webgpu'|'cpu', threads? }: a trainer in progress moves along (checkpoint + resume; to 'auto': the backend measured for its settings where a verdict is stored, else the policy's); threads: the CPU thread setting (0 = auto), read once per worker */
  BACKEND: 'backend',
  /** @type {'create'} { choice, options, source }: a new trainer (under 'auto', after the backend trial: TRIAL messages); options: TrainSpec overrides (the worker adds the preset); source: {kind:'toy', name} | {kind:'digits'} | {kind:'files', files: File[]} */
  CREATE: 'create',
  /** @type {'resume'} { choice, bytes, source, moved?, backend? }: a trainer from a checkpoint (source supplies images for image checkpoints); moved: the same run, carried over from a replaced worker; backend: the old worker's last BACKEND message (a measured "auto" stays where it was measured faster) */
  RESUME: 'resume',
  /** @type {'run'} {} */
  RUN: 'run',
  /** @type {'pause'} { reason }: answered once the chunk in flight has reported */
  PAUSE: 'pause',
  /** @type {'step'} {}: one step */
  STEP: 'step',
  /** @type {'reset'} {} */
  RESET: 'reset',
  /** @type {'export'} { what: 'generator'|'checkpoint'|'timelapse', purpose: 'download'|'generate'|'move' }: timelapse (image runs): an animated GIF of the watched grid, downloads only */
  EXPORT: 'export',
  /** @type {'inject-nan'} {}: test hook, the next step diverges (builds with `test-hooks` only) */
  INJECT_NAN: 'inject-nan',
});

/** Worker -> page. */
export const FromWorker = Object.freeze({
  /** @type {'status'} { text }: what it is doing (downloading, decoding, building…) */
  STATUS: 'status',
  /** @type {'backend'} { description, isGpu, software, adapter, fallbackReason, reason, reasonCode, threads, rates }: threads: {count, reason} on the CPU; rates: {cpu, gpu} steps/s where "auto" measured (gpu null where WebGPU's first step was given up), else null */
  BACKEND: 'backend',
  /** @type {'trial'} { state: 'none'|'measuring'|'measured'|'remembered'|'failed', trials }: "auto"'s backend trial before a run (www/train-trial.js): none, nothing to measure (no WebGPU adapter); trials: measurements this worker ran */
  TRIAL: 'trial',
  /** @type {'created'} { info, data, resumed, moved }: info: steps, isToy, imageSize, channels, nClasses, latentDim, watchedColumns, keepsOptimizer, spec (the effective TrainSpec); moved: the same run on another backend (the charts carry on) */
  CREATED: 'created',
  /** @type {'state'} { state: 'idle'|'paused'|'running', reason } */
  STATE: 'state',
  /** @type {'stats'} { step, d_loss, g_loss, d_real, d_fake, gradient_penalty, rate, stepMs, chunk, memory } */
  STATS: 'stats',
  /** @type {'views'} { step, ms, quality, image?: {rgba, width, height}, frames?, toy?: {points, real, heatmap, resolution, extent} }: frames: the time-lapse's frames so far (image runs) */
  VIEWS: 'views',
  /** @type {'meter'} { step, readability, per_class, confused_with, readable_classes, classes, diversity, fid, sentence, ms, max_share }: a reading of the live quality meter (run::MeterReading; only for runs a classifier reads, as often as its share of the time allows) */
  METER: 'meter',
  /** @type {'exported'} { what, purpose, bytes, step, dataset, keepsOptimizer, frames?, firstStep? }: purpose 'move': the page replaces the worker; frames, firstStep: a time-lapse's */
  EXPORTED: 'exported',
  /** @type {'error'} { message, kind, during, step, fatal? }: kind: Rust's error kind (diverged, bad_input, bad_weights, backend, readback, busy) or crash/other; fatal: wasm trapped, the page replaces the worker */
  ERROR: 'error',
});

// The CREATED message's `info`, read from a WebTrainer (in the worker).
export function runInfo(trainer) {
  let spec = {};
  try {
    spec = JSON.parse(trainer.spec());
  } catch {
    /* shown as unknown */
  }
  return {
    steps: trainer.steps,
    isToy: trainer.isToy,
    imageSize: trainer.imageSize,
    channels: trainer.channels,
    nClasses: trainer.nClasses,
    latentDim: trainer.latentDim,
    watchedColumns: trainer.watchedColumns,
    keepsOptimizer: trainer.keepsOptimizer,
    spec,
  };
}
