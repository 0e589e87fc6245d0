// End-to-end test of "find my face" (the faces model, on the CPU) in headless Chromium: the
// photo tool replaces the draw pad; a photo dropped on it becomes a selectable cell the
// attribute sliders then edit; the keyboard moves the crop, which changes what is searched for;
// a non-image and a missing, refused or absent camera are each refused with a message; and
// Chromium's fake camera gives a photo that becomes a cell. The test photo is made in the page
// from a face the model drew (a cell of its grid, enlarged on a grey background), so nothing is
// read from disk. Run after scripts/build-web.sh: `node tests/e2e/find-face.mjs`.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import { check, finish, launch, newPage, waitForGenerations } from './harness.mjs';

const OUT = process.env.E2E_OUT || 'test-results';
mkdirSync(OUT, { recursive: true });
const STEPS = '3'; // a short search: quality is measured natively (webgan invert)

async function openFaces(browser, options = {}) {
  const page = await newPage(browser, { viewport: { width: 1280, height: 1000 }, ...options });
  await page.goto(server.url + 'index.html#model=faces&seed=3&backend=cpu');
  await waitForGenerations(page, 1);
  await page.fill('#find-steps', STEPS);
  return page;
}

// The comparison canvas's halves (the crop as the model sees it, the match) as RGB arrays.
const compareHalves = (page) =>
  page.evaluate(() => {
    const c = document.getElementById('find-compare');
    const size = c.height;
    const d = c.getContext('2d').getImageData(0, 0, c.width, size).data;
    const half = (x0) => {
      const out = [];
      for (let y = 0; y < size; y++) {
        for (let x = x0; x < x0 + size; x++) {
          for (let ch = 0; ch < 3; ch++) out.push(d[(y * c.width + x) * 4 + ch]);
        }
      }
      return out;
    };
    return [half(0), half(size)];
  });

const meanDiff = (a, b) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

const dataset = (page, id, key) =>
  page.evaluate(([id, key]) => document.getElementById(id).dataset[key] ?? null, [id, key]);

const status = (page) => page.textContent('#find-status');

async function waitStatusError(page, pattern) {
  await page.waitForFunction(
    (source) =>
      document.getElementById('find-status').classList.contains('error') &&
      new RegExp(source, 'i').test(document.getElementById('find-status').textContent),
    pattern.source,
  );
}

// Drops a 200x150 PNG on the crop canvas: grid cell `cell` enlarged to 120x120 at (70, 15) on
// grey, so the default (centred) crop leaves the face off-centre.
async function dropFacePhoto(page, cell) {
  await page.evaluate(async (cell) => {
    const grid = document.getElementById('samples');
    const size = grid.width / 8;
    const photo = new OffscreenCanvas(200, 150);
    const ctx = photo.getContext('2d');
    ctx.fillStyle = '#808080';
    ctx.fillRect(0, 0, 200, 150);
    ctx.drawImage(
      grid,
      (cell % 8) * size,
      Math.floor(cell / 8) * size,
      size,
      size,
      70,
      15,
      120,
      120,
    );
    const blob = await photo.convertToBlob({ type: 'image/png' });
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'face.png', { type: 'image/png' }));
    document
      .getElementById('photo-crop')
      .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, cell);
  await page.waitForFunction(() => document.getElementById('photo-crop').dataset.source === 'file');
}

async function findAndWait(page, found) {
  await page.click('#find');
  await page.waitForFunction(
    (n) =>
      Number(document.body.dataset.found || 0) >= n ||
      document.getElementById('find-status').classList.contains('error'),
    found,
  );
  const text = await status(page);
  assert.doesNotMatch(text, /fail|error|refused/i, text);
  assert.match(text, /found: .*the grid's last cell, selected/);
  await page.waitForFunction(() => document.getElementById('samples').dataset.selected === '63');
}

const server = await serve('dist');
try {
  const browser = await launch(chromium);
  try {
    const page = await openFaces(browser);
    await check('faces: the photo tool replaces the draw pad', async () => {
      assert.equal(await page.textContent('#find-title'), 'Find my face');
      assert.equal(await page.isVisible('#draw-pad'), false);
      assert.equal(await page.isVisible('#photo-crop'), true);
      assert.equal(await page.isVisible('#photo-camera'), true);
      assert.match(await page.textContent('#photo-private'), /never uploaded/);
      assert.equal(await page.isDisabled('#photo-size'), true, 'no crop to size yet');
      await page.click('#find');
      await waitStatusError(page, /no photo yet/);
      // A phone's width: the photo tool fits without a horizontal scroll.
      await page.setViewportSize({ width: 390, height: 800 });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      await page.setViewportSize({ width: 1280, height: 1000 });
      assert.ok(width <= 390, `scrolls sideways at 390 px: ${width}`);
    });

    await check('faces: a non-image file is refused with a message', async () => {
      await page.setInputFiles('#find-file', {
        name: 'notes.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('not a face'),
      });
      await waitStatusError(page, /notes\.txt is not an image/);
      await page.setInputFiles('#find-file', {
        name: 'broken.png',
        mimeType: 'image/png',
        buffer: Buffer.from('not really a PNG'),
      });
      await waitStatusError(page, /broken\.png is not an image this browser can read/);
      assert.equal(await dataset(page, 'photo-crop', 'source'), null, 'no photo was taken');
    });

    await check('faces: a refused or missing camera is said in words', async () => {
      for (const [name, pattern] of [
        ['NotAllowedError', /camera permission refused/],
        ['NotFoundError', /no camera found/],
      ]) {
        await page.evaluate((name) => {
          navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException('test', name));
        }, name);
        await page.click('#photo-camera');
        await waitStatusError(page, pattern);
      }
      await page.evaluate(() => {
        delete navigator.mediaDevices.getUserMedia; // the prototype's again
      });
    });

    await check(
      'faces: a dropped photo, its crop moved by the keyboard, becomes a cell the sliders edit',
      async () => {
        await dropFacePhoto(page, 5);
        assert.equal(await dataset(page, 'photo-crop', 'crop'), '25,0,150', 'centred square');
        assert.match(await page.textContent('#photo-crop-text'), /face\.png: a 150-pixel square/);
        const [before] = await compareHalves(page);
        // Onto the face: right by 5 steps of 3 px, then 5 steps smaller (6 px each).
        const previews = Number(await dataset(page, 'photo-crop', 'previews'));
        await page.focus('#photo-crop');
        for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
        for (let i = 0; i < 5; i++) await page.keyboard.press('-');
        assert.equal(await dataset(page, 'photo-crop', 'crop'), '55,15,120');
        assert.equal(await page.inputValue('#photo-size'), '80');
        assert.ok(Number(await dataset(page, 'photo-crop', 'previews')) >= previews + 10);
        const [moved] = await compareHalves(page);
        assert.ok(meanDiff(before, moved) > 5, 'the crop shown as the model sees it moved');

        const lastBefore = await page.evaluate(() =>
          document.getElementById('samples').toDataURL(),
        );
        await findAndWait(page, 1);
        const [target, match] = await compareHalves(page);
        // The search's own target (drawn from Rust's copy) is the moved crop.
        assert.ok(meanDiff(target, moved) < 2, `target vs crop ${meanDiff(target, moved)}`);
        assert.ok(meanDiff(target, before) > 5, 'not the first crop');
        assert.ok(meanDiff(match, target) < 60, 'the match is drawn');
        assert.notEqual(
          await page.evaluate(() => document.getElementById('samples').toDataURL()),
          lastBefore,
          'the last cell now shows the match',
        );
        // A normal cell: the attribute sliders edit it.
        await page.waitForFunction(
          () => document.querySelectorAll('#attribute-sliders input').length > 0,
        );
        assert.equal(await page.isDisabled('#attribute-age'), false);
        const draws = Number(await dataset(page, 'focus', 'draws'));
        await page.evaluate(() => {
          const s = document.getElementById('attribute-age');
          s.value = '3';
          s.dispatchEvent(new Event('input'));
        });
        await page.waitForFunction(
          (n) => Number(document.getElementById('focus').dataset.draws) > n,
          draws,
        );
        await page.screenshot({ path: `${OUT}/find-face-photo.png`, fullPage: true });
      },
    );

    await check('faces: the mouse drags the crop and its corner resizes it', async () => {
      const crop = async () => (await dataset(page, 'photo-crop', 'crop')).split(',').map(Number);
      await page.locator('#photo-crop').scrollIntoViewIfNeeded();
      const box = await page.locator('#photo-crop').boundingBox();
      const [x0, y0, side0] = await crop();
      // The photo's pixels on the screen: 200x150 fitted into the square canvas.
      const s = box.width / 200;
      const at = (px, py) => [box.x + px * s, box.y + (box.height - 150 * s) / 2 + py * s];
      await page.mouse.move(...at(x0 + side0 / 2, y0 + side0 / 2));
      await page.mouse.down();
      await page.mouse.move(...at(x0 + side0 / 2 - 30, y0 + side0 / 2), { steps: 4 });
      await page.mouse.up();
      const [x1, y1, side1] = await crop();
      assert.ok(Math.abs(x1 - (x0 - 30)) <= 2 && y1 === y0 && side1 === side0, `${x1},${y1}`);
      await page.mouse.move(...at(x1 + side1 - 2, y1 + side1 - 2));
      await page.mouse.down();
      await page.mouse.move(...at(x1 + side1 + 8, y1 + side1 + 8), { steps: 4 });
      await page.mouse.up();
      const [x2, y2, side2] = await crop();
      assert.ok(side2 > side1 + 5 && x2 === x1 && y2 === y1, `${x2},${y2},${side2}`);
    });

    await check('faces: the photo controls have labels and hints', async () => {
      for (const id of ['photo-crop', 'photo-size', 'photo-camera']) {
        const [label, hint] = await page.evaluate((id) => {
          const el = document.getElementById(id);
          const name =
            el.getAttribute('aria-label') ||
            [...(el.labels ?? [])].map((l) => l.textContent.trim()).join(' ') ||
            el.textContent.trim();
          return [name, el.getAttribute('aria-describedby') || el.title];
        }, id);
        assert.ok(label && hint, `${id}: label ${label}, hint ${hint}`);
      }
    });

    await check('digits: the draw pad is back, the photo tool hidden', async () => {
      await page.selectOption('#model', 'digits');
      await page.waitForFunction(
        () => document.getElementById('find-title').textContent !== 'Find my face',
      );
      assert.equal(await page.textContent('#find-title'), 'Find my digit');
      assert.equal(await page.isVisible('#draw-pad'), true);
      assert.equal(await page.isVisible('#photo-crop'), false);
      assert.equal(await page.isVisible('#photo-camera'), false);
    });
  } finally {
    await browser.close();
  }

  const cameraBrowser = await launch(chromium, false, { camera: true });
  try {
    await check("faces: Chromium's fake camera gives a photo that becomes a cell", async () => {
      const page = await openFaces(cameraBrowser, { permissions: ['camera'] });
      await page.click('#photo-camera');
      await page.waitForFunction(
        () => document.getElementById('photo-crop').dataset.source === 'camera',
      );
      assert.equal((await page.textContent('#photo-camera')).trim(), 'Take photo');
      assert.match(await page.textContent('#photo-crop-text'), /live camera/);
      // Find takes the photo (the frame shown) and searches for it.
      await findAndWait(page, 1);
      assert.equal(await dataset(page, 'photo-crop', 'source'), 'camera-photo');
      assert.equal((await page.textContent('#photo-camera')).trim(), 'Use camera');
      await page.screenshot({ path: `${OUT}/find-face-camera.png`, fullPage: true });
    });
  } finally {
    await cameraBrowser.close();
  }
} finally {
  server.close();
}
finish();
