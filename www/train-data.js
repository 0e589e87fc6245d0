// Training data for the Train view, handed to Rust as bytes: every format is decoded by the
// same Rust readers `webgan train` uses (WebData.fromIdx, WebData.fromRgba). JS only fetches
// files and lets the browser decode image files (createImageBitmap) into RGBA at the training
// size. Runs in the training worker, so decoding thousands of images never blocks the page.
//
// A loaded data set is { webData: WebData, summary }; `wasm` is the module it lives in (the
// worker's: the full module, or the threaded CPU build), whose objects only it can use.
import { fetchCached } from './common.js';

const DIGITS_FILES = ['digits-images-idx3-ubyte.gz', 'digits-labels-idx1-ubyte.gz'];

const withSummary = (webData) => ({ webData, summary: webData.summary });

// The preset a data source trains: the toy set itself, else Rust's preset for images of the
// data's channels (digits for grey images and IDX files). The data decide the classes.
export function presetFor(wasm, source, data) {
  if (source.kind === 'toy') return source.name;
  return JSON.parse(wasm.presetForImages(data.webData.channels)).name;
}

// The page's own digits: a gzipped MNIST IDX pair next to the page (scripts/build-web.sh).
export async function loadDigits(wasm, base) {
  const parts = await Promise.all(
    DIGITS_FILES.map(async (name) => {
      const url = new URL(name, base).href;
      const response = await fetchCached(url);
      if (!response.ok)
        throw new Error(
          `the digits data set is not available (${url}: HTTP ${response.status}); scripts/build-web.sh makes it`,
        );
      return new Uint8Array(await response.arrayBuffer());
    }),
  );
  return withSummary(wasm.WebData.fromIdx(DIGITS_FILES[0], parts[0], DIGITS_FILES[1], parts[1]));
}

// The user's own files: MNIST-style IDX files (an images file and optionally a labels file,
// gzipped or not), or image files the browser can decode. `shape` ({size, channels}) forces
// the image size, e.g. to match a checkpoint being resumed.
export async function decodeUserFiles(wasm, files, shape = null) {
  if (!files.length)
    throw new Error(
      'choose your files first: MNIST IDX files (images, optionally labels; .gz is fine) or images',
    );
  const idx = [];
  for (const file of files) {
    const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
    // gzip, or an IDX header (0x00000801 / 0x00000803): Rust reads it.
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    const idxMagic =
      head[0] === 0 && head[1] === 0 && head[2] === 8 && (head[3] === 1 || head[3] === 3);
    if (gzip || idxMagic) idx.push(file);
  }
  if (idx.length) {
    if (idx.length !== files.length) {
      const others = files.filter((f) => !idx.includes(f)).map((f) => f.name);
      throw new Error(
        `mixed IDX and other files: ${others.join(', ')} are not IDX; choose either IDX files or images`,
      );
    }
    if (idx.length > 2)
      throw new Error(
        `${idx.length} IDX files: choose one images file and at most one labels file`,
      );
    const bytes = await Promise.all(idx.map(async (f) => new Uint8Array(await f.arrayBuffer())));
    const data = withSummary(
      wasm.WebData.fromIdx(
        idx[0].name,
        bytes[0],
        idx[1]?.name ?? '',
        bytes[1] ?? new Uint8Array(0),
      ),
    );
    return data;
  }
  return decodeImages(wasm, files, shape);
}

// Each image is centre-cropped to a square and resized by the browser. Grey images (every
// pixel r = g = b) train at 28x28 with one channel, others at 32x32 RGB. Undecodable files are
// skipped and counted.
async function decodeImages(wasm, files, shape) {
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
    throw new Error(
      `none of the ${files.length} file(s) is an image this browser can decode or an MNIST IDX file (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''})`,
    );
  }
  const grey = shape ? shape.channels === 1 : decoded.every(isGrey);
  // Rust's preset for such images says the size they train at (28 grey, 32 colour).
  const size = shape ? shape.size : JSON.parse(wasm.presetForImages(grey ? 1 : 3)).image_size;
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const rgba = new Uint8Array(decoded.length * size * size * 4);
  decoded.forEach((bitmap, i) => {
    rgba.set(drawSquare(ctx, bitmap, size), i * size * size * 4);
    bitmap.close();
  });
  const note = skipped.length
    ? `; skipped ${skipped.length} undecodable file(s): ${skipped.slice(0, 3).join(', ')}`
    : '';
  const webData = wasm.WebData.fromRgba(
    `${decoded.length} images (${size}x${size} ${grey ? 'grey' : 'RGB'}, centre-cropped)`,
    rgba,
    size,
    grey ? 1 : 3,
  );
  return { webData, summary: webData.summary + note };
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
