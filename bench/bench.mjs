#!/usr/bin/env node
// must-gather against what a user already has: the engine's own CLI (issue 13). Every figure is measured
// in the same run as its baseline, tool and baseline alternated, medians, so a busy machine slows both alike.
//
//   npm run bench                                  # both headline scenarios, podman and docker
//   npm run bench -- --only small --runs 5         # one scenario while iterating
//   npm run bench -- --scale 0.25                  # the big log at a quarter of its 244 MB (or podman=0.1,docker=0.5)
//   npm run bench -- --scenarios small,big,startup,archive
//
// Scenarios:
//   big     1 container with 244 MB (× --scale) of 64-byte lines. must-gather with its default flags against
//           `<engine> logs c > f 2>&1`: throughput ratio (CLI time / must-gather time, goal ≥ 2.0), peak RSS
//           (≤ 100 MB), and whether must-gather's .log has the same sha256 as the CLI's output (a stdout-only
//           container: it must). curl writing the raw API response is the API ceiling column, not the headline.
//   small   20 containers × 300 short lines: must-gather against a sequential `<engine> logs` + `<engine>
//           inspect` loop (goal ≤ 0.25×); a sequential curl loop of the same two API calls is the ceiling.
//   startup `must-gather --help` against `node -e ""` (goal ≤ 2×).
//   archive what `--archive` adds to the small run, against `tar czf` of the folder it wrote.
// Writes bench/RESULTS.md (--out to change).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'must-gather.js');
const IMAGE = process.env.MUST_GATHER_TEST_IMAGE ?? 'localhost/must-gather-busybox:latest';
const SOCKETS = { podman: '/run/podman/podman.sock', docker: '/var/run/docker.sock' };
const MB = 1_000_000;
/** The issue's big log: 244 MB of 64-byte lines (63 characters and a newline). */
const BIG_BYTES = 244 * MB;
const LINE_64 = 'the quick brown fox jumps over the lazy dog 0123456789 abcdefgh';
const SMALL_COUNT = 20;
const SMALL_LINES = 300;

const { values: args } = parseArgs({
  options: {
    engines: { type: 'string', default: 'podman,docker' },
    scenarios: { type: 'string', default: 'small,big,startup' },
    only: { type: 'string' },
    runs: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'RESULTS.md') },
  },
});
const engines = args.engines.split(',');
const scenarios = new Set((args.only ?? args.scenarios).split(','));
const runs = Number(args.runs);
if (LINE_64.length !== 63) throw new Error('LINE_64 must be 63 characters');
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
function timed(cmd, argv, { rss = false } = {}) {
  return new Promise((resolve, reject) => {
    const full = rss ? ['/usr/bin/time', ['-f', 'MAXRSS_KB=%M', cmd, ...argv]] : [cmd, argv];
    const started = process.hrtime.bigint();
    const child = spawn(full[0], full[1], { stdio: ['ignore', 'ignore', 'pipe'] });
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

async function sha256Of(path) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Containers for a scenario, reused across bench runs when they already hold the wanted log. */
function ensureContainers(engine, service, count, script, key) {
  const names = Array.from({ length: count }, (_, i) => `${service}_c${i}_test`);
  const label = `mgbench=${service}-${key}`;
  const existing = sh(engine, ['ps', '-a', '--filter', `label=${label}`, '--format', '{{.Names}}']).split('\n').filter(Boolean);
  if (existing.length === count) return names;
  spawnSync(engine, ['rm', '-f', ...(engine === 'podman' ? ['-t', '0'] : []), ...names], { stdio: 'ignore' });
  log(`${engine}: creating ${count} container(s) for ${service} (${key})`);
  for (const name of names) sh(engine, ['run', '-d', '--label', label, '--name', name, IMAGE, 'sh', '-c', script]);
  for (const name of names) sh(engine, ['wait', name]);
  return names;
}

function ids(engine, names) {
  return names.map((n) => sh(engine, ['inspect', '--format', '{{.Id}}', n]).trim());
}

/** must-gather with its default flags (transport auto), into `out`. */
const tool = (engine, service, extra = []) => (out) =>
  timed(process.execPath, [BIN, service, '--runtime', engine, '-o', out, '-q', '--timeout', '30m', ...extra], { rss: true });

/** The run folder must-gather wrote into `out`, and what its manifest says of the first container's log. */
function runFolderOf(out) {
  const folder = readdirSync(out).find((name) => !name.startsWith('.') && !name.endsWith('.tar.gz'));
  const dir = join(out, folder);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  return { dir, manifest };
}

const cliLogs = (engine, name) => (out) => timed('bash', ['-c', `${engine} logs "${name}" > "${out}/cli.log" 2>&1`]);

const sequentialLoop = (engine, names) => (out) =>
  timed('bash', ['-c', `for c in ${names.join(' ')}; do ${engine} logs "$c" > "${out}/$c.log" 2>&1; ${engine} inspect "$c" > "${out}/\${c}_inspect.json"; done`]);

const curlLogs = (engine, id) => (out) =>
  timed('curl', ['-sf', '--unix-socket', SOCKETS[engine], '-o', `${out}/raw`, `http://d/containers/${id}/logs?stdout=1&stderr=1`]);

const curlLoop = (engine, containerIds) => (out) =>
  timed('bash', [
    '-c',
    containerIds
      .map((id) => `curl -sf --unix-socket ${SOCKETS[engine]} -o "${out}/${id}.json" "http://d/containers/${id}/json" && curl -sf --unix-socket ${SOCKETS[engine]} -o "${out}/${id}.raw" "http://d/containers/${id}/logs?stdout=1&stderr=1"`)
      .join(' && '),
  ]);

/**
 * Alternate the measured commands `runs` times, each in a fresh output folder (the order rotates each run).
 * `inspect(i, out)` looks at what a command wrote before the folder is removed. Medians per command.
 */
async function alternate(commands) {
  const samples = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < commands.length; k++) {
      const j = (k + i) % commands.length;
      const out = mkdtempSync(join(tmpdir(), 'mgbench-'));
      try {
        const r = await commands[j].run(out);
        samples[j].push({ ...r, seen: commands[j].inspect ? await commands[j].inspect(out) : null });
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  }
  return samples.map((s) => ({ ms: median(s.map((r) => r.ms)), rssMB: Math.max(...s.map((r) => r.rssMB ?? 0)) || null, seen: s.map((r) => r.seen) }));
}

async function bigScenario(engine) {
  const bytes = Math.round(BIG_BYTES * scaleFor(engine));
  const [name] = ensureContainers(engine, 'mgbbig', 1, `yes '${LINE_64}' | head -c ${bytes}`, String(bytes));
  const [id] = ids(engine, [name]);
  const [mg, cli, curl] = await alternate([
    {
      run: tool(engine, 'mgbbig'),
      inspect: async (out) => {
        const { dir, manifest } = runFolderOf(out);
        const file = manifest.containers[0].files.find((f) => f.kind === 'log');
        return { sha256: await sha256Of(join(dir, file.path)), source: file.source ?? manifest.runtime.transport };
      },
    },
    { run: cliLogs(engine, name), inspect: (out) => sha256Of(join(out, 'cli.log')) },
    { run: curlLogs(engine, id) },
  ]);
  const cliSha = new Set(cli.seen);
  const same = cliSha.size === 1 && mg.seen.every((s) => cliSha.has(s.sha256));
  const result = {
    engine,
    scenario: 'big',
    what: `1 container, ${(bytes / MB).toFixed(0)} MB of 64-byte lines (source: ${[...new Set(mg.seen.map((s) => s.source))].join('/')})`,
    toolMs: mg.ms,
    baseMs: cli.ms,
    baseline: `\`${engine} logs c > f 2>&1\``,
    ratio: cli.ms / mg.ms,
    ratioKind: 'throughput',
    goal: '≥ 2.0× throughput, RSS ≤ 100 MB, same sha256',
    met: cli.ms / mg.ms >= 2 && (mg.rssMB ?? 0) <= 100 && same,
    ceilingMs: curl.ms,
    rssMB: mg.rssMB,
    sha: same ? 'equal' : 'NOT equal',
  };
  log(`${engine} big: must-gather ${mg.ms.toFixed(0)} ms, CLI ${cli.ms.toFixed(0)} ms → ${result.ratio.toFixed(2)}× throughput, curl ${curl.ms.toFixed(0)} ms, RSS ${mg.rssMB?.toFixed(0)} MB, sha256 ${result.sha}`);
  return result;
}

async function smallScenario(engine) {
  const script = `i=0; while [ $i -lt ${SMALL_LINES} ]; do echo "line $i: request handled in 3 ms"; i=$((i+1)); done`;
  const names = ensureContainers(engine, 'mgbsmall', SMALL_COUNT, script, `${SMALL_LINES}lines`);
  const [mg, loop, curl] = await alternate([{ run: tool(engine, 'mgbsmall') }, { run: sequentialLoop(engine, names) }, { run: curlLoop(engine, ids(engine, names)) }]);
  const result = {
    engine,
    scenario: 'small',
    what: `${SMALL_COUNT} containers × ${SMALL_LINES} short lines`,
    toolMs: mg.ms,
    baseMs: loop.ms,
    baseline: `sequential \`${engine} logs\` + \`${engine} inspect\` loop`,
    ratio: mg.ms / loop.ms,
    ratioKind: 'time',
    goal: '≤ 0.25× time',
    met: mg.ms / loop.ms <= 0.25,
    ceilingMs: curl.ms,
    rssMB: mg.rssMB,
    sha: '-',
  };
  log(`${engine} small: must-gather ${mg.ms.toFixed(0)} ms, loop ${loop.ms.toFixed(0)} ms → ${result.ratio.toFixed(2)}×, curl loop ${curl.ms.toFixed(0)} ms`);
  return { result, names };
}

/** What `--archive` adds to the small run, against `tar czf` of the folder the run wrote. */
async function archiveScenario(engine) {
  const [plain, archived] = await alternate([{ run: tool(engine, 'mgbsmall') }, { run: tool(engine, 'mgbsmall', ['--archive']) }]);
  const tars = [];
  for (let i = 0; i < runs; i++) {
    const out = mkdtempSync(join(tmpdir(), 'mgbench-'));
    try {
      await tool(engine, 'mgbsmall')(out);
      const { dir } = runFolderOf(out);
      tars.push((await timed('tar', ['czf', join(out, 'baseline.tar.gz'), '-C', out, dir.slice(out.length + 1)])).ms);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const added = archived.ms - plain.ms;
  return { engine, scenario: 'archive', what: `--archive on the small run`, toolMs: added, baseMs: median(tars), baseline: '`tar czf` of the folder', ratio: added / median(tars), ratioKind: 'time', goal: '≤ 0.5× time', met: added / median(tars) <= 0.5, ceilingMs: null, rssMB: null, sha: '-' };
}

const results = [];
for (const engine of engines) {
  const made = [];
  if (scenarios.has('small') || scenarios.has('archive')) {
    const small = await smallScenario(engine);
    if (scenarios.has('small')) results.push(small.result);
    made.push(...small.names);
  }
  if (scenarios.has('archive')) results.push(await archiveScenario(engine));
  if (scenarios.has('big')) {
    results.push(await bigScenario(engine));
    made.push('mgbbig_c0_test');
  }
  if (!args.keep && made.length) spawnSync(engine, ['rm', '-f', ...(engine === 'podman' ? ['-t', '0'] : []), ...made], { stdio: 'ignore' });
}
if (scenarios.has('startup')) {
  const [help, bare] = await alternate([{ run: () => timed(process.execPath, [BIN, '--help']) }, { run: () => timed(process.execPath, ['-e', '']) }]);
  results.push({ engine: '-', scenario: 'startup', what: '`must-gather --help`', toolMs: help.ms, baseMs: bare.ms, baseline: '`node -e ""`', ratio: help.ms / bare.ms, ratioKind: 'time', goal: '≤ 2× time', met: help.ms / bare.ms <= 2, ceilingMs: null, rssMB: null, sha: '-' });
}

const versions = Object.fromEntries(engines.map((e) => [e, spawnSync(e, ['version', '--format', e === 'docker' ? '{{.Server.Version}}' : '{{.Client.Version}}'], { encoding: 'utf8' }).stdout.trim()]));
const ms = (v) => (v === null ? '-' : `${v.toFixed(0)} ms`);
const table = [
  '| engine | scenario | what | must-gather | baseline | baseline time | ratio | goal | met | curl (API ceiling) | peak RSS | sha256 vs CLI |',
  '| --- | --- | --- | ---: | --- | ---: | ---: | --- | :---: | ---: | ---: | --- |',
  ...results.map(
    (r) =>
      `| ${r.engine} | ${r.scenario} | ${r.what} | ${ms(r.toolMs)} | ${r.baseline} | ${ms(r.baseMs)} | ${r.ratio.toFixed(2)}× ${r.ratioKind} | ${r.goal} | ${r.met ? 'yes' : 'no'} | ${ms(r.ceilingMs)} | ${r.rssMB ? r.rssMB.toFixed(0) + ' MB' : '-'} | ${r.sha} |`,
  ),
];
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const facts = [
  `- date: ${new Date().toISOString()}; load average at the end: ${load}`,
  `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  `- node ${process.version}; ${Object.entries(versions).map(([e, v]) => `${e} ${v}`).join(', ')}`,
  `- runs per figure: ${runs} (medians; must-gather, baseline and curl alternated); scale ${engines.map((e) => `${e} ${scaleFor(e)}`).join(', ')}`,
  `- command: npm run bench -- ${process.argv.slice(2).join(' ')}`.trimEnd(),
];
const md = `# must-gather benchmarks\n\nmust-gather against the engine's own CLI, measured in the same run. \`big\`: throughput ratio = CLI time / must-gather time (higher is better). \`small\`: must-gather's time / the CLI loop's (lower is better). curl on the same API is the ceiling of what any API client can do. Where the profile says why a goal is not met: bench/NOTES.md.\n\n${facts.join('\n')}\n\n${table.join('\n')}\n`;
writeFileSync(args.out, md);
process.stdout.write(md);
