import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { LineTimes } from '../../../src/runtime/line-join.js';
import { LineGate } from '../../../src/record/line-gate.js';
import { ResumePoint, timeKey } from '../../../src/record/resume.js';

describe('timeKey', () => {
  it('sorts as the time does, whatever the fraction digits the engine kept', () => {
    const a = timeKey('2026-12-02T00:04:50.12Z') as string;
    const b = timeKey('2026-12-02T00:04:50.123Z') as string;
    const c = timeKey('2026-12-02T00:04:50Z') as string;
    expect(a).toBe('2026-12-02T00:04:50.120000000');
    expect([b, a, c].sort()).toEqual([c, a, b]);
    expect(timeKey('2026-12-02T00:04:50.123456789Z')).toBe('2026-12-02T00:04:50.123456789');
  });

  it('reads an offset as UTC, keeps the nanoseconds, and gives null for anything else', () => {
    expect(timeKey('2026-12-02T02:04:50.5+02:00')).toBe('2026-12-02T00:04:50.500000000');
    expect(timeKey('')).toBeNull();
    expect(timeKey('yesterday')).toBeNull();
  });
});

describe('ResumePoint', () => {
  it('drops the lines before its time and as many at its time as were passed; keeps the rest', () => {
    const point = new ResumePoint();
    for (const t of ['2026-12-02T00:00:01Z', '2026-12-02T00:00:02Z', '2026-12-02T00:00:02Z']) point.passed(t);
    expect(point.since()).toBe('2026-12-02T00:00:02Z');
    const judge = point.replay();
    // The engine was asked since 00:00:02 but answers from the whole second before too (the API takes seconds).
    expect(['2026-12-02T00:00:01Z', '2026-12-02T00:00:02Z', '2026-12-02T00:00:02Z', '2026-12-02T00:00:02Z', '2026-12-02T00:00:01Z'].map((t) => judge(t))).toEqual([
      'seen',
      'seen',
      'seen',
      'new',
      // After the first new line everything is new (a restarted container's clock is the engine's, in order).
      'new',
    ]);
  });

  it('replays nothing before a line was passed, and a line without a time ends the replay', () => {
    expect(new ResumePoint().replay()('2026-12-02T00:00:01Z')).toBe('new');
    const point = new ResumePoint();
    point.passed('2026-12-02T00:00:01Z');
    const judge = point.replay();
    expect(judge('')).toBe('new');
    expect(judge('2026-12-02T00:00:01Z')).toBe('new');
  });
});

/** Run chunks through a gate; each line's time comes from `times`, queued as the engine's joiner does. */
async function gate(chunks: string[], times: string[], point: ResumePoint, replay: boolean): Promise<{ out: string; dropped: number }> {
  const queue = new LineTimes();
  for (const t of times) queue.push(t);
  const g = new LineGate(queue, point, replay);
  const out = (await buffer(Readable.from(chunks.map((c) => Buffer.from(c))).pipe(g))).toString();
  return { out, dropped: g.dropped };
}

describe('LineGate', () => {
  it('passes a first stream as it is and notes each line in the point', async () => {
    const point = new ResumePoint();
    const r = await gate(['a\nb', '\nc\n'], ['T1', 'T2', 'T2'].map((t) => `2026-12-02T00:00:0${t.slice(1)}Z`), point, false);
    expect(r).toEqual({ out: 'a\nb\nc\n', dropped: 0 });
    expect(point.since()).toBe('2026-12-02T00:00:02Z');
  });

  it('drops what the file has from a resumed stream, byte for byte, lines torn across chunks included', async () => {
    const point = new ResumePoint();
    const t = (s: number) => `2026-12-02T00:00:0${s}Z`;
    await gate(['one\ntwo\nsame\n'], [t(1), t(2), t(2)], point, false);
    // The same line twice at the same second: only the one the file has is dropped.
    const r = await gate(['tw', 'o\nsa', 'me\nsame\nthr', 'ee\n'], [t(2), t(2), t(2), t(3)], point, true);
    expect(r).toEqual({ out: 'same\nthree\n', dropped: 2 });
    expect(point.since()).toBe(t(3));
  });

  it('keeps a last line the stream ended inside', async () => {
    const point = new ResumePoint();
    const t = '2026-12-02T00:00:01Z';
    await gate(['x\n'], [t], point, false);
    expect((await gate(['x\ny'], [t, t], point, true)).out).toBe('y');
  });
});

describe('LineGate without line times (a replay by counts)', () => {
  /** Lines as [stream, text]; each line's time '' with its stream, as the joiner queues them. */
  async function pass(lines: [1 | 2, string][], point: ResumePoint, replay: boolean): Promise<string> {
    const queue = new LineTimes();
    for (const [stream] of lines) queue.push('', stream);
    const g = new LineGate(queue, point, replay);
    return (await buffer(Readable.from([Buffer.from(lines.map(([, text]) => `${text}\n`).join(''))]).pipe(g))).toString();
  }

  it('drops as many lines of each stream as were passed, whatever the interleaving of the answer', async () => {
    const point = new ResumePoint();
    expect(await pass([[1, 'out a'], [2, 'err x'], [1, 'out b']], point, false)).toBe('out a\nerr x\nout b\n');
    // The whole log again: stderr now first, and new lines of both streams, one before the last seen stdout line.
    const out = await pass([[2, 'err x'], [1, 'out a'], [2, 'err y'], [1, 'out b'], [1, 'out c']], point, true);
    expect(out).toBe('err y\nout c\n');
    // The next replay knows of those too.
    expect(await pass([[1, 'out a'], [1, 'out b'], [1, 'out c'], [2, 'err x'], [2, 'err y'], [2, 'err z']], point, true)).toBe('err z\n');
  });
});
