import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { LineTimes } from '../../../src/runtime/line-join.js';
import { MAX_LINE_BYTES, Timeline, timelineTime } from '../../../src/run-folder/timeline.js';
import { TIMELINE_FILE } from '../../../src/run-folder/layout.js';

const parent = mkdtempSync(join(tmpdir(), 'must-gather-timeline-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));
let n = 0;

function runDir(): string {
  const dir = join(parent, `svc-integration-20261202-000000-${n++}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** A log of `lines` (each with its time, '' for none) streamed through a tap in uneven pieces. */
async function feed(timeline: Timeline, label: string, lines: readonly (readonly [string, string])[], options: { end?: string; extraTimes?: number } = {}): Promise<void> {
  const times = new LineTimes();
  for (const [time] of lines) times.push(time);
  for (let i = 0; i < (options.extraTimes ?? 0); i++) times.push('2030-01-01T00:00:00Z');
  const bytes = Buffer.from(lines.map(([, text]) => `${text}\n`).join('') + (options.end ?? ''));
  const pieces = [bytes.subarray(0, 3), bytes.subarray(3, 17), bytes.subarray(17)];
  const sink = new PassThrough();
  sink.resume();
  await pipeline(Readable.from(pieces), timeline.tap(label, times), sink);
}

function timelineLines(dir: string): string[] {
  return readFileSync(join(dir, TIMELINE_FILE), 'utf8').split('\n').slice(0, -1);
}

describe('timelineTime', () => {
  it('gives every time nine fraction digits (the runtime gives UTC)', () => {
    expect(timelineTime('2026-01-14T15:25:09.733Z')).toBe('2026-01-14T15:25:09.733000000Z');
    expect(timelineTime('2026-01-14T15:25:09Z')).toBe('2026-01-14T15:25:09.000000000Z');
    expect(timelineTime('2026-01-14T15:25:09.123456789Z')).toBe('2026-01-14T15:25:09.123456789Z');
    expect(timelineTime('2026-01-14T16:25:09.5+01:00')).toBe('');
    expect(timelineTime('')).toBe('');
    expect(timelineTime('yesterday')).toBe('');
  });
});

describe('Timeline', () => {
  it('merges three containers by time: ties keep label order, lines without a time follow their predecessor', async () => {
    const dir = runDir();
    const timeline = await Timeline.create(dir);
    try {
      await feed(timeline, 'b', [
        ['2026-01-14T15:25:09.2Z', 'b1'],
        ['2026-01-14T15:25:09.5Z', 'b2 tie with a and c'],
        ['', 'b3 no time: after b2'],
        ['2026-01-14T15:25:09.9Z', 'b4'],
      ]);
      await feed(timeline, 'a', [
        ['2026-01-14T15:25:09.1Z', 'a1'],
        ['2026-01-14T15:25:09.5Z', 'a2 tie'],
        ['2026-01-14T15:25:09.5Z', 'a3 tie, after a2'],
        ['2026-01-14T15:25:10Z', 'a4'],
      ]);
      await feed(timeline, 'c', [
        ['', 'c1 no time and no predecessor: first'],
        ['2026-01-14T15:25:09.5Z', 'c2 tie'],
        ['2026-01-14T15:25:09.300000001Z', 'c3 earlier than c2: the engine said so'],
      ]);
      const written = await timeline.write(dir, new Map([['b', new Set([3])], ['c', new Set([2])]]));
      expect(timelineLines(dir)).toEqual([
        '-                              c | c1 no time and no predecessor: first',
        '2026-01-14T15:25:09.100000000Z a | a1',
        '2026-01-14T15:25:09.200000000Z b | b1',
        '2026-01-14T15:25:09.500000000Z a | a2 tie',
        '2026-01-14T15:25:09.500000000Z a | a3 tie, after a2',
        '2026-01-14T15:25:09.500000000Z b | b2 tie with a and c',
        '-                              b | b3 no time: after b2',
        '2026-01-14T15:25:09.500000000Z c | c2 tie',
        // Each container's own order is kept even when its times go back: the merge never reorders a log.
        '2026-01-14T15:25:09.300000001Z c | c3 earlier than c2: the engine said so',
        '2026-01-14T15:25:09.900000000Z b | b4',
        '2026-01-14T15:25:10.000000000Z a | a4',
      ]);
      expect(written.lines).toBe(11);
      expect(written.file).toMatchObject({ path: TIMELINE_FILE, kind: 'timeline', bytes: readFileSync(join(dir, TIMELINE_FILE)).length });
      expect(written.containers).toEqual([
        { name: 'a', lines: 4, leftOut: 0 },
        { name: 'b', lines: 4, leftOut: 0 },
        { name: 'c', lines: 3, leftOut: 0 },
      ]);
      expect(written.places.get('b')?.get(3)).toEqual({ line: 7, time: '' });
      expect(written.places.get('c')?.get(2)).toEqual({ line: 8, time: '2026-01-14T15:25:09.500000000Z' });
      expect(written.missing).toEqual([]);
    } finally {
      await timeline.discard();
    }
    expect(existsSync(`${dir}.timeline-${process.pid}`)).toBe(false);
  });

  it('keeps a last line without a newline, and bytes as they are (CR, invalid UTF-8)', async () => {
    const dir = runDir();
    const timeline = await Timeline.create(dir);
    await feed(timeline, 'x', [['2026-01-14T15:25:09Z', 'one\r']], { end: 'two \xff' });
    await timeline.write(dir);
    await timeline.discard();
    expect(readFileSync(join(dir, TIMELINE_FILE), 'latin1')).toBe(
      `2026-01-14T15:25:09.000000000Z x | one\r\n-                              x | two ${Buffer.from('\xff').toString('latin1')}\n`,
    );
  });

  it('drops extra times at the end (a redacted PEM is one line where the engine saw several)', async () => {
    const dir = runDir();
    const timeline = await Timeline.create(dir);
    await feed(timeline, 'x', [['2026-01-14T15:25:09Z', 'a'], ['2026-01-14T15:25:10Z', 'b']], { extraTimes: 5 });
    const written = await timeline.write(dir);
    await timeline.discard();
    expect(timelineLines(dir)).toEqual(['2026-01-14T15:25:09.000000000Z x | a', '2026-01-14T15:25:10.000000000Z x | b']);
    expect(written.containers).toEqual([{ name: 'x', lines: 2, leftOut: 0 }]);
  });

  it('keeps the first MAX_LINE_BYTES of a long line and says how much more the log has', async () => {
    const dir = runDir();
    const timeline = await Timeline.create(dir);
    await feed(timeline, 'x', [['2026-01-14T15:25:09Z', 'y'.repeat(MAX_LINE_BYTES + 10)], ['2026-01-14T15:25:10Z', 'z']]);
    await timeline.write(dir);
    await timeline.discard();
    const [long, short] = timelineLines(dir);
    expect(long).toBe(`2026-01-14T15:25:09.000000000Z x | ${'y'.repeat(MAX_LINE_BYTES)} [must-gather: 10 more bytes of this line are in the log, not in the timeline]`);
    expect(short).toBe('2026-01-14T15:25:10.000000000Z x | z');
  });

  it('keeps at most the bound of each container (its last lines) and says where the rest is', async () => {
    const dir = runDir();
    // Records are 30 + ' big | ' + 4 + '\n' = 42 bytes; a 1000-byte bound turns the ring at 500 bytes.
    const timeline = await Timeline.create(dir, 1000);
    const big = Array.from({ length: 100 }, (_, i) => [`2026-01-14T15:25:${String(10 + (i % 50)).padStart(2, '0')}.${String(i).padStart(3, '0')}Z`, `L${String(i).padStart(3, '0')}`] as const);
    await feed(timeline, 'big', big);
    await feed(timeline, 'small', [['2026-01-14T15:25:59.999Z', 'last']]);
    const written = await timeline.write(dir, new Map([['big', new Set([1, 100])]]));
    await timeline.discard();
    const lines = timelineLines(dir);
    const kept = written.containers.find((c) => c.name === 'big')!;
    expect(kept.lines).toBe(100);
    // Between half the bound and the bound is kept: 12 records fill a file of the ring.
    expect(kept.leftOut).toBe(84);
    const bigLines = lines.filter((l) => l.includes(' big | L'));
    expect(bigLines.map((l) => l.slice(-4))).toEqual(big.slice(84).map(([, t]) => t));
    const note = lines.find((l) => l.includes('[must-gather: the first 84 lines'));
    expect(note).toBe(`${timelineTime(big[84]![0])} big | [must-gather: the first 84 lines of this container are not in the timeline, which keeps the last 1kB of each container; its .log has them]`);
    // Line 1 was left out, so it has no place; line 100 does.
    expect(written.places.get('big')?.has(1)).toBe(false);
    expect(lines[(written.places.get('big')?.get(100)?.line as number) - 1]).toBe(`${timelineTime(big[99]![0])} big | L099`);
    expect(Buffer.byteLength(bigLines.join('\n'))).toBeLessThanOrEqual(1000);
  });

  it('removes its private folder after a log failed half-way, and the timeline keeps what had passed', async () => {
    const dir = runDir();
    const timeline = await Timeline.create(dir);
    const times = new LineTimes();
    times.push('2026-01-14T15:25:09Z');
    times.push('2026-01-14T15:25:10Z');
    const failing = new Transform({
      transform(chunk: Buffer, _e, callback) {
        callback(chunk.includes('boom') ? new Error('disk full') : null, chunk);
      },
    });
    const sink = new PassThrough();
    sink.resume();
    await expect(pipeline(Readable.from([Buffer.from('ok\n'), Buffer.from('boom\n')]), timeline.tap('x', times), failing, sink)).rejects.toThrow('disk full');
    await timeline.write(dir);
    await timeline.discard();
    expect(existsSync(`${dir}.timeline-${process.pid}`)).toBe(false);
    expect(timelineLines(dir)).toEqual(['2026-01-14T15:25:09.000000000Z x | ok', '2026-01-14T15:25:10.000000000Z x | boom']);
  });

  it('discard removes the private folder when no timeline is ever written', async () => {
    const dir = runDir();
    const timeline = await Timeline.create(dir);
    await feed(timeline, 'x', [['', 'a']]);
    await timeline.discard();
    await timeline.discard();
    expect(existsSync(`${dir}.timeline-${process.pid}`)).toBe(false);
    expect(existsSync(join(dir, TIMELINE_FILE))).toBe(false);
  });
});
