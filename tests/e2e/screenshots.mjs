// The README's pictures of the page (not a test): the Generate view at 390 px (a phone) and
// 1280 px (a laptop), light and dark, on the CPU path of headless Chromium, written to docs/
// as page-WIDTH-SCHEME.png. Run after scripts/build-web.sh: `node tests/e2e/screenshots.mjs`.
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { launch, echoErrors, waitForGenerations } from './harness.mjs';

const OUT = process.env.SCREENSHOTS_OUT || 'docs';
const SIZES = [
  [390, 844],
  [1280, 860],
];

const server = await serve('dist');
const browser = await launch(chromium, false);
try {
  for (const [width, height] of SIZES) {
    for (const colorScheme of ['light', 'dark']) {
      const page = await browser.newPage({ viewport: { width, height }, colorScheme });
      echoErrors(page);
      await page.goto(server.url + 'index.html#model=digits&seed=2026&class=mixed');
      await waitForGenerations(page, 1);
      // A second cell selected, as a person exploring would have it.
      const box = await page.locator('#samples').boundingBox();
      await page.mouse.click(box.x + (box.width * 5.5) / 8, box.y + (box.height * 2.5) / 8);
      const path = `${OUT}/page-${width}-${colorScheme}.png`;
      await page.screenshot({ path }); // the first screen, as a person sees it
      console.log(`wrote ${path}`);
      await page.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}
