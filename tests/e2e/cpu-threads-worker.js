// A module worker the threads test and benchmark start in the page (from a blob: it is not part
// of the page). It runs the same work on the CPU in two modules, one after the other: the
// single-threaded full module and the threaded build (www/modules.js), and posts back what each
// produced and how long it took. Everything it loads comes from the page's origin.
// Message in: { origin, runs: [{ kind: 'full' | 'threads', threads }], genRounds, trainSteps, warmup,
//   spec? (TrainSpec overrides for the training run) }
// Message out: { runs: [{ kind, threads, description, images, genMs: [], stats, samples, trainMs }] } | { error }
self.onmessage = async ({ data: job }) => {
  try {
    const { loadModule } = await import(new URL('modules.js', job.origin).href);
    const { loadDigits } = await import(new URL('train-data.js', job.origin).href);
    const weights = new Uint8Array(
      await (await fetch(new URL('models/digits.wgan', job.origin))).arrayBuffer(),
    );
    const runs = [];
    for (const { kind, threads } of job.runs) {
      const wasm = await loadModule(kind);
      if (kind === 'threads') await wasm.initThreadPool(threads);
      const backend = await wasm.Backend.open('cpu');
      // 64 digits of the shipped model, as the Generate view draws them.
      const gan = wasm.WebGan.load(backend, weights, 'digits.wgan');
      const z = wasm.latentsForSeed(1, 64, gan.latentDim);
      const labels = gan.labels(64, -1);
      const genMs = [];
      let images = null;
      for (let i = 0; i < job.genRounds; i++) {
        const t0 = performance.now();
        images = await gan.generate(z.slice(), labels.slice());
        genMs.push(performance.now() - t0);
      }
      // A digits DCGAN from a fixed seed (the page's default settings unless the job says
      // otherwise): `warmup` steps, then `trainSteps` timed.
      const data = await loadDigits(wasm, job.origin);
      const spec = { preset: 'digits', seed: 7, ...(job.spec || {}) };
      const trainer = new wasm.WebTrainer(backend, JSON.stringify(spec), data.webData);
      if (job.warmup) await trainer.step(job.warmup);
      const t0 = performance.now();
      const stats = JSON.parse(await trainer.step(job.trainSteps));
      const trainMs = performance.now() - t0;
      const samples = await trainer.samples();
      runs.push({
        kind,
        threads: wasm.cpuThreads(),
        description: backend.description,
        images: Array.from(images),
        genMs,
        stats,
        samples: Array.from(samples),
        trainMs,
      });
      trainer.free();
      data.webData.free();
      gan.free();
    }
    postMessage({ runs });
  } catch (e) {
    postMessage({ error: `${e && e.message ? e.message : e}\n${(e && e.stack) || ''}` });
  }
};
