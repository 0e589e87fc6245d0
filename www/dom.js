// Helpers for the page's DOM, shared by both views (the worker has its own, DOM-free set in
// common.js).

export const $ = (id) => document.getElementById(id);

// Saves a blob as a file through a temporary link.
export function download(name, blob) {
  const a = Object.assign(document.createElement('a'), {
    href: URL.createObjectURL(blob),
    download: name,
  });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// Makes `target` take a dropped file: highlighted (class "drop") while one is dragged over it,
// `onFile(file)` on the drop.
export function acceptDrops(target, onFile) {
  target.addEventListener('dragover', (e) => {
    e.preventDefault();
    target.classList.add('drop');
  });
  target.addEventListener('dragleave', () => target.classList.remove('drop'));
  target.addEventListener('drop', (e) => {
    e.preventDefault();
    target.classList.remove('drop');
    const file = e.dataTransfer.files[0];
    if (file) onFile(file);
  });
}

// A status line: one sentence of what the page is doing, an optional progress bar, and the
// state in data-state ('busy' | 'ready' | 'error') for styles and tests.
export class StatusLine {
  constructor(textId, barId = null, prefix = 'webgan') {
    this.text = $(textId);
    this.bar = barId ? $(barId) : null;
    this.prefix = prefix;
  }

  // progress: a fraction 0..1, NaN for "busy, amount unknown", or null for no bar.
  show(text, { kind = 'info', progress = null } = {}) {
    this.text.textContent = text;
    this.text.classList.toggle('error', kind === 'error');
    this.text.dataset.state = kind === 'error' ? 'error' : progress === null ? 'ready' : 'busy';
    if (this.bar) {
      this.bar.hidden = progress === null;
      if (Number.isFinite(progress)) this.bar.value = Math.min(1, Math.max(0, progress));
      else this.bar.removeAttribute('value'); // indeterminate
    }
    if (kind === 'error') console.error(`${this.prefix}:`, text);
  }

  error(text) {
    this.show(text, { kind: 'error' });
  }
}

// Fills `element` with a one-line summary and its details one click away:
// <details><summary>summary</summary> details </details>. `details` is a string, or a list of
// [term, text] pairs (a definition list); `raw`, when given, is shown preformatted below.
export function showWithDetails(element, summary, details, raw = null) {
  const box = document.createElement('details');
  const head = document.createElement('summary');
  head.textContent = summary;
  box.append(head);
  if (typeof details === 'string') {
    box.append(Object.assign(document.createElement('p'), { textContent: details }));
  } else {
    const list = document.createElement('dl');
    for (const [term, text] of details) {
      list.append(Object.assign(document.createElement('dt'), { textContent: term }));
      list.append(Object.assign(document.createElement('dd'), { textContent: text }));
    }
    box.append(list);
  }
  if (raw !== null) box.append(Object.assign(document.createElement('pre'), { textContent: raw }));
  element.replaceChildren(box);
}
