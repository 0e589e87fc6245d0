// The sample grid: draws generated images onto a canvas, marks the selected cells (DOM boxes
// over the canvas, so they stay crisp at any zoom) and lets a person select cells with the
// mouse or the keyboard:
//   click            select a cell (clicks elsewhere add cells, up to MAX_SELECTED; click a marked cell to drop it)
//   arrow keys       move the newest selection
//   Enter / Space    keep the selected cells: the next arrow key adds one
//   Escape           keep only the newest selection
// With several cells selected, the marks read A, B, C, D in the order they were picked (the
// interpolation runs from A to B; a latent plane has them as its corners).
// Every change of selection is announced (aria-live) and dispatched as a 'gridselect' event on
// the canvas (detail: { selected }); the canvas carries data-selected="i,j,…" for tests.
import { $ } from './dom.js';
import { COLS, MAX_SELECTED, N, session } from './session.js';

const ROWS = N / COLS;
let pinned = false; // Enter kept the selection: the next arrow key adds a cell
const LETTERS = 'ABCD';

// Draws samples (the generator's output, n x size x size x channels) as a grid of `cols` columns.
export function drawSamples(canvas, samples, cols) {
  const { gan, wasm } = session;
  const grid = wasm.renderGrid(samples, gan.imageSize, gan.channels, cols);
  const { width, height } = grid;
  const rgba = grid.rgba;
  grid.free();
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  canvas
    .getContext('2d')
    .putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer), width, height), 0, 0);
}

// The values of one cell of the latest grid (for drawing it alone without generating again).
export function cellSamples(index) {
  const per = session.gan.imageSize * session.gan.imageSize * session.gan.channels;
  return session.samples.slice(index * per, (index + 1) * per);
}

export function setSelection(selected) {
  session.selected = selected.filter((v, i, all) => all.indexOf(v) === i).slice(-MAX_SELECTED);
  pinned = false;
  showMarks();
  const canvas = $('samples');
  canvas.dataset.selected = session.selected.join(',');
  const newest = session.selected[session.selected.length - 1];
  $('grid-announce').textContent =
    newest === undefined
      ? 'No cell selected.'
      : `Cell ${newest + 1} selected (row ${Math.floor(newest / COLS) + 1}, column ${(newest % COLS) + 1})` +
        withOthers(session.selected.slice(0, -1));
  canvas.dispatchEvent(new CustomEvent('gridselect', { detail: { selected: session.selected } }));
}

function withOthers(others) {
  if (!others.length) return '.';
  const cells = others.map((i) => i + 1);
  return others.length === 1
    ? `, with cell ${cells[0]}.`
    : `, with cells ${cells.slice(0, -1).join(', ')} and ${cells[cells.length - 1]}.`;
}

function showMarks() {
  const box = $('grid-marks');
  box.replaceChildren();
  const newest = session.selected.length - 1;
  session.selected.forEach((index, i) => {
    const mark = document.createElement('div');
    mark.className = i === newest ? 'mark newest' : 'mark';
    mark.style.left = `${(100 * (index % COLS)) / COLS}%`;
    mark.style.top = `${(100 * Math.floor(index / COLS)) / ROWS}%`;
    mark.textContent = session.selected.length >= 2 ? LETTERS[i] : '';
    box.append(mark);
  });
}

function cellAt(canvas, event) {
  const rect = canvas.getBoundingClientRect();
  const col = Math.floor(((event.clientX - rect.left) / rect.width) * COLS);
  const row = Math.floor(((event.clientY - rect.top) / rect.height) * ROWS);
  if (col < 0 || col >= COLS || row < 0 || row >= ROWS) return null;
  return row * COLS + col;
}

function click(index) {
  const at = session.selected.indexOf(index);
  if (at >= 0) setSelection(session.selected.filter((i) => i !== index));
  else setSelection([...session.selected, index]);
}

const MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

function key(event) {
  const current = session.selected[session.selected.length - 1] ?? 0;
  if (event.key in MOVES) {
    const [dx, dy] = MOVES[event.key];
    const col = Math.min(COLS - 1, Math.max(0, (current % COLS) + dx));
    const row = Math.min(ROWS - 1, Math.max(0, Math.floor(current / COLS) + dy));
    const next = row * COLS + col;
    if (!session.selected.length) setSelection([next]);
    else if (pinned) setSelection([...session.selected, next]);
    else setSelection([...session.selected.slice(0, -1), next]);
  } else if (event.key === 'Enter' || event.key === ' ') {
    if (!session.selected.length) setSelection([current]);
    pinned = true;
    $('grid-announce').textContent =
      `Cell ${current + 1} kept: move with the arrow keys to choose another cell.`;
  } else if (event.key === 'Escape') {
    setSelection(session.selected.slice(-1));
  } else {
    return false;
  }
  event.preventDefault();
  return true;
}

// Wires the grid's canvas; `canSelect()` says whether the grid currently holds selectable
// images (a 2-D scatter does not).
export function wireGrid(canSelect) {
  const canvas = $('samples');
  canvas.addEventListener('click', (e) => {
    if (!canSelect()) return;
    const index = cellAt(canvas, e);
    if (index !== null) click(index);
  });
  canvas.addEventListener('keydown', (e) => {
    if (canSelect()) key(e);
  });
}
