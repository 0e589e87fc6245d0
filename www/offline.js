// Offline use: registers the service worker (sw.js), which keeps this build of the page in the
// browser, and says in the status bar's "Offline" line what it does: saving, available offline,
// running offline, a new version ready (with a Reload button), or why it cannot. The body's
// data-offline ('saving' | 'ready' | 'offline' | 'update' | 'off' | 'error') is for styles and
// tests; data-offline-build names the build the worker holds.
import { messageOf } from './common.js';
import { $, StatusLine } from './dom.js';

const line = new StatusLine('offline-status', null, 'webgan offline');

function say(state, text, kind = 'info') {
  document.body.dataset.offline = state;
  line.show(text, { kind });
}

// The build a worker holds (null for an unstamped one: www/ served as it is).
function buildOf(worker) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (e) => resolve(e.data.build);
    worker.postMessage({ type: 'webgan-build' }, [channel.port2]);
  });
}

// A new build is installed and waits: the Reload button hands over to it, then reloads, so the
// page never runs files of two builds.
function offerUpdate(text, waiting) {
  say('update', text);
  const button = $('offline-reload');
  button.hidden = false;
  button.onclick = () => {
    button.disabled = true;
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), {
      once: true,
    });
    if (waiting) waiting.postMessage({ type: 'webgan-activate' });
    else location.reload();
  };
}

async function showActive(worker) {
  const build = await buildOf(worker);
  if (document.body.dataset.offline === 'update') return; // the offer stands
  if (!build) {
    say('off', 'not saved: a development build (scripts/build-web.sh makes the offline one)');
    return;
  }
  document.body.dataset.offlineBuild = build;
  say(
    navigator.onLine ? 'ready' : 'offline',
    navigator.onLine
      ? 'available offline: this page, its generator and the digits model are saved'
      : 'no network: running from the copy saved in this browser',
  );
}

const tracked = new WeakSet();
function track(registration, worker) {
  if (!worker || tracked.has(worker)) return;
  tracked.add(worker);
  const update = Boolean(navigator.serviceWorker.controller);
  if (!update) say('saving', 'saving this page for offline use…');
  worker.addEventListener('statechange', () => {
    if (worker.state === 'installed' && update)
      offerUpdate('a new version is ready: Reload to use it', worker);
    else if (worker.state === 'activated' && !update) showActive(worker);
    else if (worker.state === 'redundant' && !registration.active)
      say('error', 'could not be saved for offline use; the next visit tries again', 'error');
  });
}

// Starts once `after` settles (the first grid: the worker then reuses what the page downloaded
// instead of downloading it again).
export async function startOffline(after) {
  if (!navigator.serviceWorker) {
    say(
      'off',
      'not available: this browser, or a page served over plain http, has no service workers',
    );
    return;
  }
  navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'webgan-stale')
      offerUpdate('a new version was deployed while this page was open: Reload to use it');
  });
  await after;
  let registration;
  try {
    registration = await navigator.serviceWorker.register('sw.js');
  } catch (e) {
    say('error', `could not be set up: ${messageOf(e)}`, 'error');
    return;
  }
  if (!registration) {
    // Some embedders (e.g. a test browser that blocks workers) answer with nothing.
    say('off', 'not available: service workers are blocked in this browser');
    return;
  }
  registration.addEventListener('updatefound', () => track(registration, registration.installing));
  if (registration.installing) track(registration, registration.installing);
  if (registration.waiting && navigator.serviceWorker.controller)
    offerUpdate('a new version is ready: Reload to use it', registration.waiting);
  else if (registration.active) showActive(registration.active);
  window.addEventListener('online', () => registration.active && showActive(registration.active));
  window.addEventListener('offline', () => registration.active && showActive(registration.active));
}
