// The Generate view's latent tools: truncation (psi), sliders along the model's principal
// directions, a latent plane between selected cells, and "find my digit" (draw or drop a
// picture; a worker searches for the latent that draws it). All computing is in Rust
// (pkg/webgan.js, find-worker.js); this file builds the controls and draws.
import { truncate, latentPlane, modelDirections } from './pkg/webgan.js';
import { DrawPad } from './draw-pad.js';

const $ = (id) => document.getElementById(id);
const SLIDERS = 5;
const PLANE = 8; // cells per side of the latent plane
const PAD = 196;

const el = (tag, props = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

export class LatentTools {
  // view: {state, run, draw, drawFocus, latentOf, labelOf, setStatus, regenerate, select, cols}
  constructor(view) {
    this.view = view;
    this.directions = null;
    this.worker = null;
    this.finding = false;
    this.build();
  }

  // ---- controls -------------------------------------------------------------------------
  build() {
    const box = $('latent-tools');
    this.psi = el('input', { type: 'range', id: 'psi', min: 0, max: 1, step: 0.05, value: 1 });
    this.psiOut = el('output', { id: 'psi-value', textContent: '1.00' });
    this.psi.addEventListener('input', () => { this.psiOut.textContent = Number(this.psi.value).toFixed(2); });
    this.psi.addEventListener('change', () => this.view.run(() => this.view.regenerate()));
    this.planeButton = el('button', { type: 'button', id: 'plane-draw', disabled: true, textContent: 'Draw latent plane' });
    this.planeButton.addEventListener('click', () => this.view.run(() => this.drawPlane()));
    this.planeCanvas = el('canvas', { id: 'plane', width: 28 * PLANE, height: 28 * PLANE });
    this.planeCanvas.setAttribute('aria-label', 'Latent plane between the selected cells');

    this.padCanvas = el('canvas', { id: 'draw-pad', width: PAD, height: PAD });
    this.padCanvas.setAttribute('aria-label', 'Drawing pad: draw a digit with the mouse, a finger or a pen, or drop an image');
    this.pad = new DrawPad(this.padCanvas, { onChange: (e) => this.padChanged(e) });
    this.fileInput = el('input', { type: 'file', id: 'find-file', accept: 'image/*', hidden: true });
    this.fileInput.addEventListener('change', () => {
      const file = this.fileInput.files[0];
      this.fileInput.value = '';
      if (file) this.pad.loadFile(file).catch((e) => this.findStatus(e.message, true));
    });
    this.findButton = el('button', { type: 'button', id: 'find', className: 'primary', textContent: 'Find' });
    this.findButton.addEventListener('click', () => (this.finding ? this.stopFind() : this.find()));
    this.steps = el('input', { type: 'number', id: 'find-steps', min: 1, max: 2000, value: 300, className: 'short' });
    this.compare = el('canvas', { id: 'find-compare', width: 56, height: 28 });
    this.compare.setAttribute('aria-label', 'The picture as the model sees it, and the best match so far');
    this.progress = el('progress', { id: 'find-progress', max: 1, value: 0 });
    this.findText = el('p', { id: 'find-status', className: 'hint' });
    this.findText.setAttribute('role', 'status');

    box.append(
      el('h2', { textContent: 'Latent tools' }),
      el('div', { className: 'row' }, [
        el('label', { title: 'Truncation: pulls every latent toward the mean. 1 = untouched, 0 = the average sample' },
          ['Truncation ψ ', this.psi, ' ', this.psiOut]),
      ]),
      el('div', { className: 'row' }, [
        this.planeButton,
        el('span', { className: 'hint', textContent: 'Select 2–4 cells (corners: top-left, top-right, bottom-left, bottom-right).' }),
      ]),
      this.planeCanvas,
      el('h3', { textContent: 'Find my digit' }),
      el('p', { className: 'hint', textContent: 'Draw a digit (mouse, finger or pen) or drop an image; webgan searches for the latent vector, and the class, that draws it.' }),
      el('div', { className: 'row' }, [
        this.padCanvas,
        el('div', {}, [
          el('div', { className: 'row' }, [
            this.findButton,
            el('button', { type: 'button', id: 'find-clear', textContent: 'Clear', onclick: () => this.pad.clear() }),
            el('button', { type: 'button', textContent: 'Choose image…', onclick: () => this.fileInput.click() }),
            this.fileInput,
          ]),
          el('label', { title: 'Adam steps of the search: more is closer and slower' }, ['Steps ', this.steps]),
          el('div', { className: 'row' }, [this.compare, this.progress]),
          this.findText,
        ]),
      ]),
    );
  }

  // ---- model and selection hooks (called by app.js) ---------------------------------------
  // A model was loaded: size the canvases, then (queued after the first grid, so the page
  // never waits for it) fetch or compute its principal directions.
  onModel() {
    const gan = this.view.state.gan;
    this.directions = null;
    const image = gan.imageSize > 0;
    $('latent-tools').hidden = !image;
    if (!image) return;
    const size = gan.imageSize;
    this.planeCanvas.width = this.planeCanvas.height = size * PLANE;
    this.compare.width = size * 2;
    this.compare.height = size;
    this.buildSliders([]);
    this.view.run(() => this.loadDirections(gan));
  }

  async loadDirections(gan) {
    if (this.view.state.gan !== gan) return; // another model came meanwhile
    const stored = JSON.parse(gan.manifest).directions;
    if (!stored) this.view.setStatus('finding the principal directions (this file stores none)…');
    const t0 = performance.now();
    const json = JSON.parse(await modelDirections(gan));
    if (this.view.state.gan !== gan) return;
    this.directions = json.directions;
    this.buildSliders(this.directions.sets[0].variance_share);
    $('sliders').dataset.source = json.computed ? 'computed' : 'stored';
    if (json.computed) {
      this.view.setStatus(`principal directions computed in ${((performance.now() - t0) / 1000).toFixed(1)} s (this file stores none)`);
    }
  }

  // The psi in force, applied to a grid's latents.
  truncated(z) {
    const psi = Number(this.psi.value);
    return psi >= 1 ? z : truncate(z, psi);
  }

  onSelect() {
    for (const input of $('sliders').querySelectorAll('input')) input.value = 0;
    const n = this.view.state.selected.length;
    this.planeButton.disabled = n < 2;
    this.refreshSliderLabels();
  }

  // ---- principal directions ---------------------------------------------------------------
  setFor(index) {
    const d = this.directions;
    if (!d) return null;
    const labels = this.view.state.labels;
    const cls = labels && labels.length ? labels[index] : 0;
    return d.per_class ? d.sets[cls] : d.sets[0];
  }

  buildSliders(shares) {
    const box = $('sliders');
    box.innerHTML = '';
    if (!shares.length) {
      box.append(el('p', { className: 'hint', textContent: 'finding the principal directions…' }));
      return;
    }
    for (let k = 0; k < Math.min(SLIDERS, shares.length); k++) {
      const input = el('input', { type: 'range', min: -3, max: 3, step: 0.05, value: 0 });
      input.dataset.direction = String(k);
      input.addEventListener('input', () => {
        if (this.sliderQueued) return;
        this.sliderQueued = true;
        this.view.run(() => { this.sliderQueued = false; return this.moveAlongDirections(); });
      });
      const text = el('span', { className: 'slider-label' });
      box.append(el('label', { title: 'Move the selected sample along this principal direction of the generator' }, [text, input]));
    }
    this.refreshSliderLabels();
  }

  // Each slider is labelled with the share of the first layer's variance its direction drives
  // (for a per-class model: the selected cell's class).
  refreshSliderLabels() {
    const sel = this.view.state.selected;
    const set = this.setFor(sel.length ? sel[0] : 0);
    if (!set) return;
    for (const label of $('sliders').querySelectorAll('label')) {
      const input = label.querySelector('input');
      const k = Number(input.dataset.direction);
      label.querySelector('.slider-label').textContent = `direction ${k + 1} · ${(set.variance_share[k] * 100).toFixed(1)}% of variance `;
    }
  }

  async moveAlongDirections() {
    const { state } = this.view;
    if (!state.selected.length) return;
    const index = state.selected[0];
    const z = this.view.latentOf(index);
    const set = this.setFor(index);
    if (!set) return;
    for (const input of $('sliders').querySelectorAll('input')) {
      const u = set.vectors[Number(input.dataset.direction)];
      const a = Number(input.value);
      for (let i = 0; i < z.length; i++) z[i] += a * u[i];
    }
    await this.view.drawFocus(z, this.view.labelOf(index));
  }

  // ---- latent plane -----------------------------------------------------------------------
  async drawPlane() {
    const { state } = this.view;
    const sel = state.selected.slice(0, 4);
    if (sel.length < 2) return;
    const d = state.gan.latentDim;
    const corners = new Float32Array(sel.length * d);
    sel.forEach((index, i) => corners.set(this.view.latentOf(index), i * d));
    const z = latentPlane(corners, d, PLANE, PLANE);
    const labels = state.labels.length ? new Int32Array(PLANE * PLANE).fill(state.labels[sel[0]]) : [];
    const t0 = performance.now();
    const samples = await state.gan.generate(z, labels);
    this.view.draw(this.planeCanvas, samples, PLANE);
    this.planeCanvas.dataset.drawn = String(Number(this.planeCanvas.dataset.drawn || 0) + 1);
    this.view.setStatus(`latent plane between cells ${sel.join(', ')}: ${PLANE * PLANE} samples in ${(performance.now() - t0).toFixed(0)} ms`);
  }

  // ---- find my digit ----------------------------------------------------------------------
  padChanged(e) {
    if (e.error) this.findStatus(e.error, true);
    else if (e.cleared) this.findStatus('');
  }

  findStatus(text, error = false) {
    this.findText.textContent = text;
    this.findText.classList.toggle('error', error);
  }

  stopFind() {
    if (this.worker) this.worker.postMessage({ type: 'stop' });
  }

  find() {
    const { state } = this.view;
    if (!state.gan || state.gan.imageSize === 0) return;
    const bytes = state.bytes.get(state.model);
    if (!bytes) {
      this.findStatus('this model is not available to the search worker', true);
      return;
    }
    this.worker ??= this.startWorker();
    const { rgba, width, height } = this.pad.rgba();
    this.finding = true;
    this.findButton.textContent = 'Stop';
    this.progress.value = 0;
    this.findStatus('starting the search…');
    this.worker.postMessage({
      type: 'find', backend: state.backend.isGpu ? 'webgpu' : 'cpu', model: state.model, bytes: bytes.slice(),
      rgba, width, height, class: -1, steps: Math.max(1, Math.min(2000, Number(this.steps.value) || 300)),
    }, [rgba.buffer]);
  }

  startWorker() {
    const worker = new Worker(new URL('./find-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (e) => this.onWorker(e.data);
    worker.onerror = (e) => this.finished(`the search failed: ${e.message || 'worker error'}`, true);
    return worker;
  }

  onWorker(msg) {
    const size = this.view.state.gan.imageSize;
    const per = size * size * this.view.state.gan.channels;
    if (msg.type === 'status') this.findStatus(msg.text);
    else if (msg.type === 'error') this.finished(msg.message, true);
    else if (msg.type === 'target') {
      this.target = msg.pixels;
      const pair = new Float32Array(this.target.length * 2).fill(-1);
      pair.set(this.target, 0);
      this.view.draw(this.compare, pair, 2);
      if (msg.blank) this.findStatus('the pad is blank: searching anyway…');
    } else if (msg.type === 'progress') {
      const sample = new Float32Array(msg.sample);
      const pair = new Float32Array(per * 2);
      pair.set(this.target.subarray(0, per), 0);
      pair.set(sample, per);
      this.view.draw(this.compare, pair, 2);
      this.progress.value = msg.step / msg.steps;
      const cls = msg.class === null ? '' : `digit ${msg.class}, `;
      this.findStatus(`step ${msg.step}/${msg.steps}: ${cls}${msg.message} — ${(msg.ms / 1000).toFixed(1)} s`);
      if (msg.done) this.placeResult(msg, sample);
    }
  }

  finished(text, error = false) {
    this.finding = false;
    this.findButton.textContent = 'Find';
    if (text) this.findStatus(text, error);
  }

  // The match becomes the grid's last cell, selected: walk, interpolate, slide, download.
  placeResult(msg, sample) {
    const { state } = this.view;
    const index = state.z.length / state.gan.latentDim - 1;
    const d = state.gan.latentDim;
    state.z.set(Float32Array.from(msg.z), index * d);
    if (state.labels.length && msg.class !== null) state.labels[index] = msg.class;
    state.samples.set(sample, index * sample.length);
    this.view.draw($('samples'), state.samples, this.view.cols);
    state.selected = [];
    const cls = msg.class === null ? '' : ` (digit ${msg.class})`;
    this.finished(`${msg.stopped ? 'stopped early; ' : ''}found${cls}: ${msg.message}. It is now the grid's last cell, selected.`);
    document.body.dataset.found = String(Number(document.body.dataset.found || 0) + 1);
    this.view.run(() => this.view.select(index));
  }
}
