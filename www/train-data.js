// Training data for the Train view, decoded into what WebTrainer.setImages takes: float pixels
// in [-1, 1], each image channels-first (CHW), and Int32 labels (empty when unlabelled).
// Runs in the training worker (fetch, DecompressionStream, createImageBitmap and OffscreenCanvas
// all exist there), so decoding thousands of images never blocks the page.
//
// A data set is { pixels: Float32Array, labels: Int32Array, count, size, channels, nClasses, summary }.

const DIGITS_MAGIC = 'WGD1';
const IDX_IMAGES = 0x00000803; // unsigned bytes, 3 dimensions (count, rows, cols)
const IDX_LABELS = 0x00000801; // unsigned bytes, 1 dimension
const TRAINER_SIZES = [28, 32, 64];
const COLOUR_SIZE = 32; // colour photos are trained at 32x32 RGB, grey ones at 28x28

const toUnit = (byte) => byte / 127.5 - 1;

// dist/digits.bin, written by scripts/make-digits-asset.mjs (format documented there).
export async function loadDigits(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the digits data set is not available (${url}: HTTP ${response.status}); scripts/build-web.sh makes it`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const view = new DataView(bytes.buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  const count = view.getUint32(4, true);
  const rows = view.getUint32(8, true);
  const cols = view.getUint32(12, true);
  if (magic !== DIGITS_MAGIC || rows !== 28 || cols !== 28 || bytes.length !== 16 + count * (rows * cols + 1)) {
    throw new Error(`${url} is not a digits file of this page's version (rebuild with scripts/build-web.sh)`);
  }
  const pixels = new Float32Array(count * rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = toUnit(bytes[16 + i]);
  const labels = Int32Array.from(bytes.subarray(16 + pixels.length));
  return { pixels, labels, count, size: 28, channels: 1, nClasses: 10, summary: `${count} MNIST digits (28x28, 10 classes)` };
}

// The user's own files: MNIST-style IDX files (an images file and optionally a labels file,
// gzipped or not), or image files the browser can decode. `shape` ({size, channels}) forces
// the image size, e.g. to match a checkpoint being resumed.
export async function decodeUserFiles(files, shape = null) {
  if (!files.length) throw new Error('choose your files first: MNIST IDX files (images, optionally labels; .gz is fine) or images');
  const idx = [];
  const others = [];
  for (const file of files) {
    const bytes = await readMaybeGzip(file);
    const magic = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, false) : 0;
    if (magic === IDX_IMAGES || magic === IDX_LABELS) idx.push({ file, bytes, magic });
    else others.push(file);
  }
  if (idx.length) {
    if (others.length) throw new Error(`mixed IDX and other files: ${others.map((f) => f.name).join(', ')} are not IDX; choose either IDX files or images`);
    return decodeIdx(idx, shape);
  }
  return decodeImages(files, shape);
}

async function readMaybeGzip(file) {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  if (head[0] !== 0x1f || head[1] !== 0x8b) return new Uint8Array(await file.arrayBuffer());
  try {
    const stream = file.stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${file.name}: looks gzipped but does not decompress (${e.message})`);
  }
}

function decodeIdx(entries, shape) {
  const images = entries.filter((e) => e.magic === IDX_IMAGES);
  const labelFiles = entries.filter((e) => e.magic === IDX_LABELS);
  if (images.length !== 1) throw new Error(`need exactly one IDX images file, got ${images.length} (${entries.map((e) => e.file.name).join(', ')})`);
  if (labelFiles.length > 1) throw new Error('more than one IDX labels file');
  const { file, bytes } = images[0];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 16) throw new Error(`${file.name}: truncated IDX header`);
  const count = view.getUint32(4, false);
  const rows = view.getUint32(8, false);
  const cols = view.getUint32(12, false);
  if (bytes.length !== 16 + count * rows * cols) {
    throw new Error(`${file.name}: header says ${count} images of ${rows}x${cols} (${16 + count * rows * cols} bytes), the file has ${bytes.length} bytes`);
  }
  if (rows !== cols || !TRAINER_SIZES.includes(rows)) {
    throw new Error(`${file.name}: images are ${rows}x${cols}; the trainer takes squares of ${TRAINER_SIZES.join(', ')} pixels`);
  }
  if (shape && (shape.size !== rows || shape.channels !== 1)) {
    throw new Error(`${file.name}: ${rows}x${cols} grey images, but the checkpoint trains on ${shape.size}x${shape.size} with ${shape.channels} channel(s)`);
  }
  const pixels = new Float32Array(count * rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = toUnit(bytes[16 + i]);
  let labels = new Int32Array(0);
  let nClasses = 0;
  if (labelFiles.length) {
    const l = labelFiles[0];
    const n = new DataView(l.bytes.buffer, l.bytes.byteOffset).getUint32(4, false);
    if (n !== count || l.bytes.length !== 8 + n) throw new Error(`${l.file.name}: ${n} labels in a ${l.bytes.length}-byte file, for ${count} images`);
    labels = Int32Array.from(l.bytes.subarray(8));
    const max = labels.reduce((a, b) => Math.max(a, b), 0);
    if (max > 9) throw new Error(`${l.file.name}: label ${max} found; conditional training takes classes 0-9`);
    nClasses = 10;
  }
  return { pixels, labels, count, size: rows, channels: 1, nClasses,
    summary: `${count} images from ${file.name} (${rows}x${cols} grey${nClasses ? ', labelled 0-9' : ''})` };
}

// Each image is centre-cropped to a square and resized. Grey images (every pixel r = g = b)
// train at 28x28 with one channel, others at 32x32 RGB. Undecodable files are skipped and counted.
async function decodeImages(files, shape) {
  const decoded = [];
  const skipped = [];
  for (const file of files) {
    try {
      decoded.push(await createImageBitmap(file));
    } catch {
      skipped.push(file.name);
    }
  }
  if (!decoded.length) {
    throw new Error(`none of the ${files.length} file(s) is an image this browser can decode or an MNIST IDX file (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''})`);
  }
  const grey = shape ? shape.channels === 1 : decoded.every(isGrey);
  const size = shape ? shape.size : grey ? 28 : COLOUR_SIZE;
  const channels = grey ? 1 : 3;
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const plane = size * size;
  const pixels = new Float32Array(decoded.length * channels * plane);
  decoded.forEach((bitmap, i) => {
    const rgba = drawSquare(ctx, bitmap, size);
    bitmap.close();
    const base = i * channels * plane;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < channels; c++) pixels[base + c * plane + p] = toUnit(rgba[p * 4 + c]);
    }
  });
  const note = skipped.length ? `; skipped ${skipped.length} undecodable file(s): ${skipped.slice(0, 3).join(', ')}` : '';
  return { pixels, labels: new Int32Array(0), count: decoded.length, size, channels, nClasses: 0,
    summary: `${decoded.length} images (${size}x${size} ${grey ? 'grey' : 'RGB'}, centre-cropped)${note}` };
}

function drawSquare(ctx, bitmap, size) {
  const side = Math.min(bitmap.width, bitmap.height);
  const sx = (bitmap.width - side) / 2;
  const sy = (bitmap.height - side) / 2;
  ctx.clearRect(0, 0, size, size);
  ctx.drawImage(bitmap, sx, sy, side, side, 0, 0, size, size);
  return ctx.getImageData(0, 0, size, size).data;
}

// Greyness is judged on a small thumbnail: enough to tell a scan from a photo, and cheap.
let thumb = null;
function isGrey(bitmap) {
  thumb ??= new OffscreenCanvas(16, 16).getContext('2d', { willReadFrequently: true });
  const d = drawSquare(thumb, bitmap, 16);
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - d[i + 1]) > 2 || Math.abs(d[i] - d[i + 2]) > 2) return false;
  }
  return true;
}
