// The Train view's settings form: reads the fields into the WebTrainer's options JSON, refusing
// invalid values with a message (never clamping them), and shows the effective values the
// trainer chose for empty fields. An empty field means "the trainer's default".

const $ = (id) => document.getElementById(id);

// id, options key, what the message calls it, number kind, inclusive bounds (lr: 0 < lr <= 1).
const FIELDS = [
  { id: 'train-lr-g', key: 'lr_g', name: 'learning rate G', kind: 'rate' },
  { id: 'train-lr-d', key: 'lr_d', name: 'learning rate D', kind: 'rate' },
  { id: 'train-batch', key: 'batch_size', name: 'batch size', kind: 'int', min: 1, max: 4096 },
  { id: 'train-d-steps', key: 'd_steps', name: 'D steps per G step', kind: 'int', min: 1, max: 20 },
  { id: 'train-latent', key: 'latent_dim', name: 'latent size', kind: 'int', min: 1, max: 1024 },
  { id: 'train-width', key: 'width', name: 'network width', kind: 'int', min: 4, max: 1024 },
  { id: 'train-seed', key: 'seed', name: 'seed', kind: 'int', min: 0, max: 4294967295 },
];
export const TRAINING_FIELD_IDS = ['train-dataset', 'train-loss', ...FIELDS.map((f) => f.id)];
const REFRESH = { id: 'train-refresh', name: '"refresh views every"', kind: 'int', min: 1, max: 100000 };

// Returns { value } or { error } for one field's text.
function parse(field, text) {
  const t = text.trim();
  if (t === '') return { value: undefined };
  const v = Number(t);
  if (field.kind === 'rate') {
    if (!Number.isFinite(v) || v <= 0 || v > 1) return { error: `${field.name} must be a number above 0 and at most 1 (got "${t}")` };
    return { value: v };
  }
  if (!Number.isInteger(v) || v < field.min || v > field.max) {
    return { error: `${field.name} must be a whole number from ${field.min} to ${field.max} (got "${t}")` };
  }
  return { value: v };
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
    const { value, error } = parse(field, $(field.id).value);
    mark(field.id, error);
    if (error) errors.push(error);
    else if (value !== undefined) options[field.key] = value;
  }
  return { options, errors };
}

export function readRefresh() {
  const parsed = parse(REFRESH, $(REFRESH.id).value);
  const error = parsed.error || (parsed.value === undefined ? `${REFRESH.name} needs a number of steps` : null);
  mark(REFRESH.id, error);
  return error ? { error } : { value: parsed.value };
}

// After a trainer is made (or resumed): empty fields show the value in use as their placeholder.
// Values are never written into the fields: what the user typed is what a Reset starts from.
export function showEffective(options) {
  for (const field of FIELDS) {
    if (options[field.key] !== undefined) $(field.id).placeholder = String(options[field.key]);
  }
  if (options.loss && [...$('train-loss').options].some((o) => o.value === options.loss)) $('train-loss').value = options.loss;
  const imageOnly = ['image_size', 'channels', 'n_classes'];
  const parts = Object.entries(options)
    .filter(([k]) => options.data === 'images' || !imageOnly.includes(k))
    .map(([k, v]) => `${k} ${v}`);
  $('train-effective').textContent = parts.length ? `In use: ${parts.join(', ')}` : '';
}

// Placeholders return to "default" when the data set changes (defaults differ per data set).
export function clearEffective() {
  for (const field of FIELDS) $(field.id).placeholder = 'default';
  $('train-effective').textContent = '';
}
