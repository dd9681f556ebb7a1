#!/usr/bin/env node
// must-gather benchmarks against real engines. Every figure is a ratio against a baseline measured in the
// same run, alternating tool and baseline, so a busy machine slows both alike.
//
//   npm run bench                         # all scenarios, both engines, default sizes
//   npm run bench -- --scenarios a,e --engines podman --runs 5 --scale 0.25
//   npm run bench -- --scale podman=0.1,docker=0.2   # a size per engine (podman streams far slower here)
//
// Scenarios (issue #7): a) 20 containers with small logs; b) 4 containers with 250 MB each; c) 1 container
// with a 1 GB log of short lines; d) a) and b) with --archive; e) `--help` start-up. With `3` in --scenarios,
// also API vs CLI transport on a) and c) (issue #3). Writes bench/RESULTS.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'must-gather.js');
const IMAGE = process.env.MUST_GATHER_TEST_IMAGE ?? 'localhost/must-gather-busybox:latest';
const SOCKETS = { podman: '/run/podman/podman.sock', docker: '/var/run/docker.sock' };
const MB = 1_000_000;

const { values: args } = parseArgs({
  options: {
    engines: { type: 'string', default: 'podman,docker' },
    scenarios: { type: 'string', default: 'a,b,c,d,e' },
    runs: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'RESULTS.md') },
  },
});
const engines = args.engines.split(',');
const scenarios = new Set(args.scenarios.split(','));
const runs = Number(args.runs);
/** `--scale 0.25`, or one per engine: `--scale podman=0.1,docker=0.2`. */
const scaleFor = (engine) => {
  const given = args.scale.split(',').map((part) => part.split('='));
  const own = given.find(([name]) => name === engine);
  const value = Number(own ? own[1] : given.find((p) => p.length === 1)?.[0] ?? 1);
  if (!(value > 0)) throw new Error(`bad --scale for ${engine}: ${args.scale}`);
  return value;
};

const log = (line) => process.stderr.write(`bench: ${line}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function sh(cmd, argv, options = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * MB, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Run a command, timing it; with `rss`, /usr/bin/time reports its peak resident memory. */
function timed(cmd, argv, { rss = false, env } = {}) {
  return new Promise((resolve, reject) => {
    const full = rss ? ['/usr/bin/time', ['-f', 'MAXRSS_KB=%M', cmd, ...argv]] : [cmd, argv];
    const started = process.hrtime.bigint();
    const child = spawn(full[0], full[1], { stdio: ['ignore', 'ignore', 'pipe'], env: env ?? process.env });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const m = /MAXRSS_KB=(\d+)/.exec(stderr);
      resolve({ ms, rssMB: m ? Number(m[1]) / 1024 : null });
    });
  });
}

function fresh(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Containers for a scenario, reused across bench runs when they already hold the wanted log. */
function ensureContainers(engine, service, count, bytes, line) {
  const names = Array.from({ length: count }, (_, i) => `${service}_c${i}_test`);
  const wanted = `${bytes}`;
  const existing = sh(engine, ['ps', '-a', '--filter', `label=mgbench=${service}-${wanted}`, '--format', '{{.Names}}']).split('\n').filter(Boolean);
  if (existing.length === count) return names;
  spawnSync(engine, ['rm', '-f', ...(engine === 'podman' ? ['-t', '0'] : []), ...names], { stdio: 'ignore' });
  log(`${engine}: creating ${count} container(s) of ${(bytes / MB).toFixed(1)} MB logs for ${service}`);
  const script = bytes > 0 ? `yes '${line}' | head -c ${bytes}; echo done >&2` : `echo started; echo warn >&2`;
  for (const name of names) sh(engine, ['run', '-d', '--label', `mgbench=${service}-${wanted}`, '--name', name, IMAGE, 'sh', '-c', script]);
  for (const name of names) sh(engine, ['wait', name]);
  return names;
}

function ids(engine, names) {
  return names.map((n) => sh(engine, ['inspect', '--format', '{{.Id}}', n]).trim());
}

const tool = (engine, service, extra = [], transport = 'auto') => (out) =>
  timed(process.execPath, [BIN, service, '--runtime', engine, '--transport', transport, '-o', out, '-q', '--timeout', '30m', ...extra], { rss: true });

const sequentialLoop = (engine, names) => (out) =>
  timed('bash', ['-c', `for c in ${names.join(' ')}; do ${engine} logs "$c" > "${out}/$c.log" 2>&1; ${engine} inspect "$c" > "${out}/\${c}_inspect.json"; done`]);

const parallelCurl = (engine, containerIds) => (out) =>
  timed('bash', [
    '-c',
    containerIds.map((id) => `curl -sf --unix-socket ${SOCKETS[engine]} -o "${out}/${id}.raw" "http://d/containers/${id}/logs?stdout=1&stderr=1" &`).join('\n') + '\nwait',
  ]);

/** Alternate A and B `runs` times, each in a fresh output folder; medians and their ratio. */
async function compare(label, a, b) {
  const as = [];
  const bs = [];
  for (let i = 0; i < runs; i++) {
    for (const [fn, into] of i % 2 === 0 ? [[a, as], [b, bs]] : [[b, bs], [a, as]]) {
      const out = fresh('mgbench-');
      try {
        into.push(await fn(out));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  }
  const result = {
    label,
    toolMs: median(as.map((r) => r.ms)),
    baseMs: median(bs.map((r) => r.ms)),
    rssMB: Math.max(...as.map((r) => r.rssMB ?? 0)),
  };
  result.ratio = result.toolMs / result.baseMs;
  log(`${label}: ${result.toolMs.toFixed(0)} ms vs ${result.baseMs.toFixed(0)} ms → ${result.ratio.toFixed(2)}×, peak RSS ${result.rssMB.toFixed(0)} MB`);
  return result;
}

/** Extra time `--archive` costs, against `tar czf` of the folder the same run wrote. */
async function archiveCost(label, engine, service, transport) {
  const withArchive = [];
  const without = [];
  const tarTimes = [];
  for (let i = 0; i < runs; i++) {
    const out1 = fresh('mgbench-');
    const out2 = fresh('mgbench-');
    try {
      without.push((await tool(engine, service, [], transport)(out1)).ms);
      withArchive.push((await tool(engine, service, ['--archive'], transport)(out2)).ms);
      const folder = readdirSync(out1)[0];
      tarTimes.push((await timed('tar', ['czf', join(out1, 'baseline.tar.gz'), '-C', out1, folder])).ms);
    } finally {
      rmSync(out1, { recursive: true, force: true });
      rmSync(out2, { recursive: true, force: true });
    }
  }
  const added = median(withArchive) - median(without);
  const result = { label, toolMs: added, baseMs: median(tarTimes), rssMB: null };
  result.ratio = result.toolMs / result.baseMs;
  log(`${label}: --archive adds ${added.toFixed(0)} ms vs tar czf ${result.baseMs.toFixed(0)} ms → ${result.ratio.toFixed(2)}×`);
  return result;
}

const results = [];
for (const engine of engines) {
  const scale = scaleFor(engine);
  const small = scenarios.has('a') || scenarios.has('d') ? ensureContainers(engine, 'mgbsmall', 20, 0, '') : [];
  const bigBytes = Math.round(250 * MB * scale);
  const big = scenarios.has('b') || scenarios.has('d') ? ensureContainers(engine, 'mgbbig', 4, bigBytes, 'the quick brown fox jumps over the lazy dog, again and again, 0123456789') : [];
  const hugeBytes = Math.round(1000 * MB * scale);
  const huge = scenarios.has('c') ? ensureContainers(engine, 'mgbhuge', 1, hugeBytes, 'short line 42') : [];

  if (scenarios.has('a')) {
    results.push({ engine, scenario: 'a', target: '≤ 0.25', ...(await compare(`${engine} a) 20 small, api vs sequential CLI loop`, tool(engine, 'mgbsmall', [], 'api'), sequentialLoop(engine, small))) });
    results.push({ engine, scenario: 'a', target: '≤ 0.25', ...(await compare(`${engine} a) 20 small, cli vs sequential CLI loop`, tool(engine, 'mgbsmall', [], 'cli'), sequentialLoop(engine, small))) });
    if (scenarios.has('3')) results.push({ engine, scenario: '#3', target: '< 1', ...(await compare(`${engine} #3) 20 small, api vs cli transport`, tool(engine, 'mgbsmall', [], 'api'), tool(engine, 'mgbsmall', [], 'cli'))) });
  }
  if (scenarios.has('b')) {
    const r = await compare(`${engine} b) 4×${(bigBytes / MB).toFixed(0)} MB, api vs parallel curl`, tool(engine, 'mgbbig', [], 'api'), parallelCurl(engine, ids(engine, big)));
    results.push({ engine, scenario: 'b', target: '≤ 1.25 (≥ 0.8× throughput), RSS ≤ 100 MB', ...r });
  }
  if (scenarios.has('c')) {
    const r = await compare(`${engine} c) 1×${(hugeBytes / MB).toFixed(0)} MB short lines, api vs curl`, tool(engine, 'mgbhuge', [], 'api'), parallelCurl(engine, ids(engine, huge)));
    results.push({ engine, scenario: 'c', target: '≤ 1.25 (≥ 0.8× throughput), RSS ≤ 100 MB', ...r });
    if (scenarios.has('3')) results.push({ engine, scenario: '#3', target: '< 1', ...(await compare(`${engine} #3) 1×${(hugeBytes / MB).toFixed(0)} MB, api vs cli transport`, tool(engine, 'mgbhuge', [], 'api'), tool(engine, 'mgbhuge', [], 'cli'))) });
  }
  if (scenarios.has('d')) {
    results.push({ engine, scenario: 'd', target: '≤ 0.5', ...(await archiveCost(`${engine} d) 20 small`, engine, 'mgbsmall', 'api')) });
    results.push({ engine, scenario: 'd', target: '≤ 0.5', ...(await archiveCost(`${engine} d) 4×${(bigBytes / MB).toFixed(0)} MB`, engine, 'mgbbig', 'api')) });
  }
  if (!args.keep) {
    const all = [...small, ...big, ...huge];
    if (all.length) spawnSync(engine, ['rm', '-f', ...(engine === 'podman' ? ['-t', '0'] : []), ...all], { stdio: 'ignore' });
  }
}
if (scenarios.has('e')) {
  results.push({ engine: '-', scenario: 'e', target: '≤ 2', ...(await compare('e) must-gather --help vs node -e ""', () => timed(process.execPath, [BIN, '--help']), () => timed(process.execPath, ['-e', '']))) });
}

const versions = Object.fromEntries(engines.map((e) => [e, spawnSync(e, ['version', '--format', e === 'docker' ? '{{.Server.Version}}' : '{{.Client.Version}}'], { encoding: 'utf8' }).stdout.trim()]));
const table = [
  '| engine | scenario | what | must-gather | baseline | ratio | target | peak RSS |',
  '| --- | --- | --- | ---: | ---: | ---: | --- | ---: |',
  ...results.map((r) => `| ${r.engine} | ${r.scenario} | ${r.label.replace(/^\S+ /, '')} | ${r.toolMs.toFixed(0)} ms | ${r.baseMs.toFixed(0)} ms | ${r.ratio.toFixed(2)}× | ${r.target} | ${r.rssMB ? r.rssMB.toFixed(0) + ' MB' : '-'} |`),
];
const facts = [
  `- date: ${new Date().toISOString()}`,
  `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  `- node ${process.version}; ${Object.entries(versions).map(([e, v]) => `${e} ${v}`).join(', ')}`,
  `- runs per figure: ${runs} (medians, tool and baseline alternated); scale ${engines.map((e) => `${e} ${scaleFor(e)}`).join(', ')}`,
  `- command: npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd(),
];
const md = `# must-gather benchmarks\n\nRatios are must-gather's median time over the baseline's, both measured in this run.\n\n${facts.join('\n')}\n\n${table.join('\n')}\n`;
writeFileSync(args.out, md);
process.stdout.write(md);
