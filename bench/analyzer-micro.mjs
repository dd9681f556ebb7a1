#!/usr/bin/env node
/*
 * The log analyzer alone, without an engine: a generated log fed from memory in 64 KiB chunks (what
 * `analyzeLogFile` reads), timed over several runs, wall and CPU time (the process's, garbage collection
 * included; on a busy machine it is the steadier figure). For comparing two builds of `triage/analyze.js`:
 *
 *   npm run build && node bench/analyzer-micro.mjs [dist-folder] [MB] [runs]
 *
 * Two logs: `short`, 14-byte lines as `yes 'short line 42'` writes (the bench's worst case), and `mixed`,
 * engine-timestamped lines with an error or warning every 100 lines and a stack trace every 1,000.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [distArg = 'dist', mbArg = '50', runsArg = '3'] = process.argv.slice(2);
const { createLogAnalyzer } = await import(pathToFileURL(resolve(distArg, 'triage', 'analyze.js')).href);
const size = Number(mbArg) * 1_000_000;
const runs = Number(runsArg);
const CHUNK = 64 * 1024;

function generate(lineAt) {
  const parts = [];
  let bytes = 0;
  for (let i = 0; bytes < size; i++) {
    const line = lineAt(i);
    parts.push(line);
    bytes += line.length;
  }
  const all = Buffer.from(parts.join(''), 'utf8');
  const chunks = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return chunks;
}

/** A short fingerprint of an analysis, so two builds can be checked to agree. */
function digest(result) {
  return createHash('sha256').update(JSON.stringify(result)).digest('hex').slice(0, 12);
}

const JAVA = [
  'java.lang.IllegalStateException: pool exhausted\n',
  '\tat com.example.Pool.take(Pool.java:42)\n',
  '\tat com.example.Service.run(Service.java:7)\n',
  'Caused by: java.net.ConnectException: Connection refused\n',
  '\t... 12 more\n',
];
const logs = {
  short: generate(() => 'short line 42\n'),
  mixed: generate((i) => {
    const time = `2026-01-02T03:${String(Math.floor(i / 60000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}000000Z `;
    if (i % 1000 === 500) return JAVA.map((l) => time + l).join('');
    if (i % 100 === 10) return `${time}ERROR [worker-${i % 7}] request ${i} failed: timeout after 30s\n`;
    if (i % 100 === 60) return `${time}WARN slow query took ${i % 977} ms\n`;
    return `${time}INFO handled GET /api/items/${i} in ${i % 50} ms\n`;
  }),
};

for (const [name, chunks] of Object.entries(logs)) {
  const times = [];
  const cpuTimes = [];
  let result;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const analyzer = createLogAnalyzer();
    for (const chunk of chunks) analyzer.write(chunk);
    result = analyzer.end();
    const used = process.cpuUsage(cpu);
    times.push(performance.now() - started);
    cpuTimes.push((used.user + used.system) / 1000);
  }
  const mb = result.bytes / 1_000_000;
  const seconds = (list) => list.map((t) => (t / 1000).toFixed(2)).join(', ');
  process.stdout.write(
    `${name}: ${mb.toFixed(0)} MB, ${result.lines} lines, ${result.errorCount} errors, ${result.warningCount} warnings — wall ${seconds(times)} s, CPU ${seconds(cpuTimes)} s (best ${(mb / (Math.min(...times) / 1000)).toFixed(0)} MB/s), analysis sha256 ${digest(result)}\n`,
  );
}
