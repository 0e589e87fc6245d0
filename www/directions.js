// The explorer's sliders: they move the selected cell along the generator's principal
// directions (stored in the model file, or computed once in Rust when it has none), largest
// first, each labelled with the share of the first layer's variance it drives. A per-class
// model has one set per class: the sliders follow the selected cell's class. Beside them, the
// attribute sliders ("younger ↔ older", …) move it along the named directions its file stores;
// their names and labels come from Rust (modelAttributes). This file builds the sliders and sums
// the offsets; explore.js draws the result.
import { $ } from './dom.js';
import { session, status } from './session.js';

const SLIDERS = 5;
const RANGE = 3; // each slider moves up to this far (in the prior's standard deviations)
let directions = null; // { per_class, sets: [{ variance_share, vectors }] } of the loaded model
let attributes = []; // [{ name, label, direction }] of the loaded model; [] when it stores none
let onSlide = () => {}; // called with the slider a person moved

// `slide(input)` is called whenever a slider moves (explore.js redraws the focus view).
export function wireDirections(slide) {
  onSlide = slide;
}

// A new model: no directions yet; the sliders say they are coming.
export function clearDirections() {
  directions = null;
  attributes = [];
  $('attribute-sliders').replaceChildren();
  $('attributes-tool').hidden = true;
  const box = $('sliders');
  delete box.dataset.source;
  box.replaceChildren(
    Object.assign(document.createElement('p'), {
      className: 'hint',
      textContent: 'finding the principal directions…',
    }),
  );
}

// Reads (or computes) the directions of `gan`; queued after the first grid, so the page never
// waits for them. Does nothing if another model came meanwhile.
export async function loadDirections(gan) {
  if (session.gan !== gan) return;
  // Stored in the file or absent: nothing to wait for.
  attributes = JSON.parse(session.wasm.modelAttributes(gan));
  buildAttributeSliders();
  const stored = JSON.parse(gan.manifest).directions;
  if (!stored)
    status.show('finding the principal directions (this file stores none)…', { progress: NaN });
  const t0 = performance.now();
  const json = JSON.parse(await session.wasm.modelDirections(gan));
  if (session.gan !== gan) return;
  directions = json.directions;
  buildSliders(Math.min(SLIDERS, directions.sets[0].variance_share.length));
  $('sliders').dataset.source = json.computed ? 'computed' : 'stored';
  if (json.computed) {
    status.show(
      `principal directions computed in ${((performance.now() - t0) / 1000).toFixed(1)} s (this file stores none)`,
    );
  }
}

// A labelled range input with its value, appended to `box`; `text` labels it.
function addSlider(box, id, text) {
  const label = Object.assign(document.createElement('label'), {
    htmlFor: id,
    className: 'slider-label',
    textContent: text,
  });
  const input = Object.assign(document.createElement('input'), {
    id,
    type: 'range',
    min: -RANGE,
    max: RANGE,
    step: 0.05,
    value: 0,
  });
  const value = Object.assign(document.createElement('output'), {
    htmlFor: id,
    textContent: '0.00',
  });
  input.addEventListener('input', () => {
    value.textContent = Number(input.value).toFixed(2);
    onSlide(input);
  });
  box.append(label, input, value);
  return input;
}

function buildSliders(count) {
  const box = $('sliders');
  box.replaceChildren();
  for (let k = 0; k < count; k++) {
    addSlider(box, `direction-${k}`, '').dataset.direction = String(k);
  }
  showDirectionsFor(session.selected[session.selected.length - 1]);
}

function buildAttributeSliders() {
  const box = $('attribute-sliders');
  box.replaceChildren();
  attributes.forEach((a, k) => {
    addSlider(box, `attribute-${a.name}`, a.label).dataset.attribute = String(k);
  });
  $('attributes-tool').hidden = attributes.length === 0;
  showDirectionsFor(session.selected[session.selected.length - 1]);
}

const allSliders = () => document.querySelectorAll('#sliders input, #attribute-sliders input');

function setFor(index) {
  if (!directions) return null;
  const cls =
    session.labels && session.labels.length && index !== undefined ? session.labels[index] : 0;
  return directions.per_class ? directions.sets[cls] : directions.sets[0];
}

// The selected cell changed (undefined: none): sliders back to the cell itself, labelled for
// its class.
export function showDirectionsFor(index) {
  const set = setFor(index);
  for (const input of allSliders()) {
    input.value = 0;
    input.disabled = index === undefined;
    input.nextElementSibling.textContent = '0.00';
    if (set && input.dataset.direction !== undefined) {
      const k = Number(input.dataset.direction);
      input.labels[0].textContent = `direction ${k + 1} · ${(set.variance_share[k] * 100).toFixed(1)}% of variance`;
    }
  }
}

// The latent of cell `index` moved by every slider's offset along its direction (null before
// any directions are known).
export function movedLatent(index, z) {
  const set = setFor(index);
  if (!set && !attributes.length) return null;
  for (const input of allSliders()) {
    const u =
      input.dataset.direction !== undefined
        ? set && set.vectors[Number(input.dataset.direction)]
        : attributes[Number(input.dataset.attribute)].direction;
    const a = Number(input.value);
    if (u && a !== 0) for (let i = 0; i < z.length; i++) z[i] += a * u[i];
  }
  return z;
}
