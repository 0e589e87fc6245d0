// Benchmark: how long "find my digit" (or "find my face") takes in the page, from the click to
// the result cell (worker start and model load included in the first run), on the CPU or WebGPU.
// Prints numbers; asserts nothing. After scripts/build-web.sh:
//   node tests/e2e/latent-bench.mjs cpu 300                    # backend, Adam steps
//   node tests/e2e/latent-bench.mjs cpu 300 faces [PHOTO]      # a photo, read where it lies
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { BASE_ARGS } from './harness.mjs';
const server = await serve('dist');
const webgpu = process.argv[2] === 'webgpu';
const steps = process.argv[3] || '300';
const faces = process.argv[4] === 'faces';
const photo =
  process.argv[5] ||
  '../shared/data/faces/utkface-crop_part1/37_0_0_20170105183948391.jpg.chip.jpg';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: webgpu ? [...BASE_ARGS, '--enable-unsafe-webgpu'] : BASE_ARGS,
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
await page.goto(
  server.url +
    `index.html#model=${faces ? 'faces' : 'digits'}&seed=3` +
    (webgpu ? '&backend=webgpu' : ''),
);
await page.waitForFunction(
  () =>
    Number(document.body.dataset.generations || 0) >= 1 && document.body.dataset.state === 'ready',
  null,
  { timeout: 600000 },
);
await page.fill('#find-steps', steps);
if (faces) {
  await page.setInputFiles('#find-file', photo);
  await page.waitForFunction(() => document.getElementById('photo-crop').dataset.source === 'file');
} else {
  const pad = await page.locator('#draw-pad').boundingBox();
  const at = (fx, fy) => [pad.x + fx * pad.width, pad.y + fy * pad.height];
  await page.mouse.move(...at(0.25, 0.2));
  await page.mouse.down();
  for (const [x, y] of [
    [0.5, 0.18],
    [0.75, 0.2],
    [0.6, 0.5],
    [0.5, 0.85],
  ])
    await page.mouse.move(...at(x, y), { steps: 5 });
  await page.mouse.up();
}
for (let run = 0; run < 2; run++) {
  const before = await page.evaluate(() => Number(document.body.dataset.found || 0));
  const t0 = Date.now();
  await page.click('#find');
  await page.waitForFunction((n) => Number(document.body.dataset.found || 0) > n, before, {
    timeout: 900000,
  });
  console.log(
    `${webgpu ? 'webgpu' : 'cpu'} run ${run}: ${steps} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${await page.textContent('#find-status')}`,
  );
}
await page.screenshot({ path: '/tmp/wt-latent-find.png', fullPage: true });
await browser.close();
server.close();
