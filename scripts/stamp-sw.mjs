#!/usr/bin/env node
// Writes DIR/sw.js from www/sw.js with its STAMP filled in (scripts/build-web.sh runs it on
// dist/ as its last step): the build id, each file's SHA-256 and the files the worker keeps on
// install. The build id hashes every file of DIR and the worker's own source, so any change to
// the build changes sw.js's bytes, which is how a browser learns of a new build. The list of
// files is made here from DIR, never by hand.
// Usage: node scripts/stamp-sw.mjs [DIR=dist]
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// What the first visit keeps for offline use: the page itself (every top-level HTML, JS, CSS,
// manifest and icon file; the worker is not a file of the build), the generation module and
// the digits model. The Train view's digits (top-level .gz) and the rest wait for first use.
const PRECACHE = [
  /^[^/]+\.(html|js|css|webmanifest|png)$/,
  /^pkg-gen\/webgan(\.js|_bg\.wasm)$/,
  /^models\/digits\.wgan$/,
];
// Never fetched by a page: types and notes.
const SKIP = /(\.d\.ts|\.md)$/;

const dir = process.argv[2] || 'dist';
const source = readFileSync(new URL('../www/sw.js', import.meta.url), 'utf8');
const placeholder = /^const STAMP = null;$/m;
if (!placeholder.test(source)) throw new Error('www/sw.js has no "const STAMP = null;" line');

const hash = (bytes) => createHash('sha256').update(bytes).digest('base64url');

// Every file under `root` (links followed), as paths relative to it with '/' separators.
function filesOf(root, prefix = '') {
  const out = [];
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (statSync(join(root, path)).isDirectory()) out.push(...filesOf(root, path));
    else out.push(path);
  }
  return out;
}

const files = {};
for (const path of filesOf(dir)) {
  if (path === 'sw.js' || SKIP.test(path)) continue;
  files[path] = hash(readFileSync(join(dir, path)));
}
const build = hash(
  Object.entries(files)
    .map(([path, h]) => `${path} ${h}\n`)
    .join('') + hash(source),
).slice(0, 16);
const precache = Object.keys(files).filter((path) => PRECACHE.some((re) => re.test(path)));
for (const needed of ['index.html', 'pkg-gen/webgan_bg.wasm', 'models/digits.wgan']) {
  if (!precache.includes(needed)) throw new Error(`stamp-sw: ${dir}/${needed} is missing`);
}
const stamp = `const STAMP = ${JSON.stringify({ build, precache, files })};`;
writeFileSync(
  join(dir, 'sw.js'),
  source.replace(placeholder, () => stamp),
);
console.log(
  `stamp-sw: ${dir}/sw.js: build ${build}, ${precache.length} files kept on the first visit, ${Object.keys(files).length} in all`,
);
