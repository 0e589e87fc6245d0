// What a visitor gets from training digits in the page (numbers, not a test): the Train view
// in Debian's headless Chromium with every default (the backend "auto" picks, the page's
// minutes recipe, the digits data), trained for the given minutes of wall-clock time; at each
// mark it prints the step reached and the live quality meter's latest reading (the project's
// digits classifier on fixed latents: readability per class, FID estimate), and saves the
// exported generator so that `webgan eval` can score it independently.
// Run after scripts/build-web.sh: `node tests/e2e/minutes-bench.mjs`.
//   BENCH_MINUTES=3,10     the marks, in minutes from the first step
//   BENCH_OUT=test-results where the generators go (minutes-<m>.wgan)
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { serve } from './serve.mjs';
import { launch, newPage, startDigitsTraining } from './harness.mjs';

const MARKS = (process.env.BENCH_MINUTES || '3,10').split(',').map(Number);
const OUT = process.env.BENCH_OUT || 'test-results';
mkdirSync(OUT, { recursive: true });

const browser = await launch(chromium);
const server = await serve('dist');
try {
  const page = await newPage(browser);
  await startDigitsTraining(page, server.url);
  const backend = await page.textContent('#train-backend summary');
  await page.waitForFunction(() => window.webganTrain.stats && window.webganTrain.stats.step >= 1);
  const t0 = Date.now();
  console.log(`backend: ${backend}`);
  console.log(
    'minutes | step | steps/s | readable (meter) | worst class | FID estimate | meter at step',
  );
  for (const minutes of MARKS) {
    const wait = t0 + minutes * 60_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { stats, meter } = await page.evaluate(() => ({
      stats: window.webganTrain.stats,
      meter: window.webganTrain.meter,
    }));
    const worst = meter.per_class.reduce((w, a, i) => (a < meter.per_class[w] ? i : w), 0);
    console.log(
      `${String(minutes).padStart(7)} | ${String(stats.step).padStart(4)} | ${stats.rate.toFixed(2).padStart(7)} | ` +
        `${(100 * meter.readability).toFixed(1).padStart(15)}% | ${worst}: ${(100 * meter.per_class[worst]).toFixed(0)}% | ` +
        `${meter.fid.toFixed(1).padStart(12)} | ${meter.step}`,
    );
    console.log(`  ${meter.sentence}`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('#train-export-generator'),
    ]);
    await download.saveAs(`${OUT}/minutes-${minutes}.wgan`);
    console.log(
      JSON.stringify({ bench: 'minutes', minutes, step: stats.step, rate: stats.rate, meter }),
    );
  }
} finally {
  await browser.close();
  server.close();
}
