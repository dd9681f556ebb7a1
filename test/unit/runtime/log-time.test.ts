import { describe, expect, it } from 'vitest';
import { LineJoiner, LineTimes } from '../../../src/runtime/line-join.js';
import { DOCKER_PARTIAL_BYTES, parseTimePrefix, PrefixReader, UnframedEntries, type PrefixMode } from '../../../src/runtime/log-time.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const parse = (s: string): string | null => parseTimePrefix(b(s), 0, s.length);

describe('parseTimePrefix', () => {
  it.each([
    ['2026-12-02T00:11:17Z', '2026-12-02T00:11:17Z'],
    ['2026-12-02T00:11:19.160296588Z', '2026-12-02T00:11:19.160296588Z'],
    ['2026-12-02T00:11:19.5Z', '2026-12-02T00:11:19.5Z'],
    // Engines format local time: the offset is taken off, the fraction digits kept.
    ['2026-12-02T01:11:19.160296588+01:00', '2026-12-02T00:11:19.160296588Z'],
    ['2026-12-01T23:30:00-00:45', '2026-12-02T00:15:00Z'],
  ])('reads %s as %s', (text, time) => {
    expect(parse(text)).toBe(time);
  });

  it.each(['2026-12-02 00:11:17Z', '2026-12-02T00:11:17', 'level=info', '2026-12-02T00:11:17.1234567890Z', 'x2026-12-02T00:11:17Z', ''])(
    'is not a prefix: %j',
    (text) => {
      expect(parse(text)).toBeNull();
    },
  );
});

describe('PrefixReader', () => {
  const T = '2026-12-02T00:11:19.160296588Z';

  it.each<[PrefixMode, number]>([
    ['strip', T.length + 1],
    ['keep', 0],
  ])('%s: a whole prefix in the piece gives its time and where the bytes resume (%d)', (mode, from) => {
    expect(new PrefixReader(mode).read(b(`${T} line\n`), false)).toEqual({ time: T, gathered: null, from, length: T.length + 1 });
  });

  it('gathers a prefix split over pieces', () => {
    const reader = new PrefixReader('strip');
    expect(reader.read(b(T.slice(0, 7)), false)).toBeNull();
    expect(reader.read(b(T.slice(7, 20)), false)).toBeNull();
    expect(reader.read(b(`${T.slice(20)} rest`), false)).toEqual({ time: T, gathered: null, from: T.length - 20 + 1, length: T.length + 1 });
  });

  it('keeps a split prefix as the entry’s bytes in keep mode', () => {
    const reader = new PrefixReader('keep');
    expect(reader.read(b(T.slice(0, 7)), false)).toBeNull();
    const read = reader.read(b(`${T.slice(7)} rest`), false);
    expect(read?.time).toBe(T);
    expect(read?.gathered?.toString('latin1')).toBe(T);
    expect(read?.from).toBe(T.length - 7);
  });

  it('gives back what it gathered as content when there is no prefix after all', () => {
    const reader = new PrefixReader('strip');
    expect(reader.read(b('no'), false)).toBeNull();
    const read = reader.read(b('t a time'), false);
    expect([read?.time, read?.gathered?.toString('latin1'), read?.from]).toEqual([null, 'not', 1]);
    // No space where a prefix's would be: not one.
    const long = b('x'.repeat(100));
    expect(new PrefixReader('strip').read(long, false)).toMatchObject({ time: null, from: 36 });
    // The entry ends first.
    expect(new PrefixReader('strip').read(b('short'), true)).toMatchObject({ time: null, from: 5 });
  });

  it('flushes a prefix cut short at the end of the input as content', () => {
    const reader = new PrefixReader('strip');
    expect(reader.read(b('2026-12'), false)).toBeNull();
    expect(reader.flush()?.toString('latin1')).toBe('2026-12');
    expect(reader.flush()).toBeNull();
  });
});

function unframed(chunks: readonly Buffer[], mode: PrefixMode, partialBytes: number | null): { out: string; times: string[] } {
  const times = new LineTimes();
  const joiner = new LineJoiner({ times });
  const entries = new UnframedEntries(joiner, 1, mode, partialBytes);
  let out = '';
  for (const chunk of chunks) {
    entries.write(chunk);
    out += joiner.take()?.toString('latin1') ?? '';
  }
  entries.end();
  joiner.end();
  out += joiner.take()?.toString('latin1') ?? '';
  const all: string[] = [];
  for (let t = times.shift(); t !== undefined; t = times.shift()) all.push(t);
  return { out, times: all };
}

const inBytes = (data: Buffer): Buffer[] => Array.from(data, (x) => Buffer.from([x]));

describe('UnframedEntries', () => {
  const T1 = '2026-12-02T00:11:32.372653855Z';
  const T2 = '2026-12-02T00:11:32.372653999Z';
  const T3 = '2026-12-02T00:11:33Z';

  it('takes the prefix off every line start, in any chunking', () => {
    const data = b(`${T1} one\r\n${T2} two\n${T3} \n${T3} end`);
    for (const chunks of [[data], inBytes(data)]) {
      expect(unframed(chunks, 'strip', null)).toEqual({ out: 'one\r\ntwo\n\nend', times: [T1, T2, T3, T3] });
    }
  });

  it('docker: a line stored in 16 KiB pieces has a prefix after each piece, taken off too', () => {
    const head = 'a'.repeat(DOCKER_PARTIAL_BYTES);
    const data = b(`${T1} ${head}${T2} tail\n${T3} next\n`);
    for (const chunks of [[data], [data.subarray(0, 1000), data.subarray(1000, 16_420), data.subarray(16_420)]]) {
      expect(unframed(chunks, 'strip', DOCKER_PARTIAL_BYTES)).toEqual({ out: `${head}tail\nnext\n`, times: [T1, T3] });
    }
  });

  it('docker, --timestamps: the prefixes stay, and the 16 KiB count is of the content alone', () => {
    const head = 'a'.repeat(DOCKER_PARTIAL_BYTES);
    const text = `${T1} ${head}${T2} tail\n${T3} next\n`;
    expect(unframed([b(text)], 'keep', DOCKER_PARTIAL_BYTES)).toEqual({ out: text, times: [T1, T3] });
  });

  it('without a known piece size, a text that looks like a prefix mid-line is the container’s own', () => {
    expect(unframed([b(`${T1} at ${T2} the app logged\n`)], 'strip', null)).toEqual({ out: `at ${T2} the app logged\n`, times: [T1] });
  });

  it('a line without a prefix (the CLI’s own text) is kept whole, with no time', () => {
    expect(unframed([b(`Error: no such container\n${T1} x\n`)], 'strip', null)).toEqual({ out: 'Error: no such container\nx\n', times: ['', T1] });
  });
});
