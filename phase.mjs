const t0 = performance.now();
const { gather } = await import('./dist/index.js');
const t1 = performance.now();
const log = (what) => console.log(`${(performance.now() - t0).toFixed(0).padStart(5)} ms ${what}`);
log('imported');
const r = await gather({ service: process.argv[2], runtime: process.argv[3], transport: 'api', outputDir: '/tmp/prof/out', onProgress: (e) => log(`${e.type} ${e.name ?? ''}`) });
log('done ' + r.containers.length);
