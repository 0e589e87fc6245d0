// What the Train view's worker shows of a run besides its statistics: the views (the sample
// grid, or the 2-D points over D's decision heatmap, and the quality figure), the live quality
// meter, and the time-lapse of the grid. The worker (www/train-worker.js) keeps one Watch and
// tells it when a run starts; every call takes the module in use, which a backend switch may
// change.
import { messageOf } from './common.js';
import { FromWorker } from './train-protocol.js';

const HEATMAP = { resolution: 64, extent: 3 };
const REAL_POINTS = 512;

export class Watch {
  // post(message, transfer), status(text): the worker's; pageBase: where models/ lives;
  // isFatal(e): a trap, which the worker handles, never swallowed here.
  constructor({ post, status, pageBase, isFatal }) {
    Object.assign(this, { post, status, pageBase, isFatal });
    this.classifiers = {}; // name -> bytes of the classifiers the quality meter has fetched
    this.realPoints = null;
    this.lastViewStep = -1;
    // The run's time-lapse (image runs): a wasm TimeLapse of the module the run started in; it
    // keeps working there when a backend switch moves the run to the other module.
    this.timelapse = null;
  }

  // A run to watch: a new one films afresh, a moved one carries on (unless it came from a
  // replaced worker, which starts without frames).
  adopt(wasm, trainer, moved) {
    this.realPoints = null;
    this.lastViewStep = -1;
    if (!moved) this.drop();
    if (!trainer.isToy && !this.timelapse) this.timelapse = new wasm.TimeLapse();
  }

  drop() {
    if (this.timelapse) this.timelapse.free();
    this.timelapse = null;
  }

  async views(wasm, t) {
    const t0 = performance.now();
    const samples = await t.samples();
    const quality = JSON.parse(await t.quality());
    const message = { type: FromWorker.VIEWS, step: t.steps, quality };
    const transfer = [];
    if (t.isToy) {
      this.realPoints ??= t.realPoints(REAL_POINTS);
      const heatmap = await t.heatmap(HEATMAP.resolution, HEATMAP.extent);
      message.toy = { points: samples, real: this.realPoints.slice(), heatmap, ...HEATMAP };
      transfer.push(samples.buffer, heatmap.buffer);
    } else {
      const grid = wasm.renderGrid(samples, t.imageSize, t.channels, t.watchedColumns);
      const image = { rgba: grid.rgba, width: grid.width, height: grid.height };
      grid.free();
      if (this.timelapse) this.timelapse.offer(t.steps, image.width, image.height, image.rgba);
      message.image = image;
      message.frames = this.timelapse ? this.timelapse.frames : 0;
      transfer.push(image.rgba.buffer);
    }
    message.ms = performance.now() - t0;
    this.lastViewStep = t.steps;
    this.post(message, transfer);
  }

  // The live quality meter (run::meter in Rust): Rust names the classifier that reads this
  // run's images, if any (digits); it is fetched once and the first reading is taken at once. A
  // run without one has no meter (the page keeps it hidden); a classifier that cannot be fetched
  // leaves the run without a meter and says so, training goes on.
  async startMeter(t) {
    const name = t && t.meterClassifier;
    if (!name) return;
    try {
      if (!this.classifiers[name]) {
        const response = await fetch(new URL(`models/${name}.wgan`, this.pageBase));
        if (!response.ok) throw new Error(`models/${name}.wgan: HTTP ${response.status}`);
        this.classifiers[name] = new Uint8Array(await response.arrayBuffer());
      }
      if (t.attachMeter(this.classifiers[name])) await this.readMeter(t);
    } catch (e) {
      if (this.isFatal(e)) throw e;
      this.status(`no quality meter for this run: ${messageOf(e)}`);
    }
  }

  // A meter reading when Rust's cadence says one is due (it keeps the meter to a bounded share
  // of the time, by its own timings), or now with `force`.
  async readMeter(t, force = false) {
    if (!t || !t.hasMeter || !(force || t.meterDue())) return;
    const json = await t.meter();
    if (json) this.post({ type: FromWorker.METER, ...JSON.parse(json) });
  }

  // The time-lapse as an animated GIF, ending on the grid of the run's current step.
  async exportTimeLapse(wasm, t, dataset) {
    const lapse = this.timelapse;
    if (!lapse) throw new Error('time-lapses are recorded for image runs, not 2-D points');
    this.status('writing the time-lapse…');
    const samples = await t.samples();
    const grid = wasm.renderGrid(samples, t.imageSize, t.channels, t.watchedColumns);
    lapse.offerLast(t.steps, grid.width, grid.height, grid.rgba);
    grid.free();
    const bytes = lapse.gif();
    this.post(
      {
        type: FromWorker.EXPORTED,
        what: 'timelapse',
        purpose: 'download',
        bytes,
        step: t.steps,
        dataset,
        frames: lapse.frames,
        firstStep: lapse.firstStep,
      },
      [bytes.buffer],
    );
  }
}
