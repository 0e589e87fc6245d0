import { loadModule } from './modules.js';
import { $ } from './dom.js';

// The Train view's settings form: reads the fields into the trainer's spec (JSON), refusing
// invalid values with a message (never clamping them), and shows the effective values the
// trainer chose for empty fields. An empty field means "the trainer's default".

// id, spec key, what the message calls it. The bounds are not here: they come from Rust
// (trainLimits(), the same table the trainer validates against), so the form refuses exactly
// what the trainer would.
const FIELDS = [
  { id: 'train-lr-g', key: 'lr_g', name: 'learning rate G' },
  { id: 'train-lr-d', key: 'lr_d', name: 'learning rate D' },
  { id: 'train-batch', key: 'batch_size', name: 'batch size' },
  { id: 'train-d-steps', key: 'd_steps', name: 'D steps per G step' },
  { id: 'train-latent', key: 'latent_dim', name: 'latent size' },
  { id: 'train-width', key: 'width', name: 'network width' },
  { id: 'train-seed', key: 'seed', name: 'seed' },
  { id: 'train-ema', key: 'ema_decay', name: 'EMA decay' },
  { id: 'train-beta1', key: 'beta1', name: 'Adam β1' },
  { id: 'train-beta2', key: 'beta2', name: 'Adam β2' },
  { id: 'train-d-width', key: 'd_width_factor', name: 'D width ×' },
  { id: 'train-aux', key: 'aux_weight', name: 'D classifier weight' },
  { id: 'train-r1', key: 'r1_weight', name: 'R1 γ' },
];
// DiffAugment's policy when its box is ticked (Rust's Augmentation names; the order is Rust's).
const AUGMENT = ['color', 'translation', 'cutout'];
export const TRAINING_FIELD_IDS = [
  'train-dataset',
  'train-loss',
  'train-augment',
  'train-spectral',
  'train-class-norm',
  'train-upsample',
  ...FIELDS.map((f) => f.id),
];
// The refresh period is the page's own setting (not the trainer's).
const REFRESH = {
  id: 'train-refresh',
  name: '"refresh views every"',
  limit: { min: 1, max: 100000, integer: true },
};

let limits = null;
let toyPresets = [];
// Loads the bounds and the presets' facts once, from the generation module (the Generate view
// has usually loaded it; every module carries the same tables).
export async function loadLimits() {
  if (limits) return;
  const wasm = await loadModule('gen');
  toyPresets = JSON.parse(wasm.trainPresets())
    .filter((p) => p.toy)
    .map((p) => p.name);
  limits = new Map(JSON.parse(wasm.trainLimits()).map((l) => [l.key, l]));
}

// Whether a data-set name is one of Rust's toy presets (2-D points made in code). Valid once
// loadLimits() has finished, which the Train view awaits before it trains or resumes.
export const isToy = (name) => toyPresets.includes(name);

// Returns { value } or { error } for one field's text.
function parse(name, limit, text) {
  const t = text.trim();
  if (t === '') return { value: undefined };
  const v = Number(t);
  const above = limit.min_exclusive ? v > limit.min : v >= limit.min;
  if (Number.isFinite(v) && above && v <= limit.max && (!limit.integer || Number.isInteger(v)))
    return { value: v };
  if (limit.integer)
    return {
      error: `${name} must be a whole number from ${limit.min} to ${limit.max} (got "${t}")`,
    };
  if (limit.min_exclusive)
    return {
      error: `${name} must be a number above ${limit.min} and at most ${limit.max} (got "${t}")`,
    };
  return { error: `${name} must be a number from ${limit.min} to ${limit.max} (got "${t}")` };
}

function mark(id, error) {
  const input = $(id);
  input.classList.toggle('invalid', !!error);
  input.setAttribute('aria-invalid', error ? 'true' : 'false');
  input.title = error || '';
}

// { options, errors }: options holds only the fields the user filled in, plus the loss.
export function readOptions() {
  const options = { loss: $('train-loss').value };
  const errors = [];
  for (const field of FIELDS) {
    const { value, error } = parse(field.name, limits.get(field.key), $(field.id).value);
    mark(field.id, error);
    if (error) errors.push(error);
    else if (value !== undefined) options[field.key] = value;
  }
  if ($('train-augment').checked) options.augment = AUGMENT;
  if ($('train-spectral').checked) options.spectral_norm = true;
  // Left to the recipe (on for digits) until the user ticks or unticks it; Rust refuses it,
  // with a message, for data without classes.
  if (classNormChosen) options.class_norm = $('train-class-norm').checked;
  // Empty: the preset's (Rust refuses resize for 2-D points, with a message).
  if ($('train-upsample').value) options.upsample = $('train-upsample').value;
  return { options, errors };
}

// Whether the user has set "Class batch norm" for this data set; until then the box shows the
// data set's default and the spec leaves it out.
let classNormChosen = false;
export function watchForm() {
  $('train-class-norm').addEventListener('change', () => (classNormChosen = true));
  $('train-dataset').addEventListener('change', () => (classNormChosen = false));
}

export function readRefresh() {
  const parsed = parse(REFRESH.name, REFRESH.limit, $(REFRESH.id).value);
  const error =
    parsed.error || (parsed.value === undefined ? `${REFRESH.name} needs a number of steps` : null);
  mark(REFRESH.id, error);
  return error ? { error } : { value: parsed.value };
}

// After a trainer is made (or resumed): empty fields show the value in use as their placeholder.
// Values are never written into the fields: what the user typed is what a Reset starts from.
export function showEffective(options) {
  shown += 1;
  for (const field of FIELDS) {
    if (options[field.key] !== undefined) $(field.id).placeholder = String(options[field.key]);
  }
  if (options.loss && [...$('train-loss').options].some((o) => o.value === options.loss))
    $('train-loss').value = options.loss;
  if (options.class_norm !== undefined) $('train-class-norm').checked = options.class_norm;
  const parts = Object.entries(options)
    .filter(
      ([, v]) =>
        v !== null && v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0),
    )
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('+') : v}`);
  $('train-effective').textContent = parts.length ? `In use: ${parts.join(', ')}` : '';
}

// Before anything trains, empty fields show the defaults Rust resolves for the chosen data set
// (they differ per data set; the page trains digits with its minutes recipe) as placeholders;
// "default" where the data decide (your own files).
let shown = 0; // the latest of showEffective and clearEffective wins, whichever finishes last
export async function clearEffective() {
  const mine = ++shown;
  $('train-effective').textContent = '';
  const preset = $('train-dataset').value;
  let defaults = {};
  if (preset !== 'files') {
    const wasm = await loadModule('gen');
    defaults = JSON.parse(wasm.trainDefaults(JSON.stringify({ preset })));
  }
  if (mine !== shown) return;
  if (!classNormChosen) $('train-class-norm').checked = defaults.class_norm === true;
  for (const field of FIELDS) {
    const value = defaults[field.key];
    $(field.id).placeholder = value === undefined ? 'default' : String(value);
  }
}
