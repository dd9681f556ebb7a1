import { describe, expect, it } from 'vitest';
import { LineJoiner, LineTimes } from '../../../src/runtime/line-join.js';

const b = (s: string): Buffer => Buffer.from(s);

function run(entries: [1 | 2, string, string | null][], holdLimit?: number): { out: string; times: string[]; cut: number } {
  const times = new LineTimes();
  const joiner = new LineJoiner({ times, ...(holdLimit !== undefined ? { holdLimit } : {}) });
  let out = '';
  for (const [stream, text, time] of entries) {
    joiner.entry(stream, b(text), time);
    out += joiner.take()?.toString() ?? '';
  }
  joiner.end();
  out += joiner.take()?.toString() ?? '';
  const all: string[] = [];
  for (let t = times.shift(); t !== undefined; t = times.shift()) all.push(t);
  return { out, times: all, cut: joiner.linesCut };
}

describe('LineJoiner', () => {
  it('keeps a stdout line whole when a stderr line arrives between its pieces', () => {
    const r = run([
      [1, '{"count":8,"dur', 't1'],
      [2, '{"level":"error"}\n', 't2'],
      [1, 'ation":"521ms"}\n', 't3'],
    ]);
    expect(r.out).toBe('{"level":"error"}\n{"count":8,"duration":"521ms"}\n');
    // A line's time is its first piece's.
    expect(r.times).toEqual(['t2', 't1']);
    expect(r.cut).toBe(0);
  });

  it('passes whole lines through unchanged, one time per line', () => {
    const r = run([
      [1, 'a\nb\n', 't1'],
      [2, 'c\n', 't2'],
    ]);
    expect(r.out).toBe('a\nb\nc\n');
    expect(r.times).toEqual(['t1', 't1', 't2']);
  });

  it('ends a piece that finishes one line and starts the next', () => {
    const r = run([
      [1, 'ab', 't1'],
      [1, 'c\nde', 't2'],
      [1, 'f\n', 't3'],
    ]);
    expect(r.out).toBe('abc\ndef\n');
    expect(r.times).toEqual(['t1', 't2']);
  });

  it('passes an unfinished last line on at the end, stdout first, with its time', () => {
    const r = run([
      [2, 'err', 't1'],
      [1, 'out', 't2'],
    ]);
    expect(r.out).toBe('outerr');
    expect(r.times).toEqual(['t2', 't1']);
  });

  it('passes a line over the hold limit on in pieces, counts it once, and gives it one time', () => {
    const r = run(
      [
        [1, 'aaaa', 't1'],
        [1, 'bbbb', 't2'],
        [2, 'x\n', 't3'],
        [1, 'cc\n', 't4'],
      ],
      5,
    );
    expect(r.out).toBe('aaaabbbbx\ncc\n');
    expect(r.cut).toBe(1);
    expect(r.times).toEqual(['t3', 't1']);
  });

  it('copies held pieces: a source reusing its buffer does not change the output', () => {
    const times = new LineTimes();
    const joiner = new LineJoiner({ times });
    const buf = b('abc');
    joiner.entry(1, buf, null);
    buf.write('XYZ');
    joiner.entry(1, b('\n'), null);
    expect(joiner.take()?.toString()).toBe('abc\n');
    expect(times.shift()).toBe('');
  });
});
