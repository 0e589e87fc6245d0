// "auto" by measurement in the Train view, the worker's half (the rule is Rust's, src/trial.rs,
// the same as the Generate view's www/trial.js). Before a run starts under "auto", where the
// browser has a WebGPU adapter, this times a few steps of the run's own settings on each
// candidate, on throwaway trainers: the CPU with its threads (the threaded module where the
// page is cross-origin isolated) and WebGPU, the adapter-name rule's pick first. Rust decides
// (decideTrainTrial: the margin, the limit on WebGPU's first step, one sentence with both
// rates). The verdict is kept in this browser's IndexedDB (a worker has no localStorage) under
// a key Rust builds (trainTrialKey: the adapter, the settings a step's cost depends on, the
// CPU's threads, the module's version), so the same settings are not measured again. This file
// times and stores; it decides nothing.
import { loadModule } from './modules.js';
import { FromWorker } from './train-protocol.js';

let trials = 0; // measurements run by this worker (the page shows it as data-train-trials)

// IndexedDB, one store of records by key; any failure (storage blocked, private mode) means
// "nothing stored", so the next run measures again.
function verdicts(mode, use) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('webgan-trials', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('verdicts');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('verdicts', mode);
      const request = use(tx.objectStore('verdicts'));
      tx.oncomplete = () => {
        db.close();
        resolve(request.result);
      };
      tx.onerror = tx.onabort = () => {
        db.close();
        reject(tx.error);
      };
    };
  });
}
const readStored = (key) => verdicts('readonly', (s) => s.get(key)).catch(() => null);
const store = (key, record) => verdicts('readwrite', (s) => s.put(record, key)).catch(() => {});

// ms per run of `steps` steps, `runs` times.
async function timeRuns(trainer, steps, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await trainer.step(steps);
    times.push(performance.now() - t0);
  }
  return times;
}

// The first step's time in ms, or null once it outlasts limitMs (it runs on, unused: the
// trainer's handle may be freed meanwhile, the step holds its own reference).
function warmUp(trainer, limitMs) {
  let timer;
  const t0 = performance.now();
  const first = trainer.step(1).then(() => performance.now() - t0);
  first.catch(() => {}); // a step that fails after it was given up is no news
  return Promise.race([
    first,
    new Promise((resolve) => (timer = setTimeout(() => resolve(null), limitMs))),
  ]).finally(() => clearTimeout(timer));
}

// The backend for a run of `spec` (JSON, as WebTrainer takes it) under "auto":
// { useGpu, reasonCode, sentence, cpuRate, gpuRate, remembered }, or null where there is no
// WebGPU adapter to measure (then "auto" is the CPU, as the policy says). threadsLimit: the
// CPU threads setting, poolThreads: the threads of a pool already started (0: none), which
// together give the threads the CPU trains on; trainerOn(gpu): a new trainer for `spec` on that backend (the
// worker opens it, and may change modules to do so); without it, only a stored verdict is
// returned (null where none: a run moving to "auto" is not measured). A trial that fails
// (WebGPU would not open, a module did not load, a lost device) keeps the CPU and says so.
export async function measureBackends(options) {
  try {
    return await trial(options);
  } catch (e) {
    console.warn('webgan: the training backend trial stopped:', e);
    options.post({ type: FromWorker.TRIAL, state: 'failed', trials });
    return { useGpu: false, reasonCode: 'trial_failed', sentence: null, remembered: false };
  }
}

async function trial({ spec, threadsLimit, poolThreads, trainerOn, post }) {
  const gen = await loadModule('gen');
  const threads = gen.planCpuThreads(threadsLimit);
  const cpuThreads = poolThreads || threads.threads;
  threads.free();
  const plan = await gen.planBackend('auto');
  const { measure, adapter, isGpu: gpuFirst } = plan;
  plan.free();
  const say = (state, text) => {
    post({ type: FromWorker.TRIAL, state, trials });
    if (text) post({ type: FromWorker.STATUS, text });
  };
  if (!measure) {
    say('none');
    return null;
  }
  const key = gen.trainTrialKey(adapter, spec, cpuThreads);
  const rule = gen.trialRule();
  const { trainSteps, trainRuns, warmupLimitMs } = rule;
  rule.free();
  let verdict = gen.rememberedTrainTrial((await readStored(key)) ?? undefined, Date.now());
  const remembered = !!verdict;
  if (!verdict && !trainerOn) return null; // asked for a stored verdict only
  if (!verdict) {
    const times = { cpu: [], gpu: [] };
    let warmMs = 0;
    // The adapter-name rule's pick first: on a real GPU WebGPU, on a software one the CPU.
    for (const gpu of gpuFirst ? [true, false] : [false, true]) {
      say(
        'measuring',
        gpu
          ? `measuring WebGPU: its first training step compiles the shaders (given up after ${warmupLimitMs / 1000} s)…`
          : `measuring the CPU (${cpuThreads === 1 ? 'one thread' : `${cpuThreads} threads`}): a few training steps…`,
      );
      const trainer = await trainerOn(gpu);
      try {
        let first = 0;
        if (gpu) {
          first = await warmUp(trainer, warmupLimitMs);
          warmMs = first ?? warmupLimitMs;
        } else {
          await trainer.step(1);
        }
        if (first !== null)
          times[gpu ? 'gpu' : 'cpu'] = await timeRuns(trainer, trainSteps, trainRuns);
      } finally {
        trainer.free();
      }
    }
    verdict = gen.decideTrainTrial(times.cpu, times.gpu, warmMs, cpuThreads, Date.now());
    await store(key, verdict.record);
    trials += 1;
  }
  const out = {
    useGpu: verdict.useGpu,
    reasonCode: verdict.reasonCode,
    sentence: verdict.sentence,
    cpuRate: verdict.cpuRate ?? null,
    gpuRate: verdict.gpuRate ?? null,
    remembered,
  };
  verdict.free();
  say(remembered ? 'remembered' : 'measured');
  return out;
}

// A measured "auto" carried over to a new worker (a new thread count moves the run there): the
// old worker's BACKEND message as a verdict, so the run stays where it was measured faster;
// null where that backend was not measured (the new worker then follows the policy).
export function carriedVerdict(backend) {
  if (!backend?.rates) return null;
  const { isGpu: useGpu, reasonCode, reason: sentence, rates } = backend;
  return { useGpu, reasonCode, sentence, cpuRate: rates.cpu, gpuRate: rates.gpu };
}
