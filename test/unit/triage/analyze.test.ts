import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  analyzeLog,
  analyzeLogFile,
  createLogAnalyzer,
  MAX_FINDINGS,
  MAX_LINE_BYTES,
  normalizeMessage,
  type LogEventSummary,
} from '../../../src/triage/analyze.js';
import { loadCorpus } from './corpus.js';

const corpus = loadCorpus();

function chunked(data: Buffer, size: number): AsyncIterable<Buffer> {
  return (async function* () {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  })();
}

async function eventsOf(input: AsyncIterable<Buffer> | Readable) {
  const events: LogEventSummary[] = [];
  const analysis = await analyzeLog(input, { onEvent: (e) => events.push(e) });
  return { analysis, events };
}

describe('analyzeLog over the corpus (test/fixtures/logs)', () => {
  describe.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, { path, text, expected }) => {
    it('reports exactly the expected errors and warnings, a stack trace once at its first line', async () => {
      const events: LogEventSummary[] = [];
      const analysis = await analyzeLogFile(path, { onEvent: (e) => events.push(e) });
      const want = [
        ...expected.errors.map((e) => ({ line: e.line, level: 'error', kind: e.kind })),
        ...expected.warnings.map((w) => ({ line: w.line, level: 'warning', kind: w.kind })),
      ].sort((a, b) => a.line - b.line);
      expect(events.map((e) => ({ line: e.line, level: e.level, kind: e.kind }))).toEqual(want);
      expect(analysis.errorCount).toBe(expected.errors.length);
      expect(analysis.warningCount).toBe(expected.warnings.length);
      expect(analysis.lines).toBe(expected.lines);
      expect(analysis.bytes).toBe(Buffer.byteLength(text));
      expect(analysis.firstError?.line ?? null).toBe(expected.errors[0]?.line ?? null);
      expect(analysis.lastError?.line ?? null).toBe(expected.errors.at(-1)?.line ?? null);
      expect(analysis.firstWarning?.line ?? null).toBe(expected.warnings[0]?.line ?? null);
    });

    it('groups each stack trace into one finding with its length and most telling line', async () => {
      const { events } = await eventsOf(createReadStream(path));
      const traces = events
        .filter((e) => e.trace !== null)
        .map((e) => ({ line: e.line, lines: e.trace?.lines, headline: e.trace?.headline }));
      expect(traces).toEqual(expected.traces);
    });

    it('gives identical results fed one byte at a time, or in odd chunks', async () => {
      const data = Buffer.from(text);
      const whole = await eventsOf(chunked(data, data.length));
      expect(await eventsOf(chunked(data, 1))).toEqual(whole);
      expect(await eventsOf(chunked(data, 7))).toEqual(whole);
    });

    it('gives identical findings for the same log with \\r\\n line endings', async () => {
      const crlf = Buffer.from(text.replace(/\n/g, '\r\n'));
      const lf = await eventsOf(chunked(Buffer.from(text), 4096));
      const got = await eventsOf(chunked(crlf, 1));
      expect(got.events).toEqual(lf.events);
      expect(got.analysis.findings).toEqual(lf.analysis.findings);
      expect(got.analysis.firstError).toEqual(lf.analysis.firstError);
      expect(got.analysis.lines).toBe(lf.analysis.lines);
    });
  });

  describe.each(corpus.filter((c) => c.expected.timestamps !== undefined).map((c) => [c.name, c] as const))('%s', (_name, { path, expected }) => {
    it('keeps the time of each timed error and warning', async () => {
      const { events } = await eventsOf(createReadStream(path));
      const times = Object.fromEntries(events.filter((e) => e.timestamp !== null).map((e) => [String(e.line), e.timestamp]));
      expect(times).toEqual(expected.timestamps);
    });
  });

  describe.each(corpus.filter((c) => c.expected.findings !== undefined).map((c) => [c.name, c] as const))('%s', (_name, { path, expected }) => {
    it('counts repeated lines once, with how often they came', async () => {
      const analysis = await analyzeLogFile(path);
      expect(analysis.findings.map((f) => ({ level: f.level, text: f.text, count: f.count, firstLine: f.firstLine, lastLine: f.lastLine }))).toEqual(
        expected.findings,
      );
    });
  });
});

describe('analyzeLog', () => {
  it('keeps the last three lines that show anything as the tail, and what lines there are before an early error', async () => {
    const log = ['ERROR at once', '', 'b', '\u001b[0m', 'ERROR c', '   ', 'd', '\t', '\u0007 bell'].join('\n');
    const a = await analyzeLog(chunked(Buffer.from(log), 4));
    expect(a.tail).toEqual([
      { line: 5, text: 'ERROR c' },
      { line: 7, text: 'd' },
      { line: 9, text: '\ufffd bell' },
    ]);
    expect(a.firstError).toMatchObject({ line: 1, before: [], after: [{ line: 2, text: '' }, { line: 3, text: 'b' }] });
    expect(a.lastError).toMatchObject({ line: 5, before: [{ line: 3, text: 'b' }, { line: 4, text: '' }], after: [{ line: 6, text: '   ' }, { line: 7, text: 'd' }] });
    const short = await analyzeLog(chunked(Buffer.from('x\nERROR y\n'), 2));
    expect(short.firstError?.before).toEqual([{ line: 1, text: 'x' }]);
    expect(short.tail).toEqual([
      { line: 1, text: 'x' },
      { line: 2, text: 'ERROR y' },
    ]);
  });

  it('keeps two lines of context before and after the first and last error', async () => {
    const log = ['one', 'two', 'three', 'ERROR first', 'five', 'six', 'seven', 'ERROR last', 'nine'].join('\n');
    const a = await analyzeLog(chunked(Buffer.from(log), 3));
    expect(a.firstError).toEqual({
      line: 4,
      level: 'error',
      kind: 'text',
      text: 'ERROR first',
      timestamp: null,
      before: [
        { line: 2, text: 'two' },
        { line: 3, text: 'three' },
      ],
      after: [
        { line: 5, text: 'five' },
        { line: 6, text: 'six' },
      ],
      trace: null,
    });
    expect(a.lastError).toMatchObject({ line: 8, before: [{ line: 6 }, { line: 7 }], after: [{ line: 9, text: 'nine' }] });
    expect(a.lines).toBe(9);
  });

  it('counts lines the way wc -l would, plus an unterminated last line', async () => {
    const count = async (s: string) => (await analyzeLog(chunked(Buffer.from(s), 2))).lines;
    expect(await count('')).toBe(0);
    expect(await count('\n')).toBe(1);
    expect(await count('a\n')).toBe(1);
    expect(await count('a\nb')).toBe(2);
    expect(await count('a\r\n\r\nb\r\n')).toBe(3);
  });

  it('survives invalid UTF-8 and NUL bytes, and keeps the line in view', async () => {
    const data = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff, 0xfe, 0x00, 0x20]), Buffer.from('ERROR: bad bytes '), Buffer.from([0xe2, 0x82]), Buffer.from('\nok\n')]);
    const a = await analyzeLog(chunked(data, 1));
    expect(a.errorCount).toBe(1);
    expect(a.firstError?.line).toBe(2);
    // Invalid bytes read as U+FFFD; the NUL, a control character, is shown as U+FFFD too.
    expect(a.firstError?.text).toBe('\ufffd\ufffd\ufffd ERROR: bad bytes \ufffd');
    expect(a.lines).toBe(3);
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const data = Buffer.from('ERROR: café refused ☕\n');
    const a = await analyzeLog(chunked(data, 1));
    expect(a.firstError?.text).toBe('ERROR: café refused ☕');
  });

  it('looks at the first MAX_LINE_BYTES of a long line and counts the rest', async () => {
    const long = `ERROR ${'x'.repeat(3 * MAX_LINE_BYTES)}`;
    const tail = 'y'.repeat(2 * MAX_LINE_BYTES);
    const a = await analyzeLog(chunked(Buffer.from(`${long}\nok\nWARN ${tail}`), 1000));
    expect(a.longLines).toBe(2);
    expect(a.lines).toBe(3);
    expect(a.bytes).toBe(long.length + 4 + 5 + tail.length);
    // Head and tail of what was looked at, cut in the middle (src/triage/salient.ts).
    expect(a.firstError?.text).toHaveLength(1000);
    expect(a.firstError?.text).toMatch(/^ERROR x+…x+$/);
    expect(a.firstWarning?.line).toBe(3);
  });

  it('merges findings that differ only in numbers, hex, ids and times', () => {
    expect(normalizeMessage('retry 17: dial tcp 10.88.0.4:5432 after 120ms')).toBe('retry <n>: dial tcp <ip>:<n> after <d>');
    expect(normalizeMessage('container 3f2a9c1b7d4e failed, request 123e4567-e89b-12d3-a456-426614174000 at 0x7ffd')).toBe(
      'container <id> failed, request <id> at <id>',
    );
    expect(normalizeMessage('at 2026-11-22T02:00:00.123Z and 2026-11-22 02:00:01,5')).toBe('at <t> and <t>');
  });

  it('lists at most MAX_FINDINGS distinct findings and counts the others', async () => {
    const words = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)] ?? 'q');
    const lines = Array.from({ length: MAX_FINDINGS + 50 }, (_, i) => `ERROR worker ${words(i)} crashed`);
    const a = await analyzeLog(chunked(Buffer.from(lines.join('\n')), 512));
    expect(a.errorCount).toBe(MAX_FINDINGS + 50);
    expect(a.findings).toHaveLength(MAX_FINDINGS);
    expect(a.otherFindings).toBe(50);
  });

  it('places timed errors and warnings in time buckets', async () => {
    const log = [
      '2026-11-22T02:00:00.100Z ERROR a',
      '2026-11-22T02:00:00.900Z ERROR b',
      '2026-11-22T02:00:01.000Z WARN c',
      '2026-11-22T02:00:05.000Z ERROR d',
      '2026-11-22T02:00:06.000Z fine',
    ].join('\n');
    const a = await analyzeLog(chunked(Buffer.from(log), 5));
    expect(a.timeline).toEqual({
      bucketMs: 1000,
      buckets: [
        { start: '2026-11-22T02:00:00.000Z', errors: 2, warnings: 0 },
        { start: '2026-11-22T02:00:01.000Z', errors: 0, warnings: 1 },
        { start: '2026-11-22T02:00:05.000Z', errors: 1, warnings: 0 },
      ],
    });
    expect(a.firstTimestamp).toBe('2026-11-22T02:00:00.100Z');
    expect(a.lastTimestamp).toBe('2026-11-22T02:00:06.000Z');
  });

  it('widens the time buckets instead of growing without bound', async () => {
    const start = Date.parse('2026-11-22T00:00:00Z');
    const lines = Array.from({ length: 5000 }, (_, i) => `${new Date(start + i * 7_000).toISOString()} ERROR tick`);
    const a = await analyzeLog(chunked(Buffer.from(lines.join('\n')), 4096));
    expect(a.timeline.buckets.length).toBeLessThanOrEqual(240);
    expect(a.timeline.bucketMs).toBe(256_000);
    expect(a.timeline.buckets.reduce((n, b) => n + b.errors, 0)).toBe(5000);
  });

  it('reads a Readable stream of strings too', async () => {
    const a = await analyzeLog(Readable.from(['ok\nERR', 'OR: x\n']));
    expect(a.firstError).toMatchObject({ line: 2, text: 'ERROR: x' });
  });

  it('can be fed by hand (createLogAnalyzer)', () => {
    const analyzer = createLogAnalyzer();
    analyzer.write('panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:3 +0x1d\n');
    analyzer.write(new Uint8Array(Buffer.from('exit status 2\n')));
    const a = analyzer.end();
    expect(a.errorCount).toBe(2);
    expect(a.firstError?.trace).toEqual({ kind: 'go-panic', lines: 5, headline: 'panic: boom' });
    expect(a.lastError?.text).toBe('exit status 2');
  });
});

// ---------------------------------------------------------------------------------------------- memory

function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('analyzeLogFile on a 50 MB log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'must-gather-analyze-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps memory bounded and counts everything', async () => {
    const path = join(dir, 'big.log');
    const out = createWriteStream(path);
    const start = Date.parse('2026-11-22T00:00:00Z');
    let bytes = 0;
    let lines = 0;
    let errors = 0;
    let warnings = 0;
    let long = 0;
    let block = 0;
    const letters = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)] ?? 'q');
    while (bytes < 50 * 1024 * 1024) {
      const ts = new Date(start + block * 100).toISOString();
      const rows = [
        `${ts} INFO request ${block} served in ${block % 97}ms`,
        `${ts} level=error msg="audit batch failed" batch=${block} err="dial tcp 10.88.0.4:5432: connect: connection refused"`,
        `${ts} worker ${letters(block)}-w crashed with code ${(block % 7) + 1}`,
        `${ts} WARN slow query took ${block % 1000}ms`,
        `${ts} INFO ${'padding '.repeat(40)}`,
        `${ts} INFO heartbeat ok`,
      ];
      errors += 2;
      warnings += 1;
      if (block % 2000 === 0) {
        rows.push(`${ts} ERROR ${'z'.repeat(200_000)}`);
        errors += 1;
        long += 1;
      }
      const chunk = rows.join('\n') + '\n';
      bytes += Buffer.byteLength(chunk);
      lines += rows.length;
      block += 1;
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    out.end();
    await finished(out);

    const gc = exposeGc();
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let chunks = 0;
    const sampled = (async function* () {
      for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
        if (++chunks % 16 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
        yield chunk as Buffer;
      }
    })();
    const analysis = await analyzeLog(sampled);
    gc();
    const retained = process.memoryUsage().heapUsed - baseline;
    process.stderr.write(
      `analyzeLog 50 MB: heap peak +${((peak - baseline) / 2 ** 20).toFixed(1)} MiB, retained +${(retained / 2 ** 20).toFixed(1)} MiB\n`,
    );

    expect(analysis.bytes).toBe(bytes);
    expect(analysis.lines).toBe(lines);
    expect(analysis.errorCount).toBe(errors);
    expect(analysis.warningCount).toBe(warnings);
    expect(analysis.longLines).toBe(long);
    expect(analysis.findings).toHaveLength(MAX_FINDINGS);
    expect(analysis.findings[0]).toMatchObject({ count: block, firstLine: 2 });
    expect(analysis.timeline.buckets.length).toBeLessThanOrEqual(240);
    expect(peak - baseline).toBeLessThan(64 * 2 ** 20);
    expect(retained).toBeLessThan(8 * 2 ** 20);
  });
});
