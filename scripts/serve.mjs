#!/usr/bin/env node
// The static file server for the built page (dist/): the demo (scripts/demo.sh) and the e2e
// tests and benchmarks use it. No dependencies beyond node.
//  - the right MIME types (application/wasm lets the browser compile while downloading);
//  - COOP/COEP headers, so the page is cross-origin isolated (shared memory: the Train view's
//    threaded CPU build); `isolated: false` (--no-isolation) leaves them out, as a plain static
//    host would, and the page falls back to one thread;
//  - revalidation: every response carries an ETag (a hash of the content) and Last-Modified,
//    with Cache-Control: no-cache, so a second visit asks "changed?" for each file and gets an
//    empty 304 back when not. File names are not hashed, so nothing may be cached blindly;
//  - gzip for code and text (the wasm modules shrink to a quarter), as any production server
//    would send them; weights (f16) barely compress and go as they are.
// Usage: node scripts/serve.mjs [DIR=dist] [--port 18932] [--host 127.0.0.1] [--no-isolation]
// From code: const { url, close } = await serve('dist', { port: 0, isolated: true }).
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.wgan': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};
const PLAIN = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };

const COMPRESSIBLE = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.wasm',
  '.json',
  '.webmanifest',
  '.map',
  '.svg',
  '.txt',
  '.md',
]);

// etag -> gzipped bytes: each version of a file is compressed once.
const gzipped = new Map();
async function gzipOf(file, etag) {
  if (!gzipped.has(etag))
    gzipped.set(etag, await promisify(gzip)(await readFile(file), { level: 9 }));
  return gzipped.get(etag);
}

// path -> { key: size:mtime, etag }: a file is hashed again only when it changes.
const etags = new Map();
async function etagOf(file, info) {
  const key = `${info.size}:${info.mtimeMs}`;
  const known = etags.get(file);
  if (known && known.key === key) return known.etag;
  const etag = `"${createHash('sha256')
    .update(await readFile(file))
    .digest('base64url')
    .slice(0, 22)}"`;
  etags.set(file, { key, etag });
  return etag;
}

// The file a URL path names under root, or null when it would leave root.
function fileFor(root, urlPath) {
  let path;
  try {
    path = decodeURIComponent(new URL(urlPath, 'http://x').pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const file = resolve(root, '.' + (path.endsWith('/') ? path + 'index.html' : path));
  return file === root || file.startsWith(root + sep) ? file : null;
}

function fresh(req, etag, modified) {
  const match = req.headers['if-none-match'];
  if (match !== undefined)
    return match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
  const since = Date.parse(req.headers['if-modified-since'] || '');
  return Number.isFinite(since) && Math.floor(modified / 1000) <= Math.floor(since / 1000);
}

async function handle(root, base, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', ...base }).end();
    return;
  }
  let file = fileFor(root, req.url);
  let info = file && (await stat(file).catch(() => null));
  if (info && info.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info || !info.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...base }).end('not found\n');
    return;
  }
  const etag = await etagOf(file, info);
  const headers = { ...base, etag, 'last-modified': new Date(info.mtimeMs).toUTCString() };
  if (fresh(req, etag, info.mtimeMs)) {
    res.writeHead(304, headers).end();
    return;
  }
  const ext = extname(file).toLowerCase();
  const type = TYPES[ext] || 'application/octet-stream';
  if (COMPRESSIBLE.has(ext)) {
    headers.vary = 'accept-encoding';
    if (/\bgzip\b/.test(req.headers['accept-encoding'] || '')) {
      const body = await gzipOf(file, etag);
      res.writeHead(200, {
        ...headers,
        'content-type': type,
        'content-encoding': 'gzip',
        'content-length': body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
  }
  res.writeHead(200, { ...headers, 'content-type': type, 'content-length': info.size });
  if (req.method === 'HEAD') res.end();
  else
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
}

export async function serve(dir = 'dist', { port = 0, host = '127.0.0.1', isolated = true } = {}) {
  const root = resolve(dir);
  const headers = isolated ? { ...ISOLATION, ...PLAIN } : PLAIN;
  const server = createServer((req, res) => {
    handle(root, headers, req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`server error: ${e.message}\n`);
    });
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(port, host, ok));
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${server.address().port}/`, close: () => server.close() };
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const at = args.indexOf(name);
    if (at < 0) return fallback;
    const [, value] = args.splice(at, 2);
    return value;
  };
  const port = Number(option('--port', 18932));
  const host = option('--host', '127.0.0.1');
  const isolated = !args.includes('--no-isolation');
  const dir = args.filter((a) => a !== '--no-isolation')[0] || 'dist';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port must be a whole number from 0 to 65535 (got "${port}")`);
    process.exit(2);
  }
  const info = await stat(join(dir, 'index.html')).catch(() => null);
  if (!info) {
    console.error(
      `serve: ${join(dir, 'index.html')} does not exist; build the page first (scripts/build-web.sh)`,
    );
    process.exit(1);
  }
  try {
    const { url } = await serve(dir, { port, host, isolated });
    console.log(
      `serving ${resolve(dir)} on ${url}${isolated ? '' : ' without COOP/COEP (one CPU thread)'} (Ctrl-C stops)`,
    );
  } catch (e) {
    console.error(`serve: cannot listen on ${host}:${port}: ${e.message}`);
    process.exit(1);
  }
}
